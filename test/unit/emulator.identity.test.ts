/**
 * The emulator's sign-in options beyond client secrets, driven by the real @azure/identity 4.14.1
 * credentials and @azure/arm-apimanagement: certificate credentials (client assertions), workload
 * identity federation (OIDC issuer + federated credentials), the App Service managed identity
 * endpoint, and ARM's role-based authorization (403 AuthorizationFailed).
 */
import { createHash, createPublicKey, createSign, createVerify, generateKeyPairSync, KeyObject, X509Certificate } from "node:crypto";
import { EmulatorHttp, emulatorHttp, RawResponse } from "../support/emulatorHttp";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { ClientCertificateCredential, ClientSecretCredential, WorkloadIdentityCredential } from "@azure/identity";
import type { TokenCredential } from "@azure/core-auth";
import { ApiManagementClient } from "@azure/arm-apimanagement";
import { generate } from "selfsigned";
import { startEmulator, RunningEmulator, EmulatorInfo } from "../../src/emulator";

const RG = "powershelltest";
const SVC = "powershellsdkservice";
const ARM_SCOPE = "https://management.azure.com/.default";
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

let emulator: RunningEmulator;
let info: EmulatorInfo;
let ca: string;
let tmp: string;

let raw: EmulatorHttp["raw"];
let control: EmulatorHttp["control"];

function tokenRequest(fields: Record<string, string>, tenant = info.tenantId): Promise<RawResponse> {
  return raw("POST", `/${tenant}/oauth2/v2.0/token`, {
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields).toString(),
  });
}

function decodeJwt(token: string): { header: any; payload: any } {
  const [h, p] = token.split(".");
  return { header: JSON.parse(Buffer.from(h, "base64url").toString()), payload: JSON.parse(Buffer.from(p, "base64url").toString()) };
}

/** A request-log entry of the token endpoint (msal also fetches the OpenID metadata). */
const isTokenRequest = (e: any): boolean => e.service === "entra" && /\/oauth2\/v2\.0\/token$/.test(e.path);

const authOptions = () => ({ authorityHost: info.authorityHost, disableInstanceDiscovery: true });

function armClient(credential: TokenCredential): ApiManagementClient {
  return new ApiManagementClient(credential, info.subscriptionId, {
    endpoint: info.armEndpoint,
    credentialScopes: [ARM_SCOPE],
    retryOptions: { maxRetries: 0 },
  });
}

/** A fresh self-signed certificate + key (PEM), not registered anywhere. */
async function strangerCertificate(): Promise<{ cert: string; key: string }> {
  const pems = await generate([{ name: "commonName", value: "not registered" }], { keySize: 2048, algorithm: "sha256" });
  return { cert: pems.cert, key: pems.private };
}

/** Signs a client assertion by hand (own code, not the emulator's): RS256 + x5t or PS256 + x5t#S256. */
function signAssertion(
  key: KeyObject,
  certPem: string,
  claims: Record<string, unknown>,
  alg: "RS256" | "PS256" = "RS256",
): string {
  const der = new X509Certificate(certPem).raw;
  const header =
    alg === "RS256"
      ? { alg, typ: "JWT", x5t: createHash("sha1").update(der).digest("base64url") }
      : { alg, typ: "JWT", "x5t#S256": createHash("sha256").update(der).digest("base64url") };
  const input = `${Buffer.from(JSON.stringify(header)).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}`;
  const sig =
    alg === "RS256"
      ? createSign("RSA-SHA256").update(input).sign(key)
      : createSign("RSA-SHA256").update(input).sign({ key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 });
  return `${input}.${sig.toString("base64url")}`;
}

function demoCertificate(): { certPem: string; key: KeyObject } {
  const pem = fs.readFileSync(info.certificatePath, "utf8");
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)![0];
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(pem)![0];
  const { createPrivateKey } = require("node:crypto") as typeof import("node:crypto");
  return { certPem, key: createPrivateKey(keyPem) };
}

function assertionClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = Math.floor(Date.now() / 1000);
  return {
    aud: `${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`,
    iss: info.clientId,
    sub: info.clientId,
    jti: "5f0b1c2e-0000-4000-8000-000000000001",
    nbf: now,
    exp: now + 600,
    ...overrides,
  };
}

const clientCredentialsWith = (assertion: string): Record<string, string> => ({
  grant_type: "client_credentials",
  client_id: info.clientId,
  client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
  client_assertion: assertion,
  scope: ARM_SCOPE,
});

/** Sets env vars for the duration of `fn`, then restores them exactly. */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved: Record<string, string | undefined> = {};
  for (const k of Object.keys(vars)) saved[k] = process.env[k];
  try {
    for (const [k, v] of Object.entries(vars)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    return await fn();
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/**
 * A fresh copy of @azure/identity (and its msal-node). msal-node keeps the managed identity source
 * (endpoint + header, read from the environment on first use) and its token cache in static fields,
 * so each managed identity scenario needs its own module instance.
 */
function freshIdentityModule(): typeof import("@azure/identity") {
  let mod: typeof import("@azure/identity") | undefined;
  jest.isolateModules(() => {
    mod = require("@azure/identity");
  });
  return mod!;
}

const MI_ENV_CLEAR = {
  MSI_ENDPOINT: undefined,
  MSI_SECRET: undefined,
  IDENTITY_SERVER_THUMBPRINT: undefined,
  IMDS_ENDPOINT: undefined,
  AZURE_FEDERATED_TOKEN_FILE: undefined,
  AZURE_CLIENT_ID: undefined,
  AZURE_TENANT_ID: undefined,
};

beforeAll(async () => {
  emulator = await startEmulator({ port: 0 });
  info = emulator.info;
  ca = fs.readFileSync(info.caFile, "utf8");
  ({ raw, control } = emulatorHttp(info, ca));
  tls.setDefaultCACertificates([...tls.getCACertificates("default"), ca]);
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztokenbridge-identity-test-"));
});

afterAll(async () => {
  await emulator?.close();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe("EmulatorInfo: certificate, managed identity, OIDC issuer", () => {
  test("fields, the certificate file, and GET /_emulator without secrets", async () => {
    expect(info.managedIdentity).toEqual({
      endpoint: `${info.armEndpoint}/msi/token`,
      header: expect.stringMatching(/^[0-9A-F]{32}$/),
      clientId: expect.stringMatching(GUID),
      principalId: expect.stringMatching(GUID),
    });
    expect(info.oidcIssuer).toBe(`${info.armEndpoint}/oidc`);

    const pem = fs.readFileSync(info.certificatePath, "utf8");
    const certAt = pem.indexOf("-----BEGIN CERTIFICATE-----");
    const keyAt = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    expect(certAt).toBe(0);
    expect(keyAt).toBeGreaterThan(certAt);
    expect(pem).not.toContain("ENCRYPTED");
    if (process.platform !== "win32") expect(fs.statSync(info.certificatePath).mode & 0o077).toBe(0);
    // The key in the file belongs to the certificate in the file.
    const { certPem, key } = demoCertificate();
    expect(new X509Certificate(certPem).checkPrivateKey(key)).toBe(true);

    const status = await control("GET", "");
    const text = JSON.stringify(status.body);
    expect(status.body.managedIdentity).toEqual({ endpoint: info.managedIdentity.endpoint, clientId: info.managedIdentity.clientId, principalId: info.managedIdentity.principalId });
    expect(status.body.certificatePath).toBe(info.certificatePath);
    expect(text).not.toContain(info.managedIdentity.header);
    expect(text).not.toContain(info.clientSecret);
  });
});

describe("certificate credentials (client assertion)", () => {
  test("ClientCertificateCredential({ certificatePath }) signs in (PS256, x5t#S256) and ARM accepts the token", async () => {
    await control("DELETE", "/requests");
    const credential = new ClientCertificateCredential(info.tenantId, info.clientId, { certificatePath: info.certificatePath }, authOptions());
    const token = await credential.getToken(ARM_SCOPE);
    expect(decodeJwt(token.token).payload).toMatchObject({ appid: info.clientId, appidacr: "2", tid: info.tenantId });
    const service = await armClient(credential).apiManagementService.get(RG, SVC);
    expect(service.name).toBe(SVC);

    const log = (await control("GET", "/requests")).body as any[];
    const signIn = log.find(isTokenRequest);
    expect(signIn).toMatchObject({ status: 200, grantType: "client_credentials", clientId: info.clientId, credentialType: "certificate" });
    // @azure/identity 4.14 (msal-node 7) sends the SHA-256 thumbprint: the log names the certificate by it.
    const sha256 = createHash("sha256").update(new X509Certificate(demoCertificate().certPem).raw).digest("hex").toUpperCase();
    expect(signIn.certificateThumbprint).toBe(sha256);
  });

  test("RS256 + x5t (older MSALs) is accepted too; v1 token endpoint and domain audiences as well", async () => {
    const { certPem, key } = demoCertificate();
    for (const aud of [
      `${info.authorityHost}/${info.tenantId}/oauth2/v2.0/token`,
      `${info.authorityHost}/${info.tenantId}/oauth2/token`,
      `${info.authorityHost}/aztokenbridgedemo.onmicrosoft.com/oauth2/v2.0/token`,
    ]) {
      const r = await tokenRequest(clientCredentialsWith(signAssertion(key, certPem, assertionClaims({ aud }))));
      expect({ aud, status: r.status }).toEqual({ aud, status: 200 });
    }
    const ps = await tokenRequest(clientCredentialsWith(signAssertion(key, certPem, assertionClaims(), "PS256")));
    expect(ps.status).toBe(200);
  });

  test("a certificate that is not registered: AADSTS700027 through @azure/identity", async () => {
    const stranger = await strangerCertificate();
    const file = path.join(tmp, "stranger.pem");
    fs.writeFileSync(file, `${stranger.cert}\n${stranger.key}`, { mode: 0o600 });
    const credential = new ClientCertificateCredential(info.tenantId, info.clientId, { certificatePath: file }, authOptions());
    const error = await credential.getToken(ARM_SCOPE).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(error).toBeDefined();
    // @azure/identity wraps msal's ServerError (errorCode invalid_client) and keeps Entra's text.
    expect((error as any).cause?.errorCode).toBe("invalid_client");
    const sha256 = createHash("sha256").update(new X509Certificate(stranger.cert).raw).digest("hex").toUpperCase();
    expect(error!.message).toContain(
      "AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. " +
        `[Reason - The key was not found., Thumbprint of key used by client: '${sha256}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph ` +
        `to see configured keys for app Id '${info.clientId}'.`,
    );
  });

  test("the registered certificate with a different private key: AADSTS700027 invalid signature", async () => {
    const { certPem } = demoCertificate();
    const otherKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const file = path.join(tmp, "wrong-key.pem");
    fs.writeFileSync(file, `${certPem}\n${otherKey}`, { mode: 0o600 });
    const credential = new ClientCertificateCredential(info.tenantId, info.clientId, { certificatePath: file }, authOptions());
    await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(
      /AADSTS700027: Client assertion contains an invalid signature\. \[Reason - Key was found, but use of the key to verify the signature failed\., Thumbprint of key used by client: '[0-9A-F]{64}', Found key 'Start=\d\d\/\d\d\/\d{4} \d\d:\d\d:\d\d, End=/,
    );
  });

  test("expired assertion → AADSTS700024; wrong audience → AADSTS700023; sub ≠ client → AADSTS700021 (401 invalid_client)", async () => {
    const { certPem, key } = demoCertificate();
    const now = Math.floor(Date.now() / 1000);
    const expired = await tokenRequest(clientCredentialsWith(signAssertion(key, certPem, assertionClaims({ nbf: now - 7200, exp: now - 3600 }))));
    expect(expired.status).toBe(401);
    expect(expired.json.error).toBe("invalid_client");
    expect(expired.json.error_codes).toEqual([700024]);
    expect(expired.json.error_description).toMatch(
      /^AADSTS700024: Client assertion is not within its valid time range\. Current time: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z, assertion valid from \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.0000000Z, expiry time of assertion \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.0000000Z\. Review the documentation at https:\/\/learn\.microsoft\.com\/entra\/identity-platform\/certificate-credentials \.\r\nTrace ID: /,
    );

    const wrongAud = await tokenRequest(clientCredentialsWith(signAssertion(key, certPem, assertionClaims({ aud: "https://login.microsoftonline.com/common/oauth2/v2.0/token" }))));
    expect(wrongAud.status).toBe(401);
    expect(wrongAud.json.error_description).toMatch(/^AADSTS700023: Client assertion audience claim does not match Realm issuer\./);

    const wrongSub = await tokenRequest(clientCredentialsWith(signAssertion(key, certPem, assertionClaims({ sub: "someone-else" }))));
    expect(wrongSub.status).toBe(401);
    expect(wrongSub.json.error_codes).toEqual([700021]);

    const badType = await tokenRequest({ ...clientCredentialsWith(signAssertion(key, certPem, assertionClaims())), client_assertion_type: "urn:example:other" });
    expect(badType.status).toBe(400);
    expect(badType.json.error_codes).toEqual([90011]);
  });
});

describe("workload identity federation", () => {
  test("the OIDC issuer serves discovery and a JWKS that verifies its tokens", async () => {
    const minted = await control("POST", "/workload-identity/token", {});
    expect(minted.status).toBe(200);
    expect(minted.body).toEqual({ token: expect.any(String), subject: "system:serviceaccount:default:aztokenbridge", issuer: info.oidcIssuer });

    const discovery = await raw("GET", "/oidc/.well-known/openid-configuration");
    expect(discovery.status).toBe(200);
    expect(discovery.json).toMatchObject({ issuer: info.oidcIssuer, jwks_uri: `${info.oidcIssuer}/openid/v1/jwks`, id_token_signing_alg_values_supported: ["RS256"] });
    const jwks = await raw("GET", new URL(discovery.json.jwks_uri).pathname);
    expect(jwks.status).toBe(200);

    const { header, payload } = decodeJwt(minted.body.token);
    expect(header.alg).toBe("RS256");
    expect(payload).toMatchObject({ iss: info.oidcIssuer, sub: "system:serviceaccount:default:aztokenbridge", aud: ["api://AzureADTokenExchange"] });
    expect(payload.exp - payload.iat).toBe(3600);
    const jwk = jwks.json.keys.find((k: any) => k.kid === header.kid);
    expect(jwk).toMatchObject({ kty: "RSA", use: "sig", alg: "RS256" });
    const [h, p, s] = minted.body.token.split(".");
    const key = createPublicKey({ key: { kty: "RSA", n: jwk.n, e: jwk.e }, format: "jwk" });
    expect(createVerify("RSA-SHA256").update(`${h}.${p}`).verify(key, Buffer.from(s, "base64url"))).toBe(true);
  });

  test("WorkloadIdentityCredential with tokenFilePath signs in; ARM accepts the token", async () => {
    await control("DELETE", "/requests");
    const minted = await control("POST", "/workload-identity/token", {});
    const file = path.join(tmp, "federated-token");
    fs.writeFileSync(file, minted.body.token);
    const credential = new WorkloadIdentityCredential({ tenantId: info.tenantId, clientId: info.clientId, tokenFilePath: file, ...authOptions() });
    const token = await credential.getToken(ARM_SCOPE);
    expect(decodeJwt(token.token).payload).toMatchObject({ appid: info.clientId, oid: expect.stringMatching(GUID) });
    const user = await armClient(credential).user.get(RG, SVC, "1");
    expect(user.email).toBe("admin@contoso.com");

    const log = (await control("GET", "/requests")).body as any[];
    expect(log.find(isTokenRequest)).toMatchObject({
      status: 200,
      grantType: "client_credentials",
      clientId: info.clientId,
      credentialType: "federated",
      federatedSubject: "system:serviceaccount:default:aztokenbridge",
    });
  });

  test("a subject no federated credential names: AADSTS70021; after registering it, sign-in works", async () => {
    const subject = "system:serviceaccount:payments:worker";
    const minted = await control("POST", "/workload-identity/token", { subject });
    expect(minted.body.subject).toBe(subject);
    const file = path.join(tmp, "unregistered-token");
    fs.writeFileSync(file, minted.body.token);
    const credential = () => new WorkloadIdentityCredential({ tenantId: info.tenantId, clientId: info.clientId, tokenFilePath: file, ...authOptions() });
    await expect(credential().getToken(ARM_SCOPE)).rejects.toThrow(
      `AADSTS70021: No matching federated identity record found for presented assertion. Assertion Issuer: '${info.oidcIssuer}'. ` +
        `Assertion Subject: '${subject}'. Assertion Audience: 'api://AzureADTokenExchange'.`,
    );
    // On the wire: 400 invalid_request, as recorded.
    const wire = await tokenRequest(clientCredentialsWith(minted.body.token));
    expect(wire.status).toBe(400);
    expect(wire.json).toMatchObject({ error: "invalid_request", error_codes: [70021] });

    const added = await control("POST", `/apps/${info.clientId}/federated-credentials`, { subject });
    expect(added.status).toBe(201);
    expect(added.body).toMatchObject({ issuer: info.oidcIssuer, subject, audiences: ["api://AzureADTokenExchange"] });
    const listed = await control("GET", `/apps/${info.clientId}/federated-credentials`);
    expect(listed.body.map((f: any) => f.subject)).toEqual(["system:serviceaccount:default:aztokenbridge", subject]);
    await expect(credential().getToken(ARM_SCOPE)).resolves.toMatchObject({ token: expect.any(String) });
  });

  test("a forged token (right claims, another key) and an expired token are refused", async () => {
    const minted = await control("POST", "/workload-identity/token", {});
    const [h, p] = minted.body.token.split(".");
    const forgedKey = generateKeyPairSync("rsa", { modulusLength: 2048 }).privateKey;
    const forged = `${h}.${p}.${createSign("RSA-SHA256").update(`${h}.${p}`).sign(forgedKey).toString("base64url")}`;
    const r = await tokenRequest(clientCredentialsWith(forged));
    expect(r.status).toBe(401);
    expect(r.json.error_codes).toEqual([700027]);

    const expired = await control("POST", "/workload-identity/token", { expiresInSeconds: -3600 });
    const e = await tokenRequest(clientCredentialsWith(expired.body.token));
    expect(e.status).toBe(401);
    expect(e.json.error_codes).toEqual([700024]);
  });

  test("control API validation", async () => {
    expect((await control("POST", "/workload-identity/token", { clientId: "00000000-0000-4000-8000-000000000000" })).status).toBe(404);
    expect((await control("POST", "/workload-identity/token", { subject: 5 })).status).toBe(400);
    expect((await control("POST", `/apps/${info.clientId}/federated-credentials`, {})).status).toBe(400);
    expect((await control("POST", "/apps/00000000-0000-4000-8000-000000000000/federated-credentials", { subject: "x" })).status).toBe(404);
    expect((await control("POST", "/apps", { access: "owner" })).status).toBe(400);
  });
});

describe("App Service managed identity endpoint", () => {
  const miEnv = () => ({ ...MI_ENV_CLEAR, IDENTITY_ENDPOINT: info.managedIdentity.endpoint, IDENTITY_HEADER: info.managedIdentity.header });

  test("ManagedIdentityCredential (App Service flow) gets a token that ARM accepts", async () => {
    await control("DELETE", "/requests");
    await withEnv(miEnv(), async () => {
      const identity = freshIdentityModule();
      const credential = new identity.ManagedIdentityCredential();
      const token = await credential.getToken(ARM_SCOPE);
      expect(decodeJwt(token.token).payload).toMatchObject({
        appid: info.managedIdentity.clientId,
        oid: info.managedIdentity.principalId,
        tid: info.tenantId,
        aud: "https://management.azure.com",
        idtyp: "app",
        xms_mirid: expect.stringMatching(/\/providers\/Microsoft\.Web\/sites\//),
      });
      expect(token.expiresOnTimestamp).toBeGreaterThan(Date.now() + 3000_000);
      const result = await armClient(credential).user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) });
      expect(result.value).toMatch(/^1&\d{12}&/);
    });
    expect(process.env.IDENTITY_ENDPOINT).toBe(undefined);
    const log = (await control("GET", "/requests")).body as any[];
    expect(log.find((e) => e.service === "identity")).toMatchObject({
      method: "GET",
      path: "/msi/token",
      query: { "api-version": "2019-08-01", resource: "https://management.azure.com" },
      status: 200,
      credentialType: "managedIdentity",
      clientId: info.managedIdentity.clientId,
    });
    expect(log.find((e) => e.service === "arm")).toMatchObject({ status: 200, clientId: info.managedIdentity.clientId });
  });

  test("the wire format: GET ?api-version=2019-08-01&resource=… with X-IDENTITY-HEADER", async () => {
    const url = `/msi/token?api-version=2019-08-01&resource=${encodeURIComponent("https://management.azure.com/")}`;
    const r = await raw("GET", url, { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(r.status).toBe(200);
    expect(Object.keys(r.json).sort()).toEqual(["access_token", "client_id", "expires_on", "resource", "token_type"]);
    expect(r.json).toMatchObject({ token_type: "Bearer", resource: "https://management.azure.com/", client_id: info.managedIdentity.clientId });
    expect(r.json.expires_on).toMatch(/^\d{10}$/);
    expect(Number(r.json.expires_on)).toBe(decodeJwt(r.json.access_token).payload.exp);

    // Asking for the identity by its own ids works; another identity does not exist here.
    const byId = await raw("GET", `${url}&client_id=${info.managedIdentity.clientId}`, { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(byId.status).toBe(200);
    const other = await raw("GET", `${url}&client_id=00000000-0000-4000-8000-000000000000`, { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(other.status).toBe(400);
    expect(other.json).toEqual({ statusCode: 400, message: "Unable to load the proper Managed Identity.", correlationId: expect.stringMatching(GUID) });

    const noResource = await raw("GET", "/msi/token?api-version=2019-08-01", { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(noResource.status).toBe(400);
  });

  test("missing or wrong X-IDENTITY-HEADER: 403 with an empty body", async () => {
    const url = "/msi/token?api-version=2019-08-01&resource=https://management.azure.com";
    const missing = await raw("GET", url);
    expect(missing.status).toBe(403);
    expect(missing.text).toBe("");
    const wrong = await raw("GET", url, { headers: { "X-IDENTITY-HEADER": "0".repeat(32) } });
    expect(wrong.status).toBe(403);
    expect(wrong.text).toBe("");
  });

  test("faults can target the identity endpoint (service \"identity\"), in its own envelope", async () => {
    const fault = await control("POST", "/faults", { match: { service: "identity" }, status: 503, retryAfterSeconds: 2 });
    expect(fault.status).toBe(201);
    const r = await raw("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com", { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(r.status).toBe(503);
    expect(r.headers["retry-after"]).toBe("2");
    expect(r.json).toEqual({ statusCode: 503, message: "Injected fault (HTTP 503).", correlationId: expect.stringMatching(GUID) });
    const next = await raw("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com", { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    expect(next.status).toBe(200);
  });

  test("ManagedIdentityCredential with a wrong IDENTITY_HEADER fails", async () => {
    await control("DELETE", "/requests");
    await withEnv({ ...miEnv(), IDENTITY_HEADER: "0".repeat(32) }, async () => {
      const identity = freshIdentityModule();
      const credential = new identity.ManagedIdentityCredential();
      await expect(credential.getToken(ARM_SCOPE)).rejects.toThrow(/ManagedIdentityCredential/);
    });
    const log = (await control("GET", "/requests")).body as any[];
    expect(log.filter((e) => e.service === "identity").map((e) => e.status)).toEqual([403]);
    expect(log.find((e) => e.service === "identity").identityHeader).toBe("invalid");
  });
});

describe("ARM authorization (RBAC)", () => {
  test("an app without a role assignment: 403 AuthorizationFailed with ARM's message, per action", async () => {
    const created = await control("POST", "/apps", { displayName: "no-access", access: "none" });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ clientId: expect.stringMatching(GUID), clientSecret: expect.any(String), tenantId: info.tenantId, objectId: expect.stringMatching(GUID) });
    const { clientId, clientSecret, objectId } = created.body;
    const client = armClient(new ClientSecretCredential(info.tenantId, clientId, clientSecret, authOptions()));
    const svcScope = `/subscriptions/${info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${SVC}`;
    const message = (action: string, scope: string) =>
      `The client '${objectId}' with object id '${objectId}' does not have authorization to perform action '${action}' over scope '${scope}' ` +
      "or the scope is invalid. If access was recently granted, please refresh your credentials.";

    const tokenError: any = await client.user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) }).catch((e) => e);
    expect(tokenError.name).toBe("RestError");
    expect(tokenError.statusCode).toBe(403);
    expect(tokenError.code).toBe("AuthorizationFailed");
    expect(tokenError.message).toBe(message("Microsoft.ApiManagement/service/users/token/action", `${svcScope}/users/1`));

    const secretsError: any = await client.tenantAccess.listSecrets(RG, SVC, "access").catch((e) => e);
    expect(secretsError.statusCode).toBe(403);
    expect(secretsError.message).toBe(message("Microsoft.ApiManagement/service/tenant/listSecrets/action", `${svcScope}/tenant/access`));

    const readError: any = await client.user.get(RG, SVC, "1").catch((e) => e);
    expect(readError.statusCode).toBe(403);
    expect(readError.message).toBe(message("Microsoft.ApiManagement/service/users/read", `${svcScope}/users/1`));

    // A collection: the scope is its parent.
    const listError: any = await (async () => {
      for await (const _ of client.user.listByService(RG, SVC)) break;
    })().catch((e) => e);
    expect(listError.statusCode).toBe(403);
    expect(listError.message).toBe(message("Microsoft.ApiManagement/service/users/read", svcScope));

    // GET /subscriptions lists nothing for it; the subscription itself is refused.
    const token = (await new ClientSecretCredential(info.tenantId, clientId, clientSecret, authOptions()).getToken(ARM_SCOPE))!.token;
    const subs = await raw("GET", "/subscriptions?api-version=2022-12-01", { headers: { authorization: `Bearer ${token}` } });
    expect(subs.status).toBe(200);
    expect(subs.json.value).toEqual([]);
    const rg = await raw("GET", `/subscriptions/${info.subscriptionId}/resourcegroups?api-version=2022-12-01`, { headers: { authorization: `Bearer ${token}` } });
    expect(rg.status).toBe(403);
    expect(rg.headers["x-ms-failure-cause"]).toBe("gateway");
    expect(rg.json).toEqual({ error: { code: "AuthorizationFailed", message: message("Microsoft.Resources/subscriptions/resourcegroups/read", `/subscriptions/${info.subscriptionId}`) } });
  });

  test("an app with access contributor (the default) works", async () => {
    const created = await control("POST", "/apps", {});
    expect(created.status).toBe(201);
    const credential = new ClientSecretCredential(info.tenantId, created.body.clientId, created.body.clientSecret, authOptions());
    const result = await armClient(credential).user.getSharedAccessToken(RG, SVC, "1", { keyType: "primary", expiry: new Date(Date.now() + 3600_000) });
    expect(result.value).toMatch(/^1&\d{12}&/);
    const token = (await credential.getToken(ARM_SCOPE))!.token;
    const subs = await raw("GET", "/subscriptions?api-version=2022-12-01", { headers: { authorization: `Bearer ${token}` } });
    expect(subs.json.value.map((s: any) => s.subscriptionId)).toEqual([info.subscriptionId]);
  });

  test("POST /_emulator/tokens can mint for another app (CLI test doubles): ARM applies its access", async () => {
    const none = await control("POST", "/apps", { access: "none" });
    const minted = await control("POST", "/tokens", { clientId: none.body.clientId });
    expect(decodeJwt(minted.body.accessToken).payload).toMatchObject({ appid: none.body.clientId, oid: none.body.objectId });
    const r = await raw("GET", `/subscriptions/${info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${SVC}?api-version=2024-05-01`, {
      headers: { authorization: `Bearer ${minted.body.accessToken}` },
    });
    expect(r.status).toBe(403);
    expect(r.json.error.message).toContain("'Microsoft.ApiManagement/service/read'");
    const demo = await control("POST", "/tokens", {});
    const ok = await raw("GET", `/subscriptions/${info.subscriptionId}/resourceGroups/${RG}/providers/Microsoft.ApiManagement/service/${SVC}?api-version=2024-05-01`, {
      headers: { authorization: `Bearer ${demo.body.accessToken}` },
    });
    expect(ok.status).toBe(200);
  });
});

describe("request log", () => {
  test("credentialType for every kind of sign-in, and no secret, header, assertion, key or token", async () => {
    await control("DELETE", "/requests");
    const secrets: string[] = [info.clientSecret, info.managedIdentity.header];

    const bySecret = new ClientSecretCredential(info.tenantId, info.clientId, info.clientSecret, authOptions());
    secrets.push((await bySecret.getToken(ARM_SCOPE))!.token);
    const byCert = new ClientCertificateCredential(info.tenantId, info.clientId, { certificatePath: info.certificatePath }, authOptions());
    secrets.push((await byCert.getToken(ARM_SCOPE))!.token);
    const { certPem, key } = demoCertificate();
    const assertion = signAssertion(key, certPem, assertionClaims());
    secrets.push(assertion);
    const direct = await tokenRequest(clientCredentialsWith(assertion));
    secrets.push(direct.json.access_token);

    const federated = await control("POST", "/workload-identity/token", {});
    secrets.push(federated.body.token);
    const file = path.join(tmp, "log-token");
    fs.writeFileSync(file, federated.body.token);
    const byFederation = new WorkloadIdentityCredential({ tenantId: info.tenantId, clientId: info.clientId, tokenFilePath: file, ...authOptions() });
    secrets.push((await byFederation.getToken(ARM_SCOPE))!.token);

    const mi = await raw("GET", "/msi/token?api-version=2019-08-01&resource=https://management.azure.com", { headers: { "X-IDENTITY-HEADER": info.managedIdentity.header } });
    secrets.push(mi.json.access_token);
    await raw("GET", `/subscriptions/${info.subscriptionId}?api-version=2022-12-01`, { headers: { authorization: `Bearer ${mi.json.access_token}` } });

    const log = (await control("GET", "/requests")).body as any[];
    const types = log.filter((e) => e.credentialType).map((e) => `${e.service}:${e.credentialType}`);
    expect(new Set(types)).toEqual(new Set(["entra:secret", "entra:certificate", "entra:federated", "identity:managedIdentity"]));
    const signIns = log.filter(isTokenRequest);
    expect(signIns.length).toBe(4);
    for (const e of signIns) expect(e).toMatchObject({ status: 200, grantType: "client_credentials", clientId: info.clientId });

    const text = JSON.stringify(log);
    const pem = fs.readFileSync(info.certificatePath, "utf8");
    const keyBody = /-----BEGIN PRIVATE KEY-----\s+([\s\S]{40})/.exec(pem)![1];
    for (const s of [...secrets, keyBody]) {
      expect(s.length).toBeGreaterThan(20);
      expect(text).not.toContain(s);
      // Nor a recognisable part of it (a token's signature, say).
      expect(text).not.toContain(s.slice(-24));
    }
  });
});
