/**
 * The emulator's Microsoft.ContainerRegistry provider, driven by the real @azure/arm-containerregistry
 * client and by raw HTTPS where the wire shape matters: seed 002's demo data, the token PUT's
 * long-running operation (201 + signed Azure-AsyncOperation + Retry-After, InProgress → Succeeded or
 * Failed), updates (200), generateCredentials (values once, 32 characters), error envelopes.
 */
import * as fs from "node:fs";
import * as tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { ContainerRegistryManagementClient } from "@azure/arm-containerregistry";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";
import { EmulatorHttp, emulatorHttp, RawResponse } from "../support/emulatorHttp";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const RG = "lnxtest";
const REG = "lnxcr";
const API = "2023-01-01-preview";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/${REG}`;
const MAP_ID = `${REG_ID}/scopeMaps/newmap`;

let emulator: RunningEmulator;
let info: EmulatorInfo;
let credential: ClientSecretCredential;
let client: ContainerRegistryManagementClient;
let raw: EmulatorHttp["raw"];
let control: EmulatorHttp["control"];
let requestLog: EmulatorHttp["requestLog"];
let seq = 0;
const uniqueName = (prefix = "tok") => `${prefix}${Date.now().toString(36)}${++seq}`;

async function arm(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<RawResponse> {
  const token = (await credential.getToken("https://management.azure.com/.default"))!.token;
  const url = path.includes("?") ? path : `${path}?api-version=${API}`;
  return raw(method, url, {
    headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { "content-type": "application/json" } : {}), ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  const ca = fs.readFileSync(info.caFile, "utf8");
  ({ raw, control, requestLog } = emulatorHttp(info, ca));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
  credential = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, { authorityHost: info.authorityHost, disableInstanceDiscovery: true });
  client = new ContainerRegistryManagementClient(credential, info.subscriptionId, {
    endpoint: info.armEndpoint,
    credentials: { scopes: ["https://management.azure.com/.default"] },
    apiVersion: API,
    retryOptions: { maxRetries: 0 },
  });
});
afterAll(async () => emulator?.close());
beforeEach(async () => {
  await control("PUT", "/acr/operations", { reset: true, durationMs: 300, retryAfterSeconds: 0 });
  await control("DELETE", "/requests");
});

describe("demo data (seed 002's names)", () => {
  test("the default subscription is seed 002's; resource group lnxtest, registry lnxcr (Premium)", async () => {
    expect(info.subscriptionId).toBe(SUB);
    expect(info.acrResourceGroup).toBe(RG);
    expect(info.acrRegistryName).toBe(REG);
    const r = await client.registries.get(RG, REG);
    expect(r.id).toBe(REG_ID);
    expect(r.sku.name).toBe("Premium");
    expect(r.loginServer).toBe("lnxcr.azurecr.io");
    // The APIM demo data moved with the subscription.
    const svc = await arm("GET", `/subscriptions/${SUB}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice?api-version=2022-08-01`);
    expect(svc.status).toBe(200);
  });

  test("scope maps: newmap and the system scope maps, listed and one by one", async () => {
    const names: string[] = [];
    for await (const m of client.scopeMaps.list(RG, REG)) names.push(m.name!);
    expect(names.sort()).toEqual(["_repositories_admin", "_repositories_pull", "_repositories_push", "newmap"]);
    const m = await client.scopeMaps.get(RG, REG, "newmap");
    expect(m.id).toBe(MAP_ID);
    expect(m.typePropertiesType).toBe("UserDefined");
    expect(m.actions!.length).toBeGreaterThan(0);
    const pull = await client.scopeMaps.get(RG, REG, "_repositories_pull");
    expect(pull.typePropertiesType).toBe("SystemDefined");
    expect(pull.actions).toEqual(["repositories/*/content/read"]);
  });
});

describe("Tokens_Create", () => {
  test("the SDK's poller: PUT 201, status poll, final GET; the token as recorded", async () => {
    const name = uniqueName();
    const t = await client.tokens.create(RG, REG, name, { scopeMapId: MAP_ID });
    expect(t.id).toBe(`${REG_ID}/tokens/${name}`);
    expect(t.type).toBe("Microsoft.ContainerRegistry/registries/tokens");
    expect(t.provisioningState).toBe("Succeeded");
    expect(t.status).toBe("enabled"); // the service's default (recorded)
    expect(t.scopeMapId).toBe(MAP_ID);
    expect(t.credentials?.passwords).toEqual([]);
    expect(t.systemData?.createdByType).toBe("Application");
    expect(t.systemData?.createdBy).toBe(info.clientId);
    const log = await requestLog();
    const mine = log.filter((e) => e.path.includes(`/tokens/${name}`));
    expect(mine[0]).toMatchObject({ method: "PUT", status: 201 });
    expect(mine.some((e) => e.method === "GET" && /\/operationStatuses\/token-[0-9a-f-]{36}$/.test(e.path) && e.status === 200)).toBe(true);
    expect(mine[mine.length - 1]).toMatchObject({ method: "GET", status: 200, path: `${REG_ID}/tokens/${name}` });
  });

  test("raw: 201 with a signed Azure-AsyncOperation named after x-ms-client-request-id, Retry-After, body Creating; InProgress then Succeeded", async () => {
    await control("PUT", "/acr/operations", { durationMs: 600, retryAfterSeconds: 7 });
    const name = uniqueName();
    const clientRequestId = "0d74fd60-509f-4145-9b76-ccdba06a84d6";
    const put = await arm("PUT", `${REG_ID}/tokens/${name}`, { properties: { scopeMapId: MAP_ID } }, { "x-ms-client-request-id": clientRequestId });
    expect(put.status).toBe(201);
    expect(put.headers["retry-after"]).toBe("7");
    const op = String(put.headers["azure-asyncoperation"]);
    expect(op).toMatch(
      new RegExp(`^${info.armEndpoint.replace(/\./g, "\\.")}${REG_ID}/tokens/${name}/operationStatuses/token-${clientRequestId}\\?api-version=${API}&t=\\d{18}&c=[\\w-]+&s=[\\w-]{300,}&h=[\\w-]{43}$`),
    );
    expect(put.json).toMatchObject({ name, properties: { provisioningState: "Creating", scopeMapId: MAP_ID, credentials: { passwords: [] }, status: "enabled" } });
    expect(put.json.properties.creationDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}\+00:00$/);
    expect(Object.keys(put.json)).toEqual(["type", "id", "name", "systemData", "properties"]);

    const first = await arm("GET", op.slice(info.armEndpoint.length));
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ status: "InProgress" });
    expect(first.headers["retry-after"]).toBe("7");
    expect(first.headers["azure-asyncoperation"]).toBe(op);
    const during = await arm("GET", `${REG_ID}/tokens/${name}`);
    expect(during.json.properties.provisioningState).toBe("Creating");
    await sleep(700);
    const done = await arm("GET", op.slice(info.armEndpoint.length));
    expect(done.json).toEqual({ status: "Succeeded" });
    expect(done.headers["retry-after"]).toBe("7");
    const after = await arm("GET", `${REG_ID}/tokens/${name}`);
    expect(after.json.properties.provisioningState).toBe("Succeeded");
  });

  test("a PUT on an existing token is an update: 200, no operation", async () => {
    const name = uniqueName();
    await client.tokens.create(RG, REG, name, { scopeMapId: MAP_ID });
    const pull = `${REG_ID}/scopeMaps/_repositories_pull`;
    const put = await arm("PUT", `${REG_ID}/tokens/${name}`, { properties: { scopeMapId: pull, status: "disabled" } });
    expect(put.status).toBe(200);
    expect(put.headers["azure-asyncoperation"]).toBeUndefined();
    expect(put.json.properties).toMatchObject({ provisioningState: "Succeeded", scopeMapId: pull, status: "disabled" });
  });

  test("a failed operation (control API): status Failed with the error; the SDK reports it; the token is Failed", async () => {
    await control("PUT", "/acr/operations", { failNext: 1, failCode: "QuotaExceeded", failMessage: "Too many tokens." });
    const name = uniqueName();
    await expect(client.tokens.create(RG, REG, name, { scopeMapId: MAP_ID })).rejects.toThrow(/failed/i);
    const t = await client.tokens.get(RG, REG, name);
    expect(t.provisioningState).toBe("Failed");
    const settings = await control("GET", "/acr/operations");
    expect(settings.body.failNext).toBe(0);
    // Raw: the status monitor's body.
    await control("PUT", "/acr/operations", { reset: true, failNext: 1, durationMs: 0 });
    const other = uniqueName();
    const put = await arm("PUT", `${REG_ID}/tokens/${other}`, { properties: { scopeMapId: MAP_ID } });
    const status = await arm("GET", String(put.headers["azure-asyncoperation"]).slice(info.armEndpoint.length));
    expect(status.json).toEqual({ status: "Failed", error: { code: "InternalServerError", message: expect.any(String) } });
  });

  test("error envelopes: 404 (token, scope map, registry), 400 (scope map id, name, status), 409 (operation in progress)", async () => {
    const missing = await arm("GET", `${REG_ID}/tokens/nosuchtoken`);
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { code: "ResourceNotFound", message: "The resource nosuchtoken could not be found." }, status: "Failed" });
    expect(missing.headers["x-ms-request-id"]).toMatch(/^[0-9a-f-]{36}$/);

    const noMap = await arm("PUT", `${REG_ID}/tokens/${uniqueName()}`, { properties: { scopeMapId: `${REG_ID}/scopeMaps/nomap` } });
    expect(noMap.status).toBe(404);
    expect(noMap.json.error).toEqual({ code: "ResourceNotFound", message: "The resource nomap could not be found." });

    const foreign = await arm("PUT", `${REG_ID}/tokens/${uniqueName()}`, { properties: { scopeMapId: "/subscriptions/x/scopeMaps/y" } });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.code).toBe("InvalidScopeMapId");
    const none = await arm("PUT", `${REG_ID}/tokens/${uniqueName()}`, { properties: {} });
    expect(none.status).toBe(400);
    const badName = await arm("PUT", `${REG_ID}/tokens/bad_name`, { properties: { scopeMapId: MAP_ID } });
    expect(badName.status).toBe(400);
    expect(badName.json.error.code).toBe("InvalidResourceName");
    const badStatus = await arm("PUT", `${REG_ID}/tokens/${uniqueName()}`, { properties: { scopeMapId: MAP_ID, status: "paused" } });
    expect(badStatus.status).toBe(400);

    await control("PUT", "/acr/operations", { durationMs: 5000 });
    const name = uniqueName();
    expect((await arm("PUT", `${REG_ID}/tokens/${name}`, { properties: { scopeMapId: MAP_ID } })).status).toBe(201);
    const again = await arm("PUT", `${REG_ID}/tokens/${name}`, { properties: { scopeMapId: MAP_ID } });
    expect(again.status).toBe(409);
    expect(again.json.status).toBe("Failed");

    const noRegistry = await arm("GET", `/subscriptions/${SUB}/resourceGroups/${RG}/providers/Microsoft.ContainerRegistry/registries/nosuchreg/tokens/abcde`);
    expect(noRegistry.status).toBe(404);
    expect(noRegistry.json.error.message).toMatch(/^The Resource 'Microsoft.ContainerRegistry\/registries\/nosuchreg' under resource group 'lnxtest' was not found/);

    // The SDK's RestError carries the code.
    await expect(client.tokens.get(RG, REG, "nosuchtoken")).rejects.toMatchObject({ statusCode: 404, code: "ResourceNotFound" });
  });
});

describe("generateCredentials", () => {
  const ALPHABET = /^[A-Za-z0-9+/=]{32}$/;

  test("both passwords, 32 characters, username = token name; the token keeps only their metadata", async () => {
    const name = uniqueName();
    const t = await client.tokens.create(RG, REG, name, { scopeMapId: MAP_ID });
    const r = await client.registries.generateCredentials(RG, REG, { tokenId: t.id! });
    expect(r.username).toBe(name);
    expect(r.passwords!.map((p) => p.name)).toEqual(["password1", "password2"]);
    for (const p of r.passwords!) expect(p.value).toMatch(ALPHABET);
    expect(r.passwords![0].value).not.toBe(r.passwords![1].value);
    const after = await arm("GET", `${REG_ID}/tokens/${name}`);
    expect(after.json.properties.credentials.passwords.map((p: any) => Object.keys(p))).toEqual([["creationTime", "name"], ["creationTime", "name"]]);
    expect(after.text).not.toContain(r.passwords![0].value!);
  });

  test("one password by name, with an expiry; 202 + Location when asked (the SDK follows it), values once", async () => {
    const name = uniqueName();
    const t = await client.tokens.create(RG, REG, name, { scopeMapId: MAP_ID });
    const expiry = new Date(Date.now() + 86400_000);
    const one = await arm("POST", `${REG_ID}/generateCredentials`, { tokenId: t.id, name: "password2", expiry: expiry.toISOString() });
    expect(one.status).toBe(200);
    expect(one.json.passwords).toHaveLength(1);
    expect(Object.keys(one.json.passwords[0])).toEqual(["creationTime", "expiry", "name", "value"]);
    expect(one.json.passwords[0].name).toBe("password2");

    await control("PUT", "/acr/operations", { credentialsLro: true, durationMs: 200 });
    const started = await arm("POST", `${REG_ID}/generateCredentials`, { tokenId: t.id });
    expect(started.status).toBe(202);
    const location = String(started.headers.location).slice(info.armEndpoint.length);
    expect((await arm("GET", location)).status).toBe(202);
    await sleep(300);
    const result = await arm("GET", location);
    expect(result.status).toBe(200);
    expect(result.json.passwords).toHaveLength(2);
    expect((await arm("GET", location)).status).toBe(404); // shown once
    const viaSdk = await client.registries.generateCredentials(RG, REG, { tokenId: t.id!, name: "password1" });
    expect(viaSdk.passwords![0].value).toMatch(ALPHABET);

    const bad = await arm("POST", `${REG_ID}/generateCredentials`, { tokenId: "nonsense" });
    expect(bad.status).toBe(400);
    const gone = await arm("POST", `${REG_ID}/generateCredentials`, { tokenId: `${REG_ID}/tokens/nosuchtoken` });
    expect(gone.status).toBe(404);
  });
});

describe("control API: /_emulator/acr/operations", () => {
  test("reads, changes the given fields, refuses bad values, resets", async () => {
    expect((await control("GET", "/acr/operations")).body).toEqual({ durationMs: 300, retryAfterSeconds: 0, failNext: 0, credentialsLro: false });
    expect((await control("PUT", "/acr/operations", { retryAfterSeconds: 10 })).body).toMatchObject({ durationMs: 300, retryAfterSeconds: 10 });
    for (const bad of [{ durationMs: -1 }, { retryAfterSeconds: 1.5 }, { failNext: "x" }, { failCode: "" }, { credentialsLro: "yes" }]) {
      const r = await control("PUT", "/acr/operations", bad);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("BadRequest");
    }
    expect((await control("POST", "/acr/operations", {})).status).toBe(405);
    expect((await control("PUT", "/acr/operations", { reset: true })).body).toEqual({ durationMs: 1500, retryAfterSeconds: 1, failNext: 0, credentialsLro: false });
    // The setting reaches the wire.
    await control("PUT", "/acr/operations", { retryAfterSeconds: 10 });
    const put = await arm("PUT", `${REG_ID}/tokens/${uniqueName()}`, { properties: { scopeMapId: MAP_ID } });
    expect(put.headers["retry-after"]).toBe("10");
  });
});
