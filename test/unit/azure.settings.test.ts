/**
 * Sign-in and endpoint resolution without any network: clouds, subscription precedence, which
 * source of the chain a call's variables select, -DefaultProfile checks, identity keys, client
 * certificates (PEM / PFX → PEM in memory) and secret redaction.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate, createPrivateKey, generateKeyPairSync } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import forge from "node-forge";
import { AzureAuthorityHosts } from "@azure/identity";
import { BridgeErrorCodes, CallContext } from "../../src/protocol";
import { BridgeError } from "../../src/rpc/errors";
import { CLOUDS, resolveSettings } from "../../src/azure/settings";
import { azureCliConfigDir, resolveSubscription, readCliDefaultSubscription } from "../../src/azure/subscription";
import { clearCredentialCache, credentialFor, redact } from "../../src/azure/credentials";
import { loadClientCertificate, pfxToPem } from "../../src/azure/certificate";

const SUB = (n: number) => `00000000-0000-0000-0000-${String(n).padStart(12, "0")}`;
const TENANT = "f82175d1-9a74-4351-bdd0-7fa19a65ca08";
const CLIENT = "22bd5aae-c71c-4cd8-b121-2e614bbac154";

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-settings-"));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => clearCredentialCache());

function thrown(f: () => unknown): BridgeError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(BridgeError);
    return e as BridgeError;
  }
  throw new Error("expected a BridgeError");
}

describe("clouds", () => {
  test("the built-in clouds have the real authority, ARM endpoint and ARM scope", () => {
    expect(CLOUDS.AzureCloud).toEqual({ name: "AzureCloud", authorityHost: AzureAuthorityHosts.AzurePublicCloud, armEndpoint: "https://management.azure.com", armScope: "https://management.azure.com/.default" });
    expect(CLOUDS.AzureChinaCloud).toEqual({ name: "AzureChinaCloud", authorityHost: AzureAuthorityHosts.AzureChina, armEndpoint: "https://management.chinacloudapi.cn", armScope: "https://management.chinacloudapi.cn/.default" });
    expect(CLOUDS.AzureUSGovernment).toEqual({ name: "AzureUSGovernment", authorityHost: AzureAuthorityHosts.AzureGovernment, armEndpoint: "https://management.usgovcloudapi.net", armScope: "https://management.usgovcloudapi.net/.default" });
  });

  const pick = (ctx: CallContext) => {
    const s = resolveSettings(ctx);
    return { cloud: s.cloud, from: s.cloudSource, authority: s.authorityHost, arm: s.armEndpoint, scope: s.armScope, custom: s.customAuthority };
  };

  test("default: the public cloud, with instance discovery", () => {
    expect(pick({ env: {} })).toEqual({ cloud: "AzureCloud", from: "default", authority: "https://login.microsoftonline.com", arm: "https://management.azure.com", scope: "https://management.azure.com/.default", custom: false });
  });

  test("order: -DefaultProfile, AZURE_ENVIRONMENT, AZURE_AUTHORITY_HOST, the Az.Accounts context", () => {
    const azChina = { source: "Az.Accounts" as const, environment: "AzureChinaCloud" };
    expect(pick({ env: { AZURE_ENVIRONMENT: "AzureChinaCloud" }, profile: { environment: "AzureUSGovernment" } })).toMatchObject({ cloud: "AzureUSGovernment", from: "-DefaultProfile", arm: "https://management.usgovcloudapi.net", authority: "https://login.microsoftonline.us" });
    expect(pick({ env: { AZURE_ENVIRONMENT: "AzureChinaCloud" }, azContext: { source: "DefaultProfile", environment: "AzureUSGovernment" } })).toMatchObject({ cloud: "AzureUSGovernment", from: "-DefaultProfile" });
    expect(pick({ env: { AZURE_ENVIRONMENT: "azureusgovernment" }, azContext: azChina })).toMatchObject({ cloud: "AzureUSGovernment", from: "AZURE_ENVIRONMENT", scope: "https://management.usgovcloudapi.net/.default" });
    expect(pick({ env: { AZURE_AUTHORITY_HOST: "https://login.chinacloudapi.cn/" }, azContext: { source: "Az.Accounts", environment: "AzureUSGovernment" } })).toMatchObject({ cloud: "AzureChinaCloud", from: "AZURE_AUTHORITY_HOST", arm: "https://management.chinacloudapi.cn", authority: "https://login.chinacloudapi.cn", custom: false });
    expect(pick({ env: {}, azContext: azChina })).toMatchObject({ cloud: "AzureChinaCloud", from: "Az.Accounts", arm: "https://management.chinacloudapi.cn", authority: "https://login.chinacloudapi.cn" });
  });

  test("aliases other Azure tools use", () => {
    expect(pick({ env: { AZURE_ENVIRONMENT: "AzurePublicCloud" } }).cloud).toBe("AzureCloud");
    expect(pick({ env: { AZURE_ENVIRONMENT: "AzureChina" } }).cloud).toBe("AzureChinaCloud");
    expect(pick({ env: { AZURE_ENVIRONMENT: "AzureUSGovernmentCloud" } }).cloud).toBe("AzureUSGovernment");
  });

  test("a custom Az environment (DefaultProfile context) brings its own endpoints", () => {
    expect(pick({ env: {}, azContext: { source: "DefaultProfile", environment: "AzureStackLab", resourceManagerUrl: "https://management.lab.example/", activeDirectoryAuthority: "https://login.lab.example/" } })).toEqual({
      cloud: "AzureStackLab", from: "-DefaultProfile", authority: "https://login.lab.example", arm: "https://management.lab.example", scope: "https://management.lab.example/.default", custom: true,
    });
  });

  test("endpoint variables replace single endpoints whatever the cloud; a non-Entra authority has no instance discovery", () => {
    const s = pick({ env: { AZURE_AUTHORITY_HOST: "https://127.0.0.1:4443/", AZTOKENBRIDGE_ARM_ENDPOINT: "https://127.0.0.1:4443" }, profile: { environment: "AzureCloud" } });
    expect(s).toEqual({ cloud: "AzureCloud", from: "-DefaultProfile", authority: "https://127.0.0.1:4443", arm: "https://127.0.0.1:4443", scope: "https://management.azure.com/.default", custom: true });
    expect(pick({ env: { AZTOKENBRIDGE_ARM_SCOPE: "api://arm/.default", AZURE_ENVIRONMENT: "AzureChinaCloud" } }).scope).toBe("api://arm/.default");
  });

  test("an unknown environment name is refused, naming where it came from", () => {
    const e = thrown(() => resolveSettings({ env: { AZURE_ENVIRONMENT: "AzureGermanCloud" } }));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ errorId: "UnknownEnvironment", target: "AZURE_ENVIRONMENT", category: "InvalidArgument" });
    expect(thrown(() => resolveSettings({ env: {}, profile: { environment: "Mars" } })).data.target).toBe("DefaultProfile");
  });

  test("-DefaultProfile's keys as the user wrote them: any case; an unknown key is refused with the keys it could be, before anything else", () => {
    expect(pick({ env: {}, profile: { ENVIRONMENT: "AzureChinaCloud", subscriptionid: SUB(3) } })).toMatchObject({ cloud: "AzureChinaCloud", from: "-DefaultProfile" });
    expect(resolveSubscription({ env: {}, profile: { SUBSCRIPTIONID: SUB(3) } }, {})).toEqual({ subscriptionId: SUB(3), source: "DefaultProfile" });
    // Empty values count as not given.
    expect(pick({ env: {}, profile: { Environment: "" } })).toMatchObject({ cloud: "AzureCloud", from: "default" });
    const e = thrown(() => resolveSettings({ env: {}, profile: { Tennant: "t", Environment: "AzureCloud" } }));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ errorId: "InvalidDefaultProfile", target: "DefaultProfile", category: "InvalidArgument" });
    expect(e.message).toBe("-DefaultProfile has an unknown key 'Tennant'. Use: TenantId, SubscriptionId, ClientId, ClientSecret, CertificatePath, CertificatePassword, Environment.");
    // A key quoted in the message cannot drive the terminal.
    expect(thrown(() => credentialFor({ env: {}, profile: { "k\u001b[2J": "1" } }, resolveSettings(undefined))).message).toContain("'k\\u001b[2J'");
  });
});

describe("subscription", () => {
  let cliDir: string;
  beforeAll(() => {
    cliDir = path.join(tmp, "azure-cli");
    fs.mkdirSync(cliDir, { recursive: true });
    // As the CLI writes it: UTF-8 with a BOM.
    fs.writeFileSync(
      path.join(cliDir, "azureProfile.json"),
      "\ufeff" + JSON.stringify({ installationId: "i", subscriptions: [
        { id: SUB(51), isDefault: false, tenantId: TENANT, name: "other", state: "Enabled", user: { name: "u", type: "user" }, environmentName: "AzureCloud" },
        { id: SUB(5), isDefault: true, tenantId: TENANT, name: "cli", state: "Enabled", user: { name: "u", type: "user" }, environmentName: "AzureCloud" },
      ] }),
      "utf8",
    );
  });

  const resolve = (ctx: CallContext, override?: string) => resolveSubscription(ctx, ctx.env, override);

  test("precedence: -ResourceId, -DefaultProfile, AZURE_SUBSCRIPTION_ID, Az.Accounts, the Azure CLI default", () => {
    const env = { AZURE_SUBSCRIPTION_ID: SUB(3), AZURE_CONFIG_DIR: cliDir };
    const azAccounts = { source: "Az.Accounts" as const, subscriptionId: SUB(4) };
    expect(resolve({ env, profile: { subscriptionId: SUB(2) } }, SUB(1))).toEqual({ subscriptionId: SUB(1), source: "-ResourceId" });
    expect(resolve({ env, profile: { subscriptionId: SUB(2) } })).toEqual({ subscriptionId: SUB(2), source: "DefaultProfile" });
    expect(resolve({ env, azContext: { source: "DefaultProfile", subscriptionId: SUB(2) } })).toEqual({ subscriptionId: SUB(2), source: "DefaultProfile" });
    expect(resolve({ env, azContext: azAccounts })).toEqual({ subscriptionId: SUB(3), source: "AZURE_SUBSCRIPTION_ID" });
    expect(resolve({ env: { AZURE_CONFIG_DIR: cliDir }, azContext: azAccounts })).toEqual({ subscriptionId: SUB(4), source: "Az.Accounts" });
    expect(resolve({ env: { AZURE_CONFIG_DIR: cliDir } })).toEqual({ subscriptionId: SUB(5), source: "Azure CLI" });
  });

  test("the Azure CLI profile: AZURE_CONFIG_DIR, else ~/.azure; a BOM is fine", () => {
    expect(readCliDefaultSubscription(cliDir)).toMatchObject({ found: true, subscriptionId: SUB(5), tenantId: TENANT, environmentName: "AzureCloud" });
    // Without AZURE_CONFIG_DIR: the server's home directory, as the CLI's default.
    expect(azureCliConfigDir({})).toBe(path.join(os.homedir(), ".azure"));
    expect(readCliDefaultSubscription(azureCliConfigDir({})).file).toBe(path.join(os.homedir(), ".azure", "azureProfile.json"));
  });

  test("none anywhere: NoSubscription naming every way to give one, and why the CLI had none", () => {
    const e = thrown(() => resolve({ env: { AZURE_CONFIG_DIR: path.join(tmp, "nowhere") } }));
    expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
    expect(e.data).toMatchObject({ errorId: "NoSubscription", category: "InvalidOperation" });
    for (const way of [/-ResourceId/, /-DefaultProfile/, /AZURE_SUBSCRIPTION_ID/, /Connect-AzAccount|Set-AzContext/, /az account set/]) expect(e.message).toMatch(way);
    expect(e.message).toContain(path.join(tmp, "nowhere", "azureProfile.json"));
    expect(e.message).toMatch(/does not exist/);
  });

  test("a profile without a default, or not JSON, gives none (and says so)", () => {
    const dir = path.join(tmp, "bad-cli");
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "azureProfile.json"), "\ufeff{\"subscriptions\":[{\"id\":\"x\",\"isDefault\":false}]}");
    expect(readCliDefaultSubscription(dir)).toMatchObject({ found: false, reason: expect.stringMatching(/no default subscription/) });
    fs.writeFileSync(path.join(dir, "azureProfile.json"), "{not json");
    expect(readCliDefaultSubscription(dir)).toMatchObject({ found: false, reason: expect.stringMatching(/not valid JSON/) });
  });

  test("a subscription that is not a GUID is refused, naming its source", () => {
    const e = thrown(() => resolve({ env: { AZURE_SUBSCRIPTION_ID: "my-subscription" } }));
    expect(e.data).toMatchObject({ errorId: "InvalidSubscriptionId", target: "AZURE_SUBSCRIPTION_ID" });
    expect(e.message).toMatch(/'my-subscription'/);
  });
});

describe("which identity the variables select", () => {
  const noAzDir = () => path.join(tmp, "no-az-config");
  const pick = (env: Record<string, string>, extra: Partial<CallContext> = {}) => {
    const ctx: CallContext = { env: { AZURE_CONFIG_DIR: noAzDir(), ...env }, ...extra };
    return credentialFor(ctx, resolveSettings(ctx));
  };
  const sp = { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT };
  let pem: string;
  beforeAll(() => {
    pem = path.join(tmp, "client.pem");
    fs.writeFileSync(pem, selfSigned().pem);
  });

  test("chain order: secret, certificate, workload identity, managed identity, then Azure CLI / Az.Accounts", () => {
    const all = {
      ...sp, AZURE_CLIENT_SECRET: "s3cret-value", AZURE_CLIENT_CERTIFICATE_PATH: pem, AZURE_FEDERATED_TOKEN_FILE: pem,
      IDENTITY_ENDPOINT: "https://127.0.0.1:1/msi/token", IDENTITY_HEADER: "h",
    };
    expect(pick(all).key).toMatch(/^sp-secret:[0-9a-f]{32}$/);
    const { AZURE_CLIENT_SECRET: _s, ...noSecret } = all;
    expect(pick(noSecret).key).toMatch(/^sp-certificate:/);
    const { AZURE_CLIENT_CERTIFICATE_PATH: _c, ...noCert } = noSecret;
    expect(pick(noCert).key).toMatch(/^workload:/);
    const { AZURE_FEDERATED_TOKEN_FILE: _f, ...noFile } = noCert;
    expect(pick({ IDENTITY_ENDPOINT: noFile.IDENTITY_ENDPOINT, IDENTITY_HEADER: "h" }).key).toMatch(/^managed:/);
    expect(pick({ MSI_ENDPOINT: "https://127.0.0.1:1/msi" }).key).toMatch(/^managed:/);
    expect(pick({}).key).toMatch(/^developer:/);
    expect(pick({ IDENTITY_ENDPOINT: "https://127.0.0.1:1/msi/token" }).key).toMatch(/^developer:/); // no header: not configured
  });

  test("-DefaultProfile is the identity, whatever the environment says", () => {
    const env = { ...sp, AZURE_CLIENT_SECRET: "env-secret" };
    const p = pick(env, { profile: { tenantId: TENANT, clientId: "11111111-1111-1111-1111-111111111111", clientSecret: "profile-secret" } });
    expect(p.key).toMatch(/^sp-secret:/);
    expect(p.key).not.toBe(pick(env).key);
    expect(p.description).toMatch(/^-DefaultProfile \(service principal 11111111-/);
    expect(pick(env, { azContext: { source: "DefaultProfile", accessToken: "a.b.c", account: "me" } }).key).toMatch(/^az-context:/);
  });

  test("keys: the same identity gives the same key, another one another key, and no key holds a secret", () => {
    const a = pick({ ...sp, AZURE_CLIENT_SECRET: "secret-number-one" });
    expect(pick({ ...sp, AZURE_CLIENT_SECRET: "secret-number-one" }).key).toBe(a.key);
    expect(pick({ ...sp, AZURE_CLIENT_SECRET: "secret-number-two" }).key).not.toBe(a.key);
    expect(pick({ ...sp, AZURE_CLIENT_SECRET: "secret-number-one", AZURE_AUTHORITY_HOST: "https://127.0.0.1:9" }).key).not.toBe(a.key);
    expect(pick({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: "33333333-3333-3333-3333-333333333333", AZURE_CLIENT_SECRET: "secret-number-one" }).key).not.toBe(a.key);
    expect(a.key).not.toContain("secret-number-one");
    expect(a.description).not.toContain("secret-number-one");
    const h1 = pick({ IDENTITY_ENDPOINT: "https://e/msi", IDENTITY_HEADER: "header-one" });
    expect(pick({ IDENTITY_ENDPOINT: "https://e/msi", IDENTITY_HEADER: "header-two" }).key).not.toBe(h1.key);
    expect(h1.key).not.toContain("header-one");
    const dev1 = pick({}, { azContext: { source: "Az.Accounts", account: "a@contoso.com", accessToken: "x.y.z" } });
    expect(pick({}, { azContext: { source: "Az.Accounts", account: "b@contoso.com", accessToken: "x.y.z" } }).key).not.toBe(dev1.key);
  });

  test("a -DefaultProfile hashtable without a usable credential is refused before any call", () => {
    for (const [profile, text] of [
      [{ subscriptionId: SUB(1) }, /names no identity/],
      [{ tenantId: TENANT, clientSecret: "s" }, /needs TenantId and ClientId/],
      [{ tenantId: TENANT, clientId: CLIENT, clientSecret: "s", certificatePath: pem }, /both/],
    ] as const) {
      const e = thrown(() => pick({}, { profile }));
      expect(e.code).toBe(BridgeErrorCodes.InvalidInput);
      expect(e.data).toMatchObject({ errorId: "InvalidDefaultProfile", target: "DefaultProfile", category: "InvalidArgument" });
      expect(e.message).toMatch(text);
    }
  });

  test("a tenant that is neither a GUID nor a domain is refused before any call", () => {
    expect(thrown(() => pick({ AZURE_TENANT_ID: "my tenant/x" })).data).toMatchObject({ errorId: "InvalidTenantId", target: "AZURE_TENANT_ID", category: "InvalidArgument" });
    expect(thrown(() => pick({}, { profile: { tenantId: "a b", clientId: CLIENT, clientSecret: "s" } })).data).toMatchObject({ errorId: "InvalidTenantId", target: "DefaultProfile" });
  });

  test("an unreadable certificate or a missing federated token file is reported at once", () => {
    const cert = thrown(() => pick({ ...sp, AZURE_CLIENT_CERTIFICATE_PATH: path.join(tmp, "missing.pfx") }));
    expect(cert.code).toBe(BridgeErrorCodes.AuthenticationFailed);
    expect(cert.data).toMatchObject({ errorId: "CertificateUnreadable", target: "AZURE_CLIENT_CERTIFICATE_PATH", category: "AuthenticationError" });
    const wi = thrown(() => pick({ ...sp, AZURE_FEDERATED_TOKEN_FILE: path.join(tmp, "missing-token") }));
    expect(wi.data).toMatchObject({ errorId: "FederatedTokenFileMissing", target: "AZURE_FEDERATED_TOKEN_FILE" });
  });
});

/** A self-signed RSA certificate and its key, as PEM (certificate first, then PKCS#8 key). */
function selfSigned(): { pem: string; cert: forge.pki.Certificate; key: forge.pki.rsa.PrivateKey } {
  const keys = forge.pki.rsa.generateKeyPair(2048);
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = "01";
  cert.validity.notBefore = new Date(Date.now() - 60_000);
  cert.validity.notAfter = new Date(Date.now() + 86_400_000);
  cert.setSubject([{ name: "commonName", value: "aztb test" }]);
  cert.setIssuer([{ name: "commonName", value: "aztb test" }]);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const pem = forge.pki.certificateToPem(cert) + forge.pki.privateKeyInfoToPem(forge.pki.wrapRsaPrivateKey(forge.pki.privateKeyToAsn1(keys.privateKey)));
  return { pem, cert, key: keys.privateKey };
}

