/**
 * The emulator as the product runs it: `<packaged binary> emulator`, reading its one JSON line.
 * Plus small clients for its control API (request log, faults, latency).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import { SERVER_BINARY } from "./paths";

export interface EmulatorInfo {
  armEndpoint: string;
  authorityHost: string;
  caFile: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  clientSecret: string;
  resourceGroup: string;
  apimServiceName: string;
  controlEndpoint: string;
  /** PEM (certificate + key) of a client certificate registered on the demo app. */
  certificatePath: string;
  /** The App Service style identity endpoint (IDENTITY_ENDPOINT / IDENTITY_HEADER). */
  managedIdentity: { endpoint: string; header: string; clientId: string; principalId: string };
  /** Issuer of workload identity (federated) tokens. */
  oidcIssuer: string;
}

export interface EmulatorProcess {
  info: EmulatorInfo;
  child: ChildProcess;
  /** Environment variables that point a PowerShell session (or the server) at this emulator. */
  env: Record<string, string>;
  control<T = unknown>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(args: string[] = []): Promise<EmulatorProcess> {
  const child = spawn(SERVER_BINARY, ["emulator", ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d) => (stderr += d));
  const info = await new Promise<EmulatorInfo>((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${stderr}`)), 20000);
    child.stdout!.on("data", (d) => {
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        try {
          resolve(JSON.parse(buf.slice(0, nl)));
        } catch (e) {
          reject(e);
        }
      }
    });
    child.on("exit", (code) => reject(new Error(`emulator exited (${code}): ${stderr}`)));
  });
  const ca = fs.readFileSync(info.caFile, "utf8");
  const env = {
    AZURE_TENANT_ID: info.tenantId,
    AZURE_CLIENT_ID: info.clientId,
    AZURE_CLIENT_SECRET: info.clientSecret,
    AZURE_SUBSCRIPTION_ID: info.subscriptionId,
    AZURE_AUTHORITY_HOST: info.authorityHost,
    AZTOKENBRIDGE_ARM_ENDPOINT: info.armEndpoint,
    NODE_EXTRA_CA_CERTS: info.caFile,
  };
  const control = <T>(method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; body: T }>((resolve, reject) => {
      const url = new URL(info.controlEndpoint + path);
      const req = https.request(url, { method, ca, headers: { "content-type": "application/json" } }, (res) => {
        let text = "";
        res.on("data", (d) => (text += d));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : (undefined as T) }));
      });
      req.on("error", reject);
      if (body !== undefined) req.write(JSON.stringify(body));
      req.end();
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.stdin!.end();
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  return { info, child, env, control, stop };
}
