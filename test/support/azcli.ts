/**
 * The real Azure CLI (`az`) signed in to an emulator, hermetically, for tests:
 *
 * - a fresh temp AZURE_CONFIG_DIR per setup (never the user's ~/.azure), HOME in the same temp dir;
 * - AZURE_CORE_COLLECT_TELEMETRY=false, AZURE_CORE_ONLY_SHOW_ERRORS=true (no preview / cloud warnings on
 *   stderr), AZURE_CORE_NO_COLOR=true, AZURE_CORE_SURVEY_MESSAGE=false;
 * - REQUESTS_CA_BUNDLE = the emulator's CA (`info.caFile`): Python's requests trusts only it;
 * - PYTHONPATH = a temp dir holding a `sitecustomize.py` that turns MSAL for Python's instance discovery off
 *   (`instance_discovery=False` on every msal ClientApplication, and `_get_instance_metadata` answering no
 *   aliases): MSAL otherwise asks login.microsoftonline.com about the unknown authority `https://127.0.0.1:PORT`
 *   and `az login` fails offline. Test-only: nothing in the product changes for it;
 * - `az cloud register` (with only the emulator's ARM endpoint, so the CLI reads `GET /metadata/endpoints`, or
 *   with every endpoint given) — or no registration: ARM_CLOUD_METADATA_URL = the emulator's 2019-05-01 metadata
 *   document (the CLI loads its clouds from it at start, with urllib: SSL_CERT_FILE = the CA too) —, then
 *   `az cloud set`, `az login --service-principal`.
 *
 * `az` is run with this environment only (plus PATH and the locale): no AZURE_* of the test process leaks in.
 * If `az` is not on the PATH, setUpAzCli fails with a clear message (CI installs azure-cli).
 *
 * `azCliEnvironment(cli)` is what another test adds to a PowerShell session so that the module's server
 * (AzureCliCredential → `az account get-access-token`) uses the same signed-in CLI: AZURE_CONFIG_DIR and
 * AZURE_CORE_* go with each call (SESSION_VARIABLES), PYTHONPATH and REQUESTS_CA_BUNDLE with the server's start
 * (SERVER_START_VARIABLES); the server also needs NODE_EXTRA_CA_CERTS and the ARM endpoint (the emulator's env).
 * `azLogin(cli, app)` signs the CLI in (again) as an app; `azCommands(cli)` lists the commands run with its config dir
 * (the CLI's own command log), so a test can count the server's `az account get-access-token` runs.
 */
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { EmulatorInfo } from "./emulatorHttp";

/** MSAL for Python: no instance discovery (see the header). Loaded by Python at start from PYTHONPATH. */
const SITECUSTOMIZE = `# Written by AzTokenBridge's tests (test/support/azcli.ts). Test-only.
# MSAL for Python validates an unknown authority against login.microsoftonline.com (instance
# discovery). The emulator's authority is https://127.0.0.1:PORT, so turn that off: every msal
# ClientApplication gets instance_discovery=False, and _get_instance_metadata answers no aliases.
import importlib.abc
import importlib.util
import sys


def _patch(module):
    app = module.ClientApplication
    original_init = app.__init__

    def __init__(self, *args, **kwargs):
        kwargs["instance_discovery"] = False
        original_init(self, *args, **kwargs)

    app.__init__ = __init__
    app._get_instance_metadata = lambda self: []


class _PatchMsalApplication(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "msal.application":
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        exec_module = spec.loader.exec_module

        def patched(module):
            exec_module(module)
            _patch(module)

        spec.loader.exec_module = patched
        return spec


sys.meta_path.insert(0, _PatchMsalApplication())
`;

export interface AzResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface AzCli {
  /** The registered cloud's name (unique per setup). */
  cloudName: string;
  /** Temp dir holding the config dir, HOME, the CA bundle and sitecustomize.py. */
  dir: string;
  configDir: string;
  /** The complete environment `az` runs with. */
  env: Record<string, string>;
  /** Runs `az args…` (output as JSON unless args say otherwise). */
  run(args: string[], timeoutMs?: number): Promise<AzResult>;
  /** Runs `az args… --output json`; throws with the CLI's stderr unless it exits 0. */
  json<T = any>(args: string[]): Promise<T>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Removes the temp dir. */
  cleanup(): void;
}

