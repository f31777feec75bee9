/**
 * The local Azure emulator: Entra ID (v2.0 token endpoint, OpenID metadata, JWKS) and Azure Resource
 * Manager with the Microsoft.ApiManagement resource provider, over HTTPS on 127.0.0.1, with a
 * certificate made at start. The README demo and the tests run against it.
 *
 *   aztokenbridge emulator [--port N] [--latency-ms N]
 *
 * prints exactly one JSON line (EmulatorInfo) on stdout, then serves until stdin reaches EOF or the
 * process gets SIGTERM (SIGINT too when stdin is a terminal: see ../lifecycle.ts). In-process: `startEmulator({ port: 0 })`.
 *
 * Layout:
 *   server.ts         HTTPS server, routing by first path segment, latency, faults, request log
 *   control.ts        the /_emulator control API (request log, faults, latency, APIM keys, test tokens,
 *                     apps, federated credentials, workload identity tokens)
 *   demo.ts           the demo tenant, app, managed identity, subscription, resource group and APIM service
 *   directory.ts      tenants, apps (secrets, certificates, federated credentials), managed identities,
 *                     subscriptions, resource groups, role assignments
 *   entra/            Entra ID endpoints, JWT signing, token issuing, client assertions (certificate / federated),
 *                     user flows (authorize, device code, refresh token) and their control API
 *   identity/         the App Service managed identity endpoint (/msi/token)
 *   oidc/             the workload identity OIDC issuer (/oidc)
 *   arm/              ARM front door: bearer-token checks, RBAC authorization, ARM headers and errors, provider dispatch
 *   apim/             Microsoft.ApiManagement: service, users, user tokens (SAS), tenant access
 *   acr/              Microsoft.ContainerRegistry: registries, scope maps, tokens (long-running create), generateCredentials
 *   staleFolders.ts   removes the temp folders (keys) of emulators that were killed, at start and stop
 *   cert.ts, http.ts, faults.ts, requestLog.ts, util.ts
 */
import { ignoreInterruptsWhileAttached } from "../lifecycle";
import { once } from "events";
import { promises as fs } from "fs";
import type { AddressInfo } from "net";
import { ApimProvider } from "./apim/apim";
import { ApimStore } from "./apim/model";
import { AcrProvider } from "./acr/acr";
import { AcrStore } from "./acr/model";
import { ArmService } from "./arm/arm";
import { createClientCertificate, createEmulatorCertificate, writeCaFile, writeClientCertificateFile } from "./cert";
import { ControlApi, LatencySetting, MAX_LATENCY_MS } from "./control";
import { DEMO, DEMO_WEB_APP_ID, seedDemoAppCredentials, seedDemoData } from "./demo";
import { Directory } from "./directory";
import { createClientAssertionVerifier } from "./entra/assertions";
import { EntraService } from "./entra/entra";
import { TokenService } from "./entra/tokens";
import { UserFlows } from "./entra/userFlows";
import { FaultStore } from "./faults";
import { AppServiceIdentityEndpoint, MSI_PATH } from "./identity/appService";
import { DEFAULT_WORKLOAD_SUBJECT, OIDC_PATH, OidcIssuer } from "./oidc/issuer";
import { RequestLog } from "./requestLog";
import { removeStaleEmulatorFolders } from "./staleFolders";
import { createEmulatorServer } from "./server";

export interface EmulatorOptions {
  /** TCP port on 127.0.0.1; 0 or undefined picks a free one. */
  port?: number;
  /** Delay added before every Entra ID / ARM response, in milliseconds. */
  latencyMs?: number;
}