describe("client certificates", () => {
  let made: ReturnType<typeof selfSigned>;
  beforeAll(() => {
    made = selfSigned();
  });

  const pfx = (password: string | null, algorithm: "3des" | "aes256", extraCerts: forge.pki.Certificate[] = []): Buffer => {
    const asn1 = forge.pkcs12.toPkcs12Asn1(made.key, [...extraCerts, made.cert], password, { algorithm });
    return Buffer.from(forge.asn1.toDer(asn1).getBytes(), "binary");
  };

  test.each(["3des", "aes256"] as const)("a PFX (%s) with a password becomes PEM: the key's certificate first, then the key", (algorithm) => {
    const other = selfSigned().cert;
    const out = pfxToPem(pfx("pfx-pass", algorithm, [other]), "pfx-pass");
    const certs = out.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)!;
    expect(certs).toHaveLength(2);
    expect(new X509Certificate(certs[0]).fingerprint256).toBe(new X509Certificate(forge.pki.certificateToPem(made.cert)).fingerprint256);
    expect(out).toMatch(/-----BEGIN PRIVATE KEY-----/);
    expect(createPrivateKey(out).asymmetricKeyType).toBe("rsa");
  });

  test("a PFX made by OpenSSL 3 (AES-256-CBC, PBKDF2, SHA-256 MAC), when openssl is installed", () => {
    let hasOpenssl = true;
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
    } catch {
      hasOpenssl = false;
    }
    if (!hasOpenssl) return;
    const pemFile = path.join(tmp, "for-openssl.pem");
    const pfxFile = path.join(tmp, "openssl.pfx");
    fs.writeFileSync(pemFile, made.pem);
    execFileSync("openssl", ["pkcs12", "-export", "-in", pemFile, "-out", pfxFile, "-passout", "pass:openssl-pass"]);
    const loaded = loadClientCertificate(pfxFile, "openssl-pass", "AZURE_CLIENT_CERTIFICATE_PATH");
    expect(loaded.format).toBe("PFX");
    expect(new X509Certificate(loaded.pem).fingerprint256).toBe(new X509Certificate(made.pem).fingerprint256);
  });

  test("a PFX without a password; a wrong or missing password is refused without echoing it", () => {
    expect(pfxToPem(pfx(null, "3des"), undefined)).toMatch(/BEGIN PRIVATE KEY/);
    const file = path.join(tmp, "protected.pfx");
    fs.writeFileSync(file, pfx("right-pass-123", "aes256"));
    const wrong = thrown(() => loadClientCertificate(file, "wrong-pass-456", "AZURE_CLIENT_CERTIFICATE_PATH"));
    expect(wrong.data).toMatchObject({ errorId: "CertificateInvalid", target: "AZURE_CLIENT_CERTIFICATE_PATH", category: "AuthenticationError" });
    expect(wrong.message).toMatch(/password is wrong/);
    expect(wrong.message).not.toContain("wrong-pass-456");
    expect(thrown(() => loadClientCertificate(file, undefined, "DefaultProfile")).message).toMatch(/protected by a password/);
  });

  test("PEM files are passed as they are; one without its key, or a file that is neither, is refused", () => {
    const file = path.join(tmp, "ok.pem");
    fs.writeFileSync(file, made.pem);
    expect(loadClientCertificate(file, undefined, "X")).toMatchObject({ format: "PEM", pem: made.pem });
    const certOnly = path.join(tmp, "cert-only.pem");
    fs.writeFileSync(certOnly, forge.pki.certificateToPem(made.cert));
    expect(thrown(() => loadClientCertificate(certOnly, undefined, "X")).message).toMatch(/no private key/);
    const junk = path.join(tmp, "junk.pfx");
    fs.writeFileSync(junk, "not a certificate at all");
    expect(thrown(() => loadClientCertificate(junk, undefined, "X")).message).toMatch(/neither a PEM file nor a PKCS#12/);
  });

  test("a PFX with a non-RSA key still converts (the key is passed through as PKCS#8)", () => {
    const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
    expect(privateKey.asymmetricKeyType).toBe("ec");
    // forge cannot make an EC PFX; OpenSSL can, when present.
    try {
      execFileSync("openssl", ["version"], { stdio: "ignore" });
    } catch {
      return;
    }
    const key = path.join(tmp, "ec.key");
    const crt = path.join(tmp, "ec.crt");
    const p12 = path.join(tmp, "ec.pfx");
    fs.writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }));
    execFileSync("openssl", ["req", "-x509", "-key", key, "-out", crt, "-subj", "/CN=ec", "-days", "1"]);
    execFileSync("openssl", ["pkcs12", "-export", "-inkey", key, "-in", crt, "-out", p12, "-passout", "pass:ec"]);
    const out = pfxToPem(fs.readFileSync(p12), "ec");
    expect(createPrivateKey(out).asymmetricKeyType).toBe("ec");
    expect(new X509Certificate(out).publicKey.export({ type: "spki", format: "der" })).toEqual(publicKey.export({ type: "spki", format: "der" }));
  });
});

test("redact: secrets and JWTs become ***", () => {
  expect(redact("secret abc123 and token eyJhbGciOi.eyJzdWIiOi.c2ln end", ["abc123"])).toBe("secret *** and token *** end");
});