export interface AzCliOptions {
  /**
   * "metadata" (default): `az cloud register` with only the ARM endpoint (and the ACR login server suffix, which
   * the 2015-01-01 metadata document does not carry): the CLI reads GET /metadata/endpoints.
   * "explicit": every endpoint on the command line: the CLI does not ask the emulator.
   * "metadataUrl": no `az cloud register`; ARM_CLOUD_METADATA_URL = GET /metadata/endpoints?api-version=2019-05-01,
   * whose one cloud (AzTokenBridgeEmulator) is then set. The module's server does not forward ARM_CLOUD_METADATA_URL
   * (not a session variable), so its `az` would not know that cloud: for the CLI's own tests only.
   */
  register?: "metadata" | "explicit" | "metadataUrl";
  /** Sign in (`az login --service-principal` with the demo app); default true. */
  signIn?: boolean;
  /** The app to sign in as (e.g. one made with `POST /_emulator/apps`); default the demo app. */
  app?: AzCliApp;
}

/** A service principal of the emulator's directory (EmulatorInfo, or `POST /_emulator/apps`). */
export interface AzCliApp {
  clientId: string;
  clientSecret: string;
  tenantId: string;
}

/** The `az` on the PATH, or an error that says what is missing. */
export function findAz(pathVar: string = process.env.PATH ?? ""): string {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, process.platform === "win32" ? "az.cmd" : "az");
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(
    "The Azure CLI ('az') is not on the PATH: the tests against the real CLI need it. " +
      "Install azure-cli (CI does; Debian/Ubuntu: apt-get install azure-cli) and run the tests again.",
  );
}

/** The environment that points anything running `az` at this signed-in CLI (see the header). */
export function azCliEnvironment(cli: Pick<AzCli, "env">): Record<string, string> {
  const pick = [
    "AZURE_CONFIG_DIR", "AZURE_CORE_COLLECT_TELEMETRY", "AZURE_CORE_ONLY_SHOW_ERRORS", "AZURE_CORE_NO_COLOR", "AZURE_CORE_SURVEY_MESSAGE",
    "PYTHONPATH", "REQUESTS_CA_BUNDLE", "SSL_CERT_FILE", "ARM_CLOUD_METADATA_URL",
  ];
  return Object.fromEntries(pick.filter((k) => cli.env[k] !== undefined).map((k) => [k, cli.env[k]]));
}

