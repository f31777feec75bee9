/**
 * The emulator as the product runs it: `<packaged binary> emulator`, reading its one JSON line.
 * Plus small clients for its control API (request log, faults, latency).
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import { EmulatorHttp, emulatorHttp, EmulatorInfo } from "./emulatorHttp";
import { SERVER_BINARY } from "./paths";

export type { EmulatorInfo, RequestLogEntry } from "./emulatorHttp";

export interface EmulatorProcess {
  info: EmulatorInfo;
  child: ChildProcess;
  /** Environment variables that point a PowerShell session (or the server) at this emulator. */
  env: Record<string, string>;
  control: EmulatorHttp["control"];
  requestLog: EmulatorHttp["requestLog"];
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
  const { control, requestLog } = emulatorHttp(info, ca);
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      child.stdin!.end();
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
  return { info, child, env, control, requestLog, stop };
}

/**
 * The emulator of a test file: started before its tests (once the server binary is there: `npm run
 * build` makes it) and stopped after them. `set` hands it to the file, which keeps it in a variable
 * of its own (`let emulator`): `useEmulator((e) => (emulator = e))`.
 */
export function useEmulator(set: (emulator: EmulatorProcess) => void): void {
  let started: EmulatorProcess | undefined;
  beforeAll(async () => {
    if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
    started = await startEmulatorProcess();
    set(started);
  });
  afterAll(async () => started?.stop());
}