export interface EmulatorInfo {
  /** `https://127.0.0.1:PORT` (ARM's endpoint; same origin as everything else). */
  armEndpoint: string;
  /** `https://127.0.0.1:PORT`: use as @azure/identity `authorityHost` with `disableInstanceDiscovery: true`. */
  authorityHost: string;
  /** PEM file holding the emulator's self-signed certificate: trust it (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  tenantId: string;
  subscriptionId: string;
  clientId: string;
  /** Random per start. A secret (like managedIdentity.header and the key in certificatePath). */
  clientSecret: string;
  /**
   * PEM file: a client certificate registered on the demo app (clientId), then its unencrypted PKCS#8
   * private key. For @azure/identity `new ClientCertificateCredential(tenantId, clientId, { certificatePath })`.
   * Made at start; readable by the owner only.
   */
  certificatePath: string;
  /** The App Service managed identity endpoint (set IDENTITY_ENDPOINT / IDENTITY_HEADER to these). */
  managedIdentity: ManagedIdentityInfo;
  /**
   * Issuer of workload identity (federated) tokens, `https://127.0.0.1:PORT/oidc`; tokens from
   * `POST /_emulator/workload-identity/token`. The demo app trusts subject system:serviceaccount:default:aztokenbridge.
   */
  oidcIssuer: string;
  resourceGroup: "powershelltest";
  apimServiceName: "powershellsdkservice";
  /** Seed 002's resource group and container registry (Premium), with scope map `newmap`. */
  acrResourceGroup: "lnxtest";
  acrRegistryName: "lnxcr";
  /** `https://127.0.0.1:PORT/_emulator` */
  controlEndpoint: string;
  /** User flows (authorization code, device code, refresh token): a public client app and the demo users. */
  publicClientId: string;
  /** User principal names; the first is the default of the control API's sign-ins. */
  users: string[];
  /** A Partner Center customer tenant whose delegated admin partner is the demo tenant. */
  customerTenantId: string;
}

export interface ManagedIdentityInfo {
  /** `https://127.0.0.1:PORT/msi/token` (IDENTITY_ENDPOINT). */
  endpoint: string;
  /** IDENTITY_HEADER: the X-IDENTITY-HEADER value the endpoint requires. Random per start. */
  header: string;
  /** Client (application) id of the system-assigned identity. */
  clientId: string;
  /** Its object (principal) id: `oid` of its tokens. Contributor on the demo subscription. */
  principalId: string;
}

export interface RunningEmulator {
  info: EmulatorInfo;
  close(): Promise<void>;
}

export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const port = opts.port ?? 0;
  const latencyMs = opts.latencyMs ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`port must be an integer from 0 to 65535 (got ${port}).`);
  if (!Number.isInteger(latencyMs) || latencyMs < 0 || latencyMs > MAX_LATENCY_MS) {
    throw new RangeError(`latencyMs must be an integer from 0 to ${MAX_LATENCY_MS} (got ${latencyMs}).`);
  }

  let origin = "https://127.0.0.1:0";
  // The three RSA keys are made in parallel (off the main thread).
  const [cert, clientCert, oidc] = await Promise.all([
    createEmulatorCertificate(),
    createClientCertificate(`${DEMO.appName} client certificate`),
    OidcIssuer.create(() => `${origin}${OIDC_PATH}`),
  ]);
  const { caFile, dir } = await writeCaFile(cert.certPem);
  // Folders left by emulators that were killed (SIGKILL), with their keys: removed (staleFolders.ts).
  await removeStaleEmulatorFolders();
  try {
    const certificatePath = await writeClientCertificateFile(dir, clientCert);
    const directory = new Directory();
    const apim = new ApimStore();
    const acr = new AcrStore();
    const demo = seedDemoData(directory, apim, acr);
    const tokens = new TokenService(cert);
    const entra = new EntraService(directory, tokens);
    entra.clientAssertionVerifier = createClientAssertionVerifier({ directory, oidc });
    const userFlows = new UserFlows(directory, tokens, entra);
    const arm = new ArmService(directory, tokens);
    arm.registerProvider(new ApimProvider(apim));
    const acrProvider = new AcrProvider(acr);
    arm.registerProvider(acrProvider);
    const identity = new AppServiceIdentityEndpoint(directory, tokens, {
      identity: demo.managedIdentity,
      tenant: directory.findTenant(DEMO.tenantId)!,
      resourceId: DEMO_WEB_APP_ID,
    });
    const log = new RequestLog();
    const faults = new FaultStore();
    const latency: LatencySetting = { ms: latencyMs };

    let info: EmulatorInfo | undefined;
    const control = new ControlApi({
      // No secrets here: not the client secret, not the identity header.
      publicInfo: () => {
        const { clientSecret: _secret, managedIdentity, ...rest } = info!;
        const { header: _header, ...mi } = managedIdentity;
        return { ...rest, managedIdentity: mi };
      },
      log,
      faults,
      latency,
      apim,
      acr: acrProvider,
      tokens,
      directory,
      oidc,
      tenantId: DEMO.tenantId,
      clientId: DEMO.clientId,
      servicePrincipalId: DEMO.servicePrincipalId,
      contributorScope: `/subscriptions/${DEMO.subscriptionId}`,
      userFlows,
    });
    const shutdown = new AbortController();
    const server = createEmulatorServer({
      cert, entra, arm, identity, oidc, control, log, faults, latency, origin: () => origin, shutdown: shutdown.signal,
    });
    server.listen(port, "127.0.0.1");
    await Promise.race([
      once(server, "listening"),
      once(server, "error").then(([e]) => {
        throw e;
      }),
    ]);
    origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
    seedDemoAppCredentials(directory, demo.app, { certPem: clientCert.certPem, oidcIssuer: oidc.issuer, subject: DEFAULT_WORKLOAD_SUBJECT });
    info = {
      armEndpoint: origin,
      authorityHost: origin,
      caFile,
      tenantId: DEMO.tenantId,
      subscriptionId: DEMO.subscriptionId,
      clientId: DEMO.clientId,
      clientSecret: demo.clientSecret,
      certificatePath,
      managedIdentity: {
        endpoint: `${origin}${MSI_PATH}`,
        header: identity.identityHeader,
        clientId: demo.managedIdentity.appId,
        principalId: demo.managedIdentity.servicePrincipalId,
      },
      oidcIssuer: oidc.issuer,
      resourceGroup: DEMO.resourceGroup,
      apimServiceName: DEMO.apimServiceName,
      acrResourceGroup: DEMO.acrResourceGroup,
      acrRegistryName: DEMO.acrRegistryName,
      controlEndpoint: `${origin}/_emulator`,
      publicClientId: DEMO.publicClientId,
      users: directory.listUsers().map((u) => u.userPrincipalName),
      customerTenantId: DEMO.customerTenantId,
    };

    let closing: Promise<void> | undefined;
    const close = (): Promise<void> =>
      (closing ??= (async () => {
        shutdown.abort();
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await closed;
        await fs.rm(dir, { recursive: true, force: true });
        await removeStaleEmulatorFolders();
      })());
    return { info, close };
  } catch (e) {
    await fs.rm(dir, { recursive: true, force: true });
    throw e;
  }
}