export async function setUpAzCli(info: EmulatorInfo, opts: AzCliOptions = {}): Promise<AzCli> {
  const az = findAz();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-azcli-"));
  const configDir = path.join(dir, "config");
  const pythonDir = path.join(dir, "python");
  fs.mkdirSync(configDir);
  fs.mkdirSync(pythonDir);
  fs.writeFileSync(path.join(pythonDir, "sitecustomize.py"), SITECUSTOMIZE);
  const caBundle = path.join(dir, "emulator-ca.pem");
  fs.copyFileSync(info.caFile, caBundle);

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: dir,
    LANG: process.env.LANG ?? "C.UTF-8",
    AZURE_CONFIG_DIR: configDir,
    AZURE_CORE_COLLECT_TELEMETRY: "false",
    AZURE_CORE_ONLY_SHOW_ERRORS: "true",
    AZURE_CORE_NO_COLOR: "true",
    AZURE_CORE_SURVEY_MESSAGE: "false",
    PYTHONPATH: pythonDir,
    REQUESTS_CA_BUNDLE: caBundle,
  };
  const run = (args: string[], timeoutMs = 60_000) => runAz(az, args, env, timeoutMs);
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await run([...args, "--output", "json"]);
    if (r.status !== 0) throw new Error(`az ${shown(args)} exited ${r.status}: ${r.stderr || r.stdout}`);
    return JSON.parse(r.stdout) as T;
  };
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  if (opts.register === "metadataUrl") {
    env.ARM_CLOUD_METADATA_URL = `${info.armEndpoint}/metadata/endpoints?api-version=2019-05-01`;
    env.SSL_CERT_FILE = caBundle; // the CLI fetches that URL with urllib, which does not read REQUESTS_CA_BUNDLE
  }
  const cloudName = opts.register === "metadataUrl" ? "AzTokenBridgeEmulator" : `aztb-emulator-${crypto.randomBytes(4).toString("hex")}`;
  const cli: AzCli = { cloudName, dir, configDir, env, run, json, cleanup };

  try {
    const register =
      opts.register === "explicit"
        ? [
            "--endpoint-resource-manager", info.armEndpoint,
            "--endpoint-active-directory", info.authorityHost,
            "--endpoint-active-directory-resource-id", "https://management.core.windows.net/",
            "--endpoint-active-directory-graph-resource-id", "https://graph.windows.net/",
          ]
        : ["--endpoint-resource-manager", info.armEndpoint];
    if (opts.register !== "metadataUrl") {
      await must(run(["cloud", "register", "--name", cloudName, ...register, "--suffix-acr-login-server-endpoint", ".azurecr.io"]), "cloud register");
    }
    await must(run(["cloud", "set", "--name", cloudName]), "cloud set");
    if (opts.signIn !== false) await azLogin(cli, opts.app ?? info);
  } catch (e) {
    cleanup();
    throw e;
  }
  return cli;
}

/** `az login --service-principal` as `app` (again): throws with the CLI's stderr unless it exits 0. */
export async function azLogin(cli: Pick<AzCli, "run">, app: AzCliApp): Promise<void> {
  await must(
    // --password=…: a secret that starts with '-' would otherwise be taken for an option (the emulator's are random).
    cli.run(["login", "--service-principal", "--username", app.clientId, `--password=${app.clientSecret}`, "--tenant", app.tenantId, "--output", "none"]),
    "login --service-principal",
  );
}

/**
 * The commands this CLI has run so far, e.g. `{command: "account get-access-token", exitCode: 0}`, from its own
 * command log (azure-cli writes one file per command to $AZURE_CONFIG_DIR/commands, named
 * `<date>.<time>.<command words joined by _>.<pid>.log`, ending with "exit code: N"), in the order of their start
 * second. Who ran `az` with this config dir (the test, or the module's server) is not told apart.
 */
export function azCommands(cli: Pick<AzCli, "configDir">): { command: string; exitCode?: number }[] {
  const dir = path.join(cli.configDir, "commands");
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .map((f) => ({ f, m: /^(\d{4}-\d\d-\d\d\.\d\d-\d\d-\d\d)\.(.+)\.(\d+)\.log$/.exec(f) }))
    .filter((x): x is { f: string; m: RegExpExecArray } => x.m !== null)
    .sort((a, b) => (a.m[1] < b.m[1] ? -1 : a.m[1] > b.m[1] ? 1 : Number(a.m[3]) - Number(b.m[3])))
    .map(({ f, m }) => {
      const code = /exit code: (-?\d+)/.exec(fs.readFileSync(path.join(dir, f), "utf8"));
      return { command: m[2].replace(/_/g, " "), exitCode: code ? Number(code[1]) : undefined };
    });
}

async function must(p: Promise<AzResult>, what: string): Promise<AzResult> {
  const r = await p;
  if (r.status !== 0) throw new Error(`az ${what} exited ${r.status}: ${r.stderr || r.stdout}`);
  return r;
}

function runAz(az: string, args: string[], env: Record<string, string>, timeoutMs: number): Promise<AzResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(az, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`az ${shown(args)} did not finish within ${timeoutMs} ms; stderr so far: ${stderr}`));
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

/** The arguments for a message, without the value of --password / -p. */
function shown(args: string[]): string {
  return args
    .map((a, i) => (i > 0 && (args[i - 1] === "--password" || args[i - 1] === "-p") ? "***" : a.startsWith("--password=") ? "--password=***" : a))
    .join(" ");
}
