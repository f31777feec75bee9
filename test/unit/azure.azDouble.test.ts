/**
 * The Azure CLI test double (test/support/az-double/az): it must print exactly what the real
 * `az account get-access-token --output json` prints (azure-cli profile/custom.py get_access_token
 * through knack's JSON formatter), fail like the real one when nobody is signed in, and be read
 * by @azure/identity's AzureCliCredential as the real one is.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AzureCliCredential } from "@azure/identity";

const DOUBLE_DIR = path.join(__dirname, "..", "support", "az-double");
const AZ = path.join(DOUBLE_DIR, "az");

/** An unsigned JWT with these claims (the double reads exp and tid, as az reports them). */
function jwt(claims: Record<string, unknown>): string {
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2lnbmF0dXJl`;
}

let tmp: string;
/**
 * A PATH directory holding only a link to this node (the double is `#!/usr/bin/env node`): nothing
 * else, so an Azure CLI installed on the machine (/usr/bin/az) can never answer in place of the double.
 */
let nodeOnly: string;
const savedPath = process.env.PATH;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-azdouble-"));
  nodeOnly = path.join(tmp, "node-only-bin");
  fs.mkdirSync(nodeOnly);
  fs.symlinkSync(process.execPath, path.join(nodeOnly, "node"));
});
afterAll(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  process.env.PATH = savedPath;
});

function az(args: string[], env: Record<string, string | undefined>): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(AZ, args, {
    encoding: "utf8",
    env: { PATH: nodeOnly, HOME: tmp, AZURE_CONFIG_DIR: path.join(tmp, "empty"), ...env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Python's datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S.%f"), computed independently in a fixed time zone. */
function pythonLocal(seconds: number, tz: string): string {
  const parts = new Intl.DateTimeFormat("en-CA", {
    timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  }).formatToParts(new Date(seconds * 1000));
  const get = (t: string) => parts.find((p) => p.type === t)!.value;
  return `${get("year")}-${get("month")}-${get("day")} ${get("hour")}:${get("minute")}:${get("second")}.000000`;
}

describe("az account get-access-token", () => {
  const exp = 1795282416;
  const tenant = "f82175d1-9a74-4351-bdd0-7fa19a65ca08";
  const subscription = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
  const token = jwt({ exp, tid: tenant, aud: "https://management.azure.com" });

  test("prints the real CLI's JSON: sorted keys, two-space indent, local expiresOn with microseconds, POSIX expires_on", () => {
    const file = path.join(tmp, "token");
    fs.writeFileSync(file, `${token}\n`);
    const r = az(["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com"], {
      AZTB_FAKE_AZ_CLI_TOKEN_FILE: file, AZTB_FAKE_AZ_CLI_SUBSCRIPTION: subscription, TZ: "Asia/Kolkata",
    });
    expect(r.status).toBe(0);
    expect(r.stderr).toBe("");
    // Byte for byte what azure-cli 2.54+ prints for such a token (json.dumps(sort_keys=True, indent=2) + "\n").
    expect(r.stdout).toBe(
      "{\n" +
        `  "accessToken": "${token}",\n` +
        `  "expiresOn": "${pythonLocal(exp, "Asia/Kolkata")}",\n` +
        `  "expires_on": ${exp},\n` +
        `  "subscription": "${subscription}",\n` +
        `  "tenant": "${tenant}",\n` +
        '  "tokenType": "Bearer"\n' +
        "}\n",
    );
    expect(pythonLocal(exp, "Asia/Kolkata")).toBe("2026-11-21 23:03:36.000000");
  });

  test("the subscription is the CLI profile's default (azureProfile.json with a BOM); none with --tenant", () => {
    const config = path.join(tmp, "cfg");
    fs.mkdirSync(config, { recursive: true });
    fs.writeFileSync(
      path.join(config, "azureProfile.json"),
      "\ufeff" + JSON.stringify({ subscriptions: [{ id: "other", isDefault: false }, { id: subscription, isDefault: true, tenantId: tenant }] }),
    );
    const withProfile = az(["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com"], {
      AZTB_FAKE_AZ_CLI_TOKEN: token, AZURE_CONFIG_DIR: config,
    });
    expect(JSON.parse(withProfile.stdout)).toEqual({
      accessToken: token, expiresOn: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$/), expires_on: exp, subscription, tenant, tokenType: "Bearer",
    });
    const withTenant = az(["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com", "--tenant", "t2"], {
      AZTB_FAKE_AZ_CLI_TOKEN: token, AZURE_CONFIG_DIR: config,
    });
    expect(Object.keys(JSON.parse(withTenant.stdout))).toEqual(["accessToken", "expiresOn", "expires_on", "tenant", "tokenType"]);
    expect(JSON.parse(withTenant.stdout).tenant).toBe("t2");
  });

  test("not signed in: exit code 1 and the CLI's message on stderr, nothing on stdout", () => {
    const r = az(["account", "get-access-token", "--output", "json", "--resource", "https://management.azure.com"], {});
    expect(r).toEqual({ status: 1, stdout: "", stderr: "ERROR: Please run 'az login' to setup account.\n" });
  });

  test("az account show answers from the profile; other commands are refused as az does", () => {
    const r = az(["account", "show", "--output", "json"], { AZTB_FAKE_AZ_CLI_TOKEN: token, AZTB_FAKE_AZ_CLI_SUBSCRIPTION: subscription });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ id: subscription, isDefault: true, tenantId: tenant, state: "Enabled", environmentName: "AzureCloud" });
    expect(az(["account", "show"], {}).status).toBe(1);
    expect(az(["group", "list"], {}).status).toBe(2);
  });

  test("each call is logged when AZTB_FAKE_AZ_CLI_LOG is set", () => {
    const log = path.join(tmp, "calls.jsonl");
    az(["account", "get-access-token", "--output", "json", "--resource", "r1"], { AZTB_FAKE_AZ_CLI_TOKEN: token, AZTB_FAKE_AZ_CLI_LOG: log });
    az(["account", "get-access-token", "--output", "json", "--scope", "r2/.default"], { AZTB_FAKE_AZ_CLI_TOKEN: token, AZTB_FAKE_AZ_CLI_LOG: log });
    const calls = fs.readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l).argv);
    expect(calls).toEqual([
      ["account", "get-access-token", "--output", "json", "--resource", "r1"],
      ["account", "get-access-token", "--output", "json", "--scope", "r2/.default"],
    ]);
  });
});

