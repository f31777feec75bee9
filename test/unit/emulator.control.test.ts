/**
 * The emulator's control API (/_emulator): injected faults (429 with Retry-After, 5xx, dropped
 * connections), the request log (and that it holds no secret), latency, and the keys endpoint.
 * Uses the real SDKs against an in-process emulator, plus raw HTTPS.
 */
import * as fs from "node:fs";
import { EmulatorHttp, emulatorHttp } from "../support/emulatorHttp";
import * as https from "node:https";
import * as tls from "node:tls";
import { ClientSecretCredential } from "@azure/identity";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";

const RG = "powershelltest";
const SVC = "powershellsdkservice";

let emulator: RunningEmulator;
let info: EmulatorInfo;
let ca: string;

let raw: EmulatorHttp["raw"];
let control: EmulatorHttp["control"];

const newCredential = () =>
  new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, { authorityHost: info.authorityHost, disableInstanceDiscovery: true });

const newClient = (maxRetries: number, credential = newCredential()) =>
  new ApiManagementClient(credential, info.subscriptionId, {
    endpoint: info.armEndpoint,
    credentialScopes: ["https://management.azure.com/.default"],
    retryOptions: { maxRetries, retryDelayInMs: 10, maxRetryDelayInMs: 50 },
  });

const svcPath = `/subscriptions/${"{sub}"}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${SVC}`;
const path = (p: string) => svcPath.replace("{sub}", info.subscriptionId) + p;

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ca = fs.readFileSync(info.caFile, "utf8");
  ({ raw, control } = emulatorHttp(info, ca, { agent: false }));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  await control("DELETE", "/faults");
  await control("DELETE", "/requests");
  await control("PUT", "/latency", { ms: 0 });
});