// ----- command line ----------------------------------------------------------------------------------

export const EMULATOR_USAGE = "Usage: aztokenbridge emulator [--port N] [--latency-ms N]";

export type ParsedEmulatorArgs =
  | { ok: true; help: boolean; options: Required<EmulatorOptions> }
  | { ok: false; error: string };

/** Parses `--port N`, `--latency-ms N` (also `--name=N`) and `--help`. */
export function parseEmulatorArgs(argv: string[]): ParsedEmulatorArgs {
  const options = { port: 0, latencyMs: 0 };
  const limits = { port: [0, 65535], latencyMs: [0, MAX_LATENCY_MS] } as const;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--help" || arg === "-h") {
      help = true;
      continue;
    }
    const m = /^(--port|--latency-ms)(?:=(.*))?$/.exec(arg);
    if (!m) return { ok: false, error: `unknown argument '${arg}'.` };
    const name = m[1];
    let value = m[2];
    if (value === undefined) {
      if (i + 1 >= argv.length) return { ok: false, error: `${name} needs a value.` };
      value = argv[++i];
    }
    const key = name === "--port" ? "port" : "latencyMs";
    const [min, max] = limits[key];
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      return { ok: false, error: `${name} must be an integer from ${min} to ${max} (got '${value}').` };
    }
    options[key] = Number(value);
  }
  return { ok: true, help, options };
}

/**
 * `aztokenbridge emulator …`: one JSON line (EmulatorInfo) on stdout, nothing else there; serves until
 * stdin ends or SIGTERM (or SIGINT, when stdin is a terminal), then exits 0. Bad arguments: message on stderr, exit code 2.
 */
export async function runEmulatorCli(argv: string[]): Promise<void> {
  const parsed = parseEmulatorArgs(argv);
  if (!parsed.ok) {
    process.stderr.write(`aztokenbridge emulator: ${parsed.error}\n${EMULATOR_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help) {
    process.stderr.write(`${EMULATOR_USAGE}\n`);
    return;
  }
  let emulator: RunningEmulator;
  try {
    emulator = await startEmulator(parsed.options);
  } catch (e) {
    process.stderr.write(`aztokenbridge emulator: could not start: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(`${JSON.stringify(emulator.info)}\n`);

  await new Promise<void>((resolve) => {
    const done = (): void => resolve();
    process.stdin.once("end", done);
    process.stdin.once("close", done);
    process.stdin.once("error", done);
    // Started by the module (stdin a pipe), Ctrl+C in the user's terminal is not for us (see lifecycle.ts).
    if (!ignoreInterruptsWhileAttached()) process.once("SIGINT", done);
    process.once("SIGTERM", done);
    process.stdin.resume(); // read (and discard) until EOF
  });
  await emulator.close();
  process.exit(0);
}