describe("AzureCliCredential (@azure/identity 4.14.1) against the double", () => {
  const token = jwt({ exp: Math.floor(Date.now() / 1000) + 3600, tid: "t" });

  beforeEach(() => {
    process.env.PATH = `${DOUBLE_DIR}${path.delimiter}${nodeOnly}`;
    delete process.env.AZTB_FAKE_AZ_CLI_TOKEN;
    delete process.env.AZTB_FAKE_AZ_CLI_TOKEN_FILE;
  });
  afterEach(() => {
    delete process.env.AZTB_FAKE_AZ_CLI_TOKEN;
  });

  test("signed in: the token, with the expiry from expires_on", async () => {
    process.env.AZTB_FAKE_AZ_CLI_TOKEN = token;
    const t = await new AzureCliCredential().getToken("https://management.azure.com/.default");
    expect(t.token).toBe(token);
    expect(t.expiresOnTimestamp).toBe(JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp * 1000);
  });

  test("signed out: CredentialUnavailableError asking for az login", async () => {
    const e = await new AzureCliCredential().getToken("https://management.azure.com/.default").catch((x) => x);
    expect(e.name).toBe("CredentialUnavailableError");
    expect(e.message).toMatch(/az login/);
  });

  test("no az on the PATH: CredentialUnavailableError saying the CLI is not installed", async () => {
    process.env.PATH = nodeOnly;
    expect(fs.readdirSync(nodeOnly)).toEqual(["node"]); // no az here, whatever the machine has installed
    const e = await new AzureCliCredential().getToken("https://management.azure.com/.default").catch((x) => x);
    expect(e.name).toBe("CredentialUnavailableError");
    expect(e.message).toMatch(/could not be found/);
  });
});