describe("faults", () => {
  test("429 on ARM: Retry-After and ARM's throttling envelope, then back to normal", async () => {
    const client = newClient(0);
    await client.user.get(RG, SVC, "1"); // signs in first, so the fault hits the ARM call

    const created = await control("POST", "/faults", { match: { service: "arm", method: "GET", pathContains: "/users/1" }, status: 429, retryAfterSeconds: 7, count: 1 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ status: 429, remaining: 1, retryAfterSeconds: 7 });
    expect((await control("GET", "/faults")).body).toHaveLength(1);

    try {
      await client.user.get(RG, SVC, "1");
      throw new Error("expected a 429");
    } catch (e: any) {
      expect(e.statusCode).toBe(429);
      expect(e.code).toBe("TooManyRequests");
      expect(e.response.headers.get("retry-after")).toBe("7");
      expect(e.response.headers.get("x-ms-correlation-request-id")).toBeTruthy();
    }
    // Consumed: the fault is gone and the same call works again.
    expect((await control("GET", "/faults")).body).toEqual([]);
    expect((await client.user.get(RG, SVC, "1")).firstName).toBe("Administrator");

    const log = (await control("GET", "/requests")).body as any[];
    const faulted = log.filter((e) => e.fault === created.body.id);
    expect(faulted).toHaveLength(1);
    expect(faulted[0]).toMatchObject({ service: "arm", method: "GET", status: 429 });
  });

  test("the SDK's retry policy honours Retry-After and succeeds after the fault", async () => {
    const client = newClient(3);
    await client.user.get(RG, SVC, "1");
    await control("DELETE", "/requests");
    await control("POST", "/faults", { match: { pathContains: "tenant/access" }, status: 429, retryAfterSeconds: 1, count: 2 });
    const started = Date.now();
    const access = await client.tenantAccess.get(RG, SVC, "access");
    expect(access.principalId).toBe("integration");
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const statuses = ((await control("GET", "/requests")).body as any[]).map((e) => e.status);
    expect(statuses).toEqual([429, 429, 200]);
  });

  test("429 body on the wire; 500 / 503 envelopes; custom body; count", async () => {
    await control("POST", "/faults", { match: { service: "arm" }, status: 429, count: 1 });
    const throttled = await raw("GET", path("?api-version=2024-05-01"));
    expect(throttled.status).toBe(429);
    expect(throttled.headers["retry-after"]).toBe("1");
    expect(throttled.json).toEqual({ error: { code: "TooManyRequests", message: "The request is being throttled." } });

    await control("POST", "/faults", { match: { service: "arm" }, status: 500, count: 2 });
    for (let i = 0; i < 2; i++) {
      const r = await raw("GET", path("?api-version=2024-05-01"));
      expect(r.status).toBe(500);
      expect(r.json.error.code).toBe("InternalServerError");
      expect(r.json.error.message).toMatch(/^Encountered internal server error\. Diagnostic information: timestamp '\d{8}T\d{6}Z', subscription id '/);
      expect(r.headers["retry-after"]).toBeUndefined();
    }
    // count exhausted: the next answer is the real one (401, no token).
    expect((await raw("GET", path("?api-version=2024-05-01"))).status).toBe(401);

    await control("POST", "/faults", { match: { service: "arm" }, status: 503, retryAfterSeconds: 3, body: { error: { code: "Custom", message: "custom" } } });
    const custom = await raw("GET", path("?api-version=2024-05-01"));
    expect(custom.status).toBe(503);
    expect(custom.headers["retry-after"]).toBe("3");
    expect(custom.json).toEqual({ error: { code: "Custom", message: "custom" } });
  });

  test("Entra ID faults use Entra's envelope; @azure/identity surfaces them", async () => {
    await control("POST", "/faults", { match: { service: "entra", pathContains: "oauth2/v2.0/token" }, status: 503, count: 5 });
    const r = await raw("POST", `/${info.tenantId}/oauth2/v2.0/token`, { headers: { "content-type": "application/x-www-form-urlencoded" }, body: "grant_type=client_credentials" });
    expect(r.status).toBe(503);
    expect(r.json.error).toBe("temporarily_unavailable");
    expect(r.json.error_codes).toEqual([90033]);
    await expect(newCredential().getToken("https://management.azure.com/.default")).rejects.toThrow();
    await control("DELETE", "/faults");
    expect((await newCredential().getToken("https://management.azure.com/.default"))?.token).toBeTruthy();
  });

  test("reset drops the connection; matching is by service, method and path", async () => {
    await control("POST", "/faults", { match: { service: "arm", method: "POST" }, reset: true });
    // Not matching (GET): answered normally.
    expect((await raw("GET", path("?api-version=2024-05-01"))).status).toBe(401);
    await expect(raw("POST", path("/tenant/access/listSecrets?api-version=2024-05-01"))).rejects.toThrow(/socket hang up|ECONNRESET/);
    const log = (await control("GET", "/requests")).body as any[];
    expect(log.map((e) => e.status)).toEqual([401, 0]);
  });

  test("invalid fault specs are rejected", async () => {
    for (const spec of [{ status: 200 }, { status: 429, count: 0 }, { match: { service: "graph" }, status: 500 }, { status: 429, retryAfterSeconds: -1 }, "x"]) {
      const r = await control("POST", "/faults", spec);
      expect(r.status).toBe(400);
      expect(r.body.error.code).toBe("BadRequest");
    }
    expect((await control("GET", "/faults")).body).toEqual([]);
  });
});

describe("request log", () => {
  test("records Entra and ARM requests with non-secret facts, and never a secret", async () => {
    const credential = newCredential();
    const client = newClient(0, credential);
    const expiry = new Date(Date.now() + 3600_000);
    const sas = (await client.user.getSharedAccessToken(RG, SVC, "integration", { keyType: "primary", expiry })).value!;
    const secrets = await client.tenantAccess.listSecrets(RG, SVC, "access");
    const userKeys = (await control("GET", "/apim/users/1/keys")).body;
    const accessToken = (await credential.getToken("https://management.azure.com/.default"))!.token;
    // A secret-looking query parameter is redacted.
    await raw("GET", path(`?api-version=2024-05-01&client_secret=${encodeURIComponent(info.clientSecret)}&sig=abc`), {
      headers: { authorization: `Bearer ${accessToken}` },
    });

    const log = (await control("GET", "/requests")).body as any[];
    const text = JSON.stringify(log);
    for (const secret of [info.clientSecret, accessToken, accessToken.split(".")[2], sas, sas.split("&")[2], secrets.primaryKey!, secrets.secondaryKey!, userKeys.primaryKey, userKeys.secondaryKey]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/authorization|bearer/i);

    // msal-node fetches the OpenID metadata, then the token. (@azure/identity keeps separate clients for
    // CAE and non-CAE requests, so the SDK's calls and the direct getToken may each sign in once.)
    const entra = log.filter((e) => e.service === "entra");
    expect(entra.length).toBeGreaterThanOrEqual(2);
    expect(`${entra[0].method} ${entra[0].path}`).toBe(`GET /${info.tenantId}/v2.0/.well-known/openid-configuration`);
    const tokenPosts = entra.filter((e) => e.method === "POST");
    expect(tokenPosts.length).toBeGreaterThanOrEqual(1);
    for (const e of entra) {
      expect([`/${info.tenantId}/v2.0/.well-known/openid-configuration`, `/${info.tenantId}/oauth2/v2.0/token`]).toContain(e.path);
    }
    for (const e of tokenPosts) {
      expect(e).toMatchObject({ status: 200, grantType: "client_credentials", clientId: info.clientId, resource: "https://management.azure.com" });
    }

    const tokenCall = log.find((e) => e.path.endsWith("/users/integration/token"));
    expect(tokenCall).toMatchObject({
      service: "arm",
      method: "POST",
      status: 200,
      query: { "api-version": "2024-05-01" },
      subscriptionId: info.subscriptionId,
      userId: "integration",
      keyType: "primary",
      clientId: info.clientId,
    });
    expect(typeof tokenCall.durationMs).toBe("number");
    expect(tokenCall.seq).toBeGreaterThan(tokenPosts[0].seq);

    const redacted = log[log.length - 1];
    expect(redacted.query).toEqual({ "api-version": "2024-05-01", client_secret: "[redacted]", sig: "[redacted]" });

    expect((await control("DELETE", "/requests")).status).toBe(204);
    expect((await control("GET", "/requests")).body).toEqual([]);
  });

  test("control calls are not logged; GET /_emulator shows no secret", async () => {
    const status = await control("GET", "");
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({ armEndpoint: info.armEndpoint, tenantId: info.tenantId, latencyMs: 0 });
    expect(JSON.stringify(status.body)).not.toContain(info.clientSecret);
    expect((await control("GET", "/requests")).body).toEqual([]);
  });
});

describe("latency", () => {
  test("PUT /_emulator/latency delays ARM and Entra answers, not control answers", async () => {
    expect((await control("PUT", "/latency", { ms: 400 })).body).toEqual({ ms: 400 });
    expect((await control("GET", "/latency")).body).toEqual({ ms: 400 });

    let t = Date.now();
    expect((await raw("GET", path("?api-version=2024-05-01"))).status).toBe(401);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    t = Date.now();
    await raw("GET", `/${info.tenantId}/v2.0/.well-known/openid-configuration`);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    t = Date.now();
    await control("GET", "/faults");
    expect(Date.now() - t).toBeLessThan(390);

    const log = (await control("GET", "/requests")).body as any[];
    expect(log.map((e) => e.latencyMs)).toEqual([400, 400]);
    expect(log[0].durationMs).toBeGreaterThanOrEqual(390);

    await control("PUT", "/latency", { ms: 0 });
    t = Date.now();
    await raw("GET", path("?api-version=2024-05-01"));
    expect(Date.now() - t).toBeLessThan(390);
  });

  test("invalid latency values are rejected", async () => {
    for (const body of [{ ms: -1 }, { ms: 1.5 }, { ms: "100" }, {}, { ms: 600_001 }]) {
      expect((await control("PUT", "/latency", body)).status).toBe(400);
    }
    expect((await control("GET", "/latency")).body).toEqual({ ms: 0 });
  });

  test("startEmulator({ latencyMs }) sets the initial latency; a second emulator's CA is trusted alongside the first", async () => {
    const slow = await startEmulator({ port: 0, latencyMs: 300 });
    try {
      // Both emulators' certificates in the default store (as in the module's long-lived server):
      // each must still verify (they must not share a subject name).
      tls.setDefaultCACertificates([...tls.getCACertificates("default"), fs.readFileSync(slow.info.caFile, "utf8")]);
      const started = Date.now();
      const status = await new Promise<number>((resolve, reject) => {
        https
          .get(new URL(`/${slow.info.tenantId}/discovery/v2.0/keys`, slow.info.authorityHost), { agent: false }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          })
          .on("error", reject);
      });
      expect(status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      // The first emulator, through the default store too.
      const first = await newCredential().getToken("https://management.azure.com/.default");
      expect(first?.token).toBeTruthy();
    } finally {
      await slow.close();
    }
    expect(fs.existsSync(slow.info.caFile)).toBe(false);
  });
});

describe("close", () => {
  test("close() does not wait for answers still in their latency; the CA file is removed", async () => {
    const slow = await startEmulator({ port: 0, latencyMs: 20_000 });
    const slowCa = fs.readFileSync(slow.info.caFile, "utf8");
    const pending = new Promise<string>((resolve) => {
      https
        .get(new URL(`/${slow.info.tenantId}/discovery/v2.0/keys`, slow.info.authorityHost), { ca: slowCa, agent: false }, (res) => resolve(`answered ${res.statusCode}`))
        .on("error", (e) => resolve(`error ${e.message}`));
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    await slow.close();
    expect(Date.now() - started).toBeLessThan(2000);
    expect(await pending).toMatch(/^error /);
    expect(fs.existsSync(slow.info.caFile)).toBe(false);
    await slow.close(); // idempotent
  });
});

describe("keys endpoint", () => {
  test("per-user keys for users, tenant access keys for integration / git, 404 otherwise", async () => {
    const user = (await control("GET", "/apim/users/1/keys")).body;
    expect(user).toMatchObject({ serviceName: SVC, userId: "1" });
    expect(user.primaryKey).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    const git = (await control("GET", "/apim/users/git/keys")).body;
    const integration = (await control("GET", "/apim/users/integration/keys")).body;
    expect(new Set([user.primaryKey, git.primaryKey, integration.primaryKey]).size).toBe(3);
    expect((await control("GET", "/apim/users/nosuchuser/keys")).status).toBe(404);
    expect((await control("GET", "/apim/users/1/keys?service=nosuchservice")).status).toBe(404);
  });
});
