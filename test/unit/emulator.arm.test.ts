/**
 * ARM-level routes the real Azure CLI needs (arm/metadata.ts, arm/resources.ts) and the container
 * registry's Tokens_Delete, over raw HTTPS: the cloud metadata document (no token), the generic
 * resource list with its $filter, and a token deleted (200, then 204 and 404).
 */
import * as fs from "node:fs";
import { ClientSecretCredential } from "@azure/identity";
import * as tls from "node:tls";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";
import { EmulatorHttp, emulatorHttp, RawResponse } from "../support/emulatorHttp";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const APIM_ID = `/subscriptions/${SUB}/resourceGroups/powershelltest/providers/Microsoft.ApiManagement/service/powershellsdkservice`;

let emulator: RunningEmulator;
let info: EmulatorInfo;
let raw: EmulatorHttp["raw"];
let control: EmulatorHttp["control"];
let requestLog: EmulatorHttp["requestLog"];

async function tokenFor(clientId: string, secret: string): Promise<string> {
  const credential = new ClientSecretCredential(info.tenantId, clientId, secret, { authorityHost: info.authorityHost, disableInstanceDiscovery: true });
  return (await credential.getToken("https://management.azure.com/.default"))!.token;
}

async function arm(method: string, pathAndQuery: string, token?: string, body?: unknown): Promise<RawResponse> {
  return raw(method, pathAndQuery, {
    headers: { authorization: `Bearer ${token ?? (await tokenFor(info.clientId, info.clientSecret))}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  const ca = fs.readFileSync(info.caFile, "utf8");
  ({ raw, control, requestLog } = emulatorHttp(info, ca));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
});
afterAll(async () => emulator?.close());

describe("GET /metadata/endpoints (cloud metadata, no token)", () => {
  test("api-version 2015-01-01: ARM's document with the emulator as login endpoint and ARM's audiences", async () => {
    const r = await raw("GET", "/metadata/endpoints?api-version=2015-01-01");
    expect(r.status).toBe(200);
    expect(r.headers["content-type"]).toBe("application/json; charset=utf-8");
    expect(r.json).toEqual({
      galleryEndpoint: "https://gallery.azure.com/",
      graphEndpoint: "https://graph.windows.net/",
      portalEndpoint: "https://portal.azure.com/",
      authentication: { loginEndpoint: `${info.authorityHost}/`, audiences: ["https://management.core.windows.net/", "https://management.azure.com/"] },
    });
    expect(Object.keys(r.json)).toEqual(["galleryEndpoint", "graphEndpoint", "portalEndpoint", "authentication"]);
  });

  test("api-version 2019-05-01: a list of clouds; this one names the emulator as resource manager and login endpoint", async () => {
    const r = await raw("GET", "/metadata/endpoints?api-version=2019-05-01");
    expect(r.status).toBe(200);
    expect(Array.isArray(r.json)).toBe(true);
    expect(r.json).toHaveLength(1);
    expect(r.json[0]).toMatchObject({
      name: "AzTokenBridgeEmulator",
      resourceManager: `${info.armEndpoint}/`,
      authentication: { loginEndpoint: `${info.authorityHost}/`, audiences: ["https://management.core.windows.net/", "https://management.azure.com/"], tenant: "common", identityProvider: "AAD" },
      suffixes: { acrLoginServer: "azurecr.io" },
    });
  });

  test("no api-version, an unknown one, another method, another path: ARM errors; logged as arm", async () => {
    await control("DELETE", "/requests");
    expect((await raw("GET", "/metadata/endpoints")).json.error.code).toBe("MissingApiVersionParameter");
    const bad = await raw("GET", "/metadata/endpoints?api-version=2099-01-01");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("InvalidApiVersionParameter");
    expect((await raw("POST", "/metadata/endpoints?api-version=2015-01-01")).status).toBe(405);
    expect((await raw("GET", "/metadata/other?api-version=2015-01-01")).status).toBe(404);
    const log = await requestLog();
    expect(log.map((e) => [e.service, e.status])).toEqual([["arm", 400], ["arm", 400], ["arm", 405], ["arm", 404]]);
  });
});

describe("GET …/resources (ARM's generic resource list)", () => {
  test("every resource of the subscription in ARM's generic envelope (no properties, normalized location)", async () => {
    const r = await arm("GET", `/subscriptions/${SUB}/resources?api-version=2021-04-01`);
    expect(r.status).toBe(200);
    expect(r.headers["server"]).toBeUndefined(); // answered by ARM, not by a resource provider
    const byId = Object.fromEntries((r.json.value as Record<string, unknown>[]).map((v) => [v.id, v]));
    expect(Object.keys(byId).sort()).toEqual([APIM_ID, REG_ID].sort());
    expect(Object.keys(byId[REG_ID])).toEqual(["id", "name", "type", "sku", "location", "tags", "systemData"]);
    expect(byId[REG_ID]).toMatchObject({ name: "lnxcr", type: "Microsoft.ContainerRegistry/registries", sku: { name: "Premium", tier: "Premium" }, location: "eastus", tags: {} });
    expect((byId[REG_ID].systemData as Record<string, string>).createdAt).toMatch(/Z$/);
    expect(byId[APIM_ID]).toMatchObject({ name: "powershellsdkservice", type: "Microsoft.ApiManagement/service", location: "westus2" });
    expect(byId[APIM_ID]).not.toHaveProperty("properties");
  });

  test("$filter as az sends it (resourceType eq …), with name / resourceGroup; case-insensitive; per resource group", async () => {
    const f = (filter: string) => arm("GET", `/subscriptions/${SUB}/resources?$filter=${encodeURIComponent(filter)}&api-version=2021-04-01`);
    const names = async (filter: string) => ((await f(filter)).json.value as { name: string }[]).map((v) => v.name);
    expect(await names("resourceType eq 'Microsoft.ContainerRegistry/registries'")).toEqual(["lnxcr"]);
    expect(await names("resourcetype EQ 'microsoft.containerregistry/REGISTRIES' and name eq 'LNXCR'")).toEqual(["lnxcr"]);
    expect(await names("resourceType eq 'Microsoft.ContainerRegistry/registries' and name eq 'other'")).toEqual([]);
    expect(await names("resourceGroup eq 'powershelltest'")).toEqual(["powershellsdkservice"]);
    const inGroup = await arm("GET", `/subscriptions/${SUB}/resourceGroups/lnxtest/resources?api-version=2021-04-01`);
    expect((inGroup.json.value as { name: string }[]).map((v) => v.name)).toEqual(["lnxcr"]);
    const bad = await f("substringof('lnx', name)");
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("InvalidFilterInQueryString");
  });

  test("authorization: an app without a role gets 403 AuthorizationFailed for Microsoft.Resources/subscriptions/resources/read", async () => {
    const app = (await control("POST", "/apps", { access: "none" })).body;
    const token = await tokenFor(app.clientId, app.clientSecret);
    const r = await arm("GET", `/subscriptions/${SUB}/resources?api-version=2021-04-01`, token);
    expect(r.status).toBe(403);
    expect(r.json.error.code).toBe("AuthorizationFailed");
    expect(r.json.error.message).toContain("'Microsoft.Resources/subscriptions/resources/read' over scope '/subscriptions/" + SUB + "'");
  });
});

describe("Tokens_Delete", () => {
  test("200 and gone (GET 404, not listed); a second DELETE answers 204", async () => {
    await control("PUT", "/acr/operations", { reset: true, durationMs: 0 });
    const api = "api-version=2020-11-01-preview";
    const put = await arm("PUT", `${REG_ID}/tokens/deleteme?${api}`, undefined, { properties: { scopeMapId: `${REG_ID}/scopeMaps/newmap` } });
    expect(put.status).toBe(201);
    const del = await arm("DELETE", `${REG_ID}/tokens/deleteme?${api}`);
    expect(del.status).toBe(200);
    expect(del.text).toBe("");
    expect(del.headers["server"]).toBe("Microsoft-HTTPAPI/2.0");
    expect((await arm("GET", `${REG_ID}/tokens/deleteme?${api}`)).status).toBe(404);
    expect(((await arm("GET", `${REG_ID}/tokens?${api}`)).json.value as { name: string }[]).map((t) => t.name)).not.toContain("deleteme");
    expect((await arm("DELETE", `${REG_ID}/tokens/deleteme?${api}`)).status).toBe(204);
  });
});
