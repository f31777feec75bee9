/**
 * New-PartnerAccessToken end to end: PowerShell scripts in the project's host import the module and
 * call the cmdlet against the emulator's Entra ID through the packaged server. Every parameter set
 * and switch, the environments, a certificate from the .NET store, refresh-token rotation and
 * binding, expired tokens, MFA errors, cancellation (the loopback port freed), no secrets in
 * -Verbose/-Debug. User sign-ins are completed through the emulator's control API, as a user would
 * in the browser or on the device-code page.
 */
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsProcess, PsResult, runPs, spawnPs, spawnPsArgs } from "../support/pwsh";

const AUTH_RESULT = "Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult";
const SCOPE = "https://api.partnercenter.microsoft.com/user_impersonation";
const DEFAULT_SCOPE = "https://api.partnercenter.microsoft.com/.default";
const PROPS = ["RefreshToken", "AccessToken", "IsExtendedLifeTimeToken", "UniqueId", "ExpiresOn", "ExtendedExpiresOn", "TenantId", "Account", "IdToken", "Scopes", "CorrelationId"];

let emulator: EmulatorProcess;
let home: string;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  await emulator.control("PUT", "/entra/device-codes/interval", { seconds: 1 });
  // .NET keeps CurrentUser\My under $HOME/.dotnet/corefx/cryptography/x509stores: a HOME of our own.
  home = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-partner-home-"));
});
afterAll(async () => {
  if (home) fs.rmSync(home, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("DELETE", "/requests");
});

function psEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_BROWSER: "none", HOME: home, ...extra };
}

const prelude = () => `Import-Module '${MODULE_MANIFEST}'
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$cred = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
$public = '${emulator.info.publicClientId}'
`;

function ps(script: string, opts: { json?: boolean; env?: Record<string, string | undefined>; timeoutMs?: number } = {}): Promise<PsResult> {
  return runPs(prelude() + script, { json: opts.json ?? true, timeoutMs: opts.timeoutMs ?? 90000, env: psEnv(opts.env) });
}

function spawn(script: string, env: Record<string, string | undefined> = {}): PsProcess {
  return spawnPs(prelude() + script, { json: true, timeoutMs: 90000, env: psEnv(env) });
}

/**
 * Plays the user while a script runs: approves each new device code (as `user`) and completes each
 * browser sign-in whose URL the cmdlet says, through the control API.
 */
function actAsUser(run: PsProcess, opts: { user?: string; decline?: boolean } = {}): { stop: () => void; urls: string[] } {
  const seen = new Set<string>();
  const urls: string[] = [];
  let stopped = false;
  const tick = async () => {
    while (!stopped) {
      const codes = (await emulator.control<any[]>("GET", "/entra/device-codes")).body;
      for (const c of codes.filter((x) => x.status === "pending")) {
        await emulator.control("POST", "/entra/device-codes/approve", { userCode: c.userCode, ...(opts.user ? { user: opts.user } : {}), ...(opts.decline ? { decline: true } : {}) });
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  };
  void tick();
  // The whole output so far, not the chunk: a line may arrive in pieces.
  const onData = () => {
    for (const m of run.output().stdout.matchAll(/open this address in a browser on this computer: (https:\/\/[^\s"\\]+)(?=[\s"\\])/g)) {
      const url = m[1];
      if (seen.has(url)) continue;
      seen.add(url);
      urls.push(url);
      void emulator.control("POST", "/entra/browser-login", { url, ...(opts.user ? { user: opts.user } : {}), ...(opts.decline ? { decline: true } : {}) });
    }
  };
  run.child.stdout!.on("data", onData);
  return { stop: () => (stopped = true), urls };
}

async function withUser(script: string, opts: { user?: string; decline?: boolean; env?: Record<string, string | undefined> } = {}): Promise<PsResult & { urls: string[] }> {
  const run = spawn(script, opts.env);
  const user = actAsUser(run, opts);
  try {
    const r = await run.result;
    return { ...r, urls: user.urls };
  } finally {
    user.stop();
  }
}

function decode(token: string): Record<string, any> {
  return JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString("utf8"));
}

const warnings = (r: PsResult) => r.records.filter((x) => x.kind === "warning").map((x) => x.message as string);
const verbose = (r: PsResult) => r.records.filter((x) => x.kind === "verbose").map((x) => x.message as string);

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once("error", () => resolve(false));
    s.listen(port, "127.0.0.1", () => s.close(() => resolve(true)));
  });
}

describe("the cmdlet's shape (seed 003)", () => {
  test("six parameter sets, mandatory/optional as the seed, aliases, every parameter named", async () => {
    const r = await ps(`$c = Get-Command New-PartnerAccessToken
foreach ($s in $c.ParameterSets) {
  [pscustomobject]@{ Set = $s.Name; Mandatory = (($s.Parameters | Where-Object { $_.IsMandatory } | ForEach-Object Name) -join ','); Positional = @($s.Parameters | Where-Object { $_.Position -ge 0 }).Count }
}
[pscustomobject]@{ Aliases = (('ApplicationId','Environment','Module','Tenant','UseAuthorizationCode','UseDeviceAuthentication') | ForEach-Object { $_ + '=' + ($c.Parameters[$_].Aliases -join '/') }) -join ';'; Values = [enum]::GetNames($c.Parameters['Environment'].ParameterType) -join ',' }`);
    expect(r.errors).toEqual([]);
    const sets = Object.fromEntries(r.objects.slice(0, 6).map((o) => [o.Set, (o.Mandatory as string).split(",").sort().join(",")]));
    expect(sets).toEqual({
      AccessToken: "AccessToken,ApplicationId,Scopes",
      RefreshToken: "RefreshToken,Scopes",
      ServicePrincipal: "ApplicationId,Credential,Scopes,Tenant",
      ServicePrincipalCertificate: "ApplicationId,CertificateThumbprint,Scopes,Tenant",
      User: "ApplicationId,Scopes",
      ByModule: "Module",
    });
    expect(r.objects.slice(0, 6).every((o) => o.Positional === 0)).toBe(true);
    expect(r.objects[6].Aliases).toBe("ApplicationId=ClientId;Environment=EnvironmentName;Module=ModuleName;Tenant=Domain/TenantId;UseAuthorizationCode=AuthCode;UseDeviceAuthentication=DeviceCode/DeviceAuth/Device");
    expect(r.objects[6].Values).toBe("AzureCloud,AzureChinaCloud,AzureGermanCloud,AzurePPE,AzureUSGovernment");
  });

  test("Get-Help: the seed's synopsis, its two examples, every parameter", async () => {
    const r = await ps(`$h = Get-Help New-PartnerAccessToken -Full
[string]$h.Synopsis
@($h.examples.example).Count
(@($h.parameters.parameter | ForEach-Object { [string]$_.name }) -join ',')`);
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toBe("Acquires an access token from Azure Active Directory.");
    expect(r.objects[1]).toBe(2);
    expect(r.objects[2].split(",").sort()).toEqual(
      ["AccessToken", "ApplicationId", "CertificateThumbprint", "Credential", "Environment", "Module", "RefreshToken", "Scopes", "ServicePrincipal", "Tenant", "UseAuthorizationCode", "UseDeviceAuthentication"].sort(),
    );
  });
});

describe("ServicePrincipal and ServicePrincipalCertificate", () => {
  test("-Environment binds in any case, as Az's enum parameters do (azurechinacloud, AZUREUSGOVERNMENT)", async () => {
    const r = await ps(`New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Environment azurechinacloud | ForEach-Object { $_.TenantId }
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Environment AZUREUSGOVERNMENT | ForEach-Object { $_.TenantId }`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([emulator.info.tenantId, emulator.info.tenantId]);
  });

  test("client secret (-Credential: user name = app id, password = secret); the object and its list view", async () => {
    const r = await ps(`$t = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal
$t
$t | Out-String -Width 2000 | Out-Default
New-PartnerAccessToken -ClientId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -TenantId $env:AZURE_TENANT_ID | ForEach-Object { $_.AccessToken.Length -gt 100 }`);
    expect(r.errors).toEqual([]);
    const o = r.objects[0];
    expect(o.$typeNames[0]).toBe(AUTH_RESULT);
    expect(Object.keys(o).filter((k) => !k.startsWith("$"))).toEqual(PROPS);
    expect(o).toMatchObject({ RefreshToken: null, IsExtendedLifeTimeToken: false, UniqueId: null, TenantId: emulator.info.tenantId, Account: null, IdToken: null, Scopes: [DEFAULT_SCOPE] });
    expect(o.ExpiresOn.$type).toBe("System.DateTimeOffset");
    expect(decode(o.AccessToken)).toMatchObject({ aud: "https://api.partnercenter.microsoft.com", appid: emulator.info.clientId, appidacr: "1" });
    expect(r.objects[1]).toBe(true);
    const text = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
    const labels = text.split("\n").map((l: string) => /^(\w+)\s+:/.exec(l)?.[1]).filter(Boolean);
    expect(labels).toEqual(PROPS);
    expect(text).toMatch(/^TenantId\s+: f82175d1-9a74-4351-bdd0-7fa19a65ca08$/m);
  });

  test("a wrong secret: AADSTS7000215 as the ErrorRecord's id, with Entra's description; the secret is in no output", async () => {
    const r = await ps(`$bad = [pscredential]::new($env:AZURE_CLIENT_ID, [System.Net.NetworkCredential]::new('', 'Wr0ngSecretValue~xyz').SecurePassword)
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $bad -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -Verbose -Debug`);
    expect(r.objects).toEqual([]);
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0];
    expect(e.fullyQualifiedErrorId).toBe("AADSTS7000215,New-PartnerAccessToken");
    expect(e.category).toBe("AuthenticationError");
    expect(e.targetObject).toBe(emulator.info.clientId);
    expect(e.exceptionMessage).toMatch(/^AADSTS7000215: Invalid client secret provided\. Ensure the secret being sent in the request is the client secret value/);
    expect(r.stdout + r.stderr).not.toContain("Wr0ngSecretValue");
    expect(r.stdout + r.stderr).not.toContain(emulator.info.clientSecret);
  });

  test("-CertificateThumbprint: found in the .NET store CurrentUser\\My, the key sent in memory, the assertion verified; unknown thumbprint", async () => {
    const r = await ps(`$pem = [System.IO.File]::ReadAllText('${emulator.info.certificatePath}')
$c = [System.Security.Cryptography.X509Certificates.X509Certificate2]::CreateFromPem($pem, $pem)
$pfx = [System.Security.Cryptography.X509Certificates.X509Certificate2]::new($c.Export('Pfx'), [string]$null, 'Exportable, PersistKeySet')
$store = [System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser')
$store.Open('ReadWrite'); $store.Add($pfx); $store.Close()
$t = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -CertificateThumbprint $pfx.Thumbprint.ToLowerInvariant() -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -Verbose -Debug
[pscustomobject]@{ appidacr = $t.AccessToken.Length; tp = $pfx.Thumbprint }
$t
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -CertificateThumbprint 'AB12' -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID`);
    expect(r.errors.map((e) => e.fullyQualifiedErrorId)).toEqual(["CertificateNotFound,New-PartnerAccessToken"]);
    expect(r.errors[0].category).toBe("ObjectNotFound");
    expect(r.errors[0].exceptionMessage).toBe("No certificate with thumbprint AB12 in the certificate stores CurrentUser\\My or LocalMachine\\My.");
    expect(decode(r.objects[1].AccessToken).appidacr).toBe("2");
    expect(verbose(r)).toContain(`New-PartnerAccessToken: certificate ${r.objects[0].tp} from CurrentUser\\My.`);
    const log = await emulator.requestLog();
    expect(log.filter((x) => x.grantType === "client_credentials").map((x) => x.credentialType)).toEqual(["certificate"]);
    const key = /-----BEGIN PRIVATE KEY-----\n([A-Za-z0-9+/=]{40})/.exec(fs.readFileSync(emulator.info.certificatePath, "utf8"))![1];
    expect(r.stdout + r.stderr).not.toContain(key);
    expect(r.stdout).not.toContain("BEGIN PRIVATE KEY");
  });

  test("-UseAuthorizationCode as a confidential client (secret, then certificate): browser sign-in, user token, refresh token", async () => {
    const r = await withUser(`New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -UseAuthorizationCode -Verbose
$tp = ([System.Security.Cryptography.X509Certificates.X509Store]::new('My', 'CurrentUser') | ForEach-Object { $_.Open('ReadOnly'); $_.Certificates[0].Thumbprint; $_.Close() })
$c = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -CertificateThumbprint $tp -Scopes '${SCOPE}' -Tenant $env:AZURE_TENANT_ID -AuthCode
$c
# RefreshToken set with -CertificateThumbprint: a confidential refresh signed with the certificate
New-PartnerAccessToken -RefreshToken $c.RefreshToken -ApplicationId $env:AZURE_CLIENT_ID -CertificateThumbprint $tp -Scopes '${SCOPE}' -ServicePrincipal`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(3);
    expect(decode(r.objects[2].AccessToken)).toMatchObject({ appidacr: "2", upn: emulator.info.users[0] });
    expect(r.objects[2].RefreshToken).not.toBe(r.objects[1].RefreshToken);
    expect((await emulator.requestLog()).filter((x) => x.grantType === "refresh_token").map((x) => x.credentialType)).toEqual(["certificate"]);
    expect(decode(r.objects[0].AccessToken)).toMatchObject({ appidacr: "1", upn: emulator.info.users[0], appid: emulator.info.clientId });
    expect(decode(r.objects[1].AccessToken)).toMatchObject({ appidacr: "2", upn: emulator.info.users[0] });
    expect(r.objects[0].RefreshToken).toMatch(/^1\.A/);
    expect(verbose(r).join("\n")).toMatch(/flow AuthorizationCode, confidential \(secret\) client 22bd5aae/);
    expect(new URL(r.urls[0]).searchParams.get("redirect_uri")).toMatch(/^http:\/\/localhost:8\d{3}\/$/);
  });
});

describe("User", () => {
  test("browser sign-in (default and -UseAuthorizationCode / -AuthCode): the original's warnings, the URL when no browser opens, PKCE, refresh token", async () => {
    const r = await withUser(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}'
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseAuthorizationCode -UseDeviceAuthentication
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -AuthCode -Domain aztokenbridgedemo.onmicrosoft.com`, { user: emulator.info.users[1] });
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(3);
    for (const o of r.objects) {
      expect(o.RefreshToken).toMatch(/^1\.A/);
      expect(o.Account.Username).toBe(emulator.info.users[1]);
      expect(o.IdToken).toBeTruthy();
      expect(o.UniqueId).toBe(decode(o.AccessToken).oid);
    }
    const w = warnings(r);
    expect(w[0]).toBe("Attempting to launch a browser for authorization code login.");
    expect(w[1]).toMatch(/^Unable to launch a browser for authorization code login\. To sign in, open this address in a browser on this computer: https:\/\/127\.0\.0\.1:\d+\/organizations\/oauth2\/v2\.0\/authorize\?/);
    expect(r.urls).toHaveLength(3);
    const q = new URL(r.urls[0]).searchParams;
    expect(q.get("code_challenge_method")).toBe("S256");
    expect(q.get("prompt")).toBe("login");
    expect(q.get("redirect_uri")).toBe("http://localhost:8400/");
    expect(new URL(r.urls[2]).pathname).toBe("/aztokenbridgedemo.onmicrosoft.com/oauth2/v2.0/authorize");
  });

  test("a browser named by AZTOKENBRIDGE_BROWSER is launched: the original's 'We have launched a browser' warning", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-browser-"));
    const browser = path.join(dir, "browser.js");
    fs.writeFileSync(
      browser,
      `const https = require("https");
const body = JSON.stringify({ url: process.argv[2] });
const req = https.request("${emulator.info.controlEndpoint}/entra/browser-login", { method: "POST", ca: require("fs").readFileSync(${JSON.stringify(emulator.info.caFile)}), headers: { "content-type": "application/json" } }, (res) => { res.resume(); res.on("end", () => process.exit(0)); });
req.end(body);`,
    );
    try {
      const r = await ps(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}'`, { env: { AZTOKENBRIDGE_BROWSER: `${process.execPath} ${browser}` } });
      expect(r.errors).toEqual([]);
      expect(warnings(r)).toEqual([
        "Attempting to launch a browser for authorization code login.",
        "We have launched a browser for you to login. For the old experience with device code flow, please run 'New-PartnerAccessToken -UseDeviceAuthentication'.",
      ]);
      expect(r.objects[0].Account.Username).toBe(emulator.info.users[0]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test("-UseDeviceAuthentication and its aliases: the server's message as a warning while the call waits; tokens with a refresh token", async () => {
    const r = await withUser(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -DeviceCode -Tenant $env:AZURE_TENANT_ID
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -DeviceAuth
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -Device`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(4);
    const w = warnings(r);
    expect(w).toHaveLength(4);
    for (const m of w) expect(m).toMatch(/^To sign in, use a web browser to open the page https:\/\/127\.0\.0\.1:\d+\/devicelogin and enter the code [A-Z0-9]{9} to authenticate\.$/);
    // The warning came before the result (written while the call was pending).
    const firstWarning = r.records.findIndex((x) => x.kind === "warning");
    const firstObject = r.records.findIndex((x) => x.kind === "object");
    expect(firstWarning).toBeLessThan(firstObject);
    for (const o of r.objects) {
      expect(o.RefreshToken).toMatch(/^1\.A/);
      expect(o.Account).toMatchObject({ Username: emulator.info.users[0], HomeAccountId: { TenantId: emulator.info.tenantId } });
    }
  });

  test("one request: the device code is read from the warning the cmdlet writes while it waits, and only then approved; no internal name is shown", async () => {
    const run = spawn(`$t = New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication -Verbose
[pscustomobject]@{ User = $t.Account.Username; HasRefreshToken = [bool]$t.RefreshToken }`);
    // Nobody plays the user here: the sign-in can only complete once the test approves the code it read.
    await run.waitForOutput(/enter the code [A-Z0-9]{9}/, 60000);
    const userCode = /enter the code ([A-Z0-9]{9})/.exec(run.output().stdout)![1];
    const pending = (await emulator.control<any[]>("GET", "/entra/device-codes")).body.filter((c) => c.userCode === userCode);
    expect(pending.map((c) => c.status)).toEqual(["pending"]);
    expect(run.output().stdout).not.toMatch(/"kind":"object"/);
    await emulator.control("POST", "/entra/device-codes/approve", { userCode });
    const r = await run.result;
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([{ $typeNames: expect.any(Array), User: emulator.info.users[0], HasRefreshToken: true }]);
    const firstWarning = r.records.findIndex((x) => x.kind === "warning");
    expect(firstWarning).toBeLessThan(r.records.findIndex((x) => x.kind === "object"));
    expect(warnings(r)).toHaveLength(1);
    const shown = r.records.filter((x) => x.kind !== "object").map((x) => x.message ?? x.text ?? "").join("\n");
    expect(shown).not.toMatch(/loginId|completeLogin|pending sign-in/i);
    // One request for the whole sign-in.
    expect(verbose(r).filter((m) => / completed in /.test(m))).toEqual([expect.stringMatching(/^AzTokenBridge: partner\/newAccessToken completed in [\d.]+ ms\.$/)]);
  });

  test("a finished device-code sign-in waits for a cmdlet held at a prompt (-WarningAction Inquire answered after 30 s): nothing is thrown away (issue Z item 11)", async () => {
    // An interactive pwsh (no -NonInteractive): the Inquire prompt reads its answer from stdin.
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "aztb-hold-")), "hold.ps1");
    fs.writeFileSync(file, `${prelude()}$t = New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication -WarningAction Inquire
[Console]::Out.WriteLine("signed in as $($t.Account.Username), refresh token: $([bool]$t.RefreshToken)")`);
    const run = spawnPsArgs(["-NoProfile", "-File", file], { env: psEnv(), timeoutMs: 120_000, keepStdinOpen: true });
    try {
      await run.waitForOutput(/Continue with this operation\?/, 60_000);
      const userCode = /enter the code ([A-Z0-9]{9})/.exec(run.output().stdout)![1];
      await emulator.control("POST", "/entra/device-codes/approve", { userCode });
      // The server redeems the code and answers while the cmdlet is held at the prompt.
      const status = async () => (await emulator.control<any[]>("GET", "/entra/device-codes")).body.find((c) => c.userCode === userCode)?.status;
      for (let i = 0; i < 300 && (await status()) !== "redeemed"; i++) await new Promise((res) => setTimeout(res, 100));
      expect(await status()).toBe("redeemed");
      // Held past the 30 s a pending sign-in used to be kept for, then answered.
      await new Promise((res) => setTimeout(res, 31_000));
      expect(run.output().stdout).not.toMatch(/signed in as/);
      run.child.stdin!.end("Y\n");
      const r = await run.result;
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`signed in as ${emulator.info.users[0]}, refresh token: True`);
      expect(r.stderr).toBe("");
    } finally {
      run.child.stdin!.end();
      fs.rmSync(path.dirname(file), { recursive: true, force: true });
    }
  }, 150_000);

  test("a user's AuthResult prints as the original's list: the Account line is MSAL.NET's Account.ToString()", async () => {
    const r = await withUser(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -Device | Out-String -Width 2000 | Out-Default`);
    expect(r.errors).toEqual([]);
    const text = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
    const host = new URL(emulator.info.authorityHost).host;
    expect(text).toMatch(new RegExp(`^Account\\s+: Account username: ${emulator.info.users[0].replace(/\./g, "\\.")} environment ${host.replace(/\./g, "\\.")} home account id: AccountId: [0-9a-f-]{36}\\.${emulator.info.tenantId}$`, "m"));
    expect(text).toMatch(/^RefreshToken\s+: 1\.A\S+$/m);
    expect(text).toMatch(/^Scopes\s+: \{https:\/\/api\.partnercenter\.microsoft\.com\/user_impersonation\}$/m);
    // As MSAL.NET: ExtendedExpiresOn = now + ext_expires_in (Entra sends both 3599 s), not msal-node's expiresOn + ext_expires_in.
    const expires = /^ExpiresOn\s+: (.+)$/m.exec(text)![1];
    expect(text).toMatch(new RegExp(`^ExtendedExpiresOn\\s+: ${expires.replace(/[+/]/g, "\\$&")}$`, "m"));
  });

  test("a declined device code and a cancelled browser sign-in are errors with Entra's code", async () => {
    const r = await withUser(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}'`, { decline: true });
    expect(r.objects).toEqual([]);
    expect(r.errors.map((e) => e.fullyQualifiedErrorId)).toEqual(["AADSTS70000,New-PartnerAccessToken", "AADSTS65004,New-PartnerAccessToken"]);
    expect(r.errors[1].exceptionMessage).toMatch(/^AADSTS65004: User declined to consent to access the app\./);
  });
});

describe("RefreshToken and ByModule", () => {
  test("rotation: each refresh returns a new refresh token; the confidential app's (-Credential user name = client id); another client is AADSTS700007", async () => {
    const r = await withUser(`$first = New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication
$second = New-PartnerAccessToken -RefreshToken $first.RefreshToken -ApplicationId $public -Scopes '${SCOPE}'
$third = New-PartnerAccessToken -RefreshToken $second.RefreshToken -ApplicationId $public -Scopes '${SCOPE}'
[pscustomobject]@{ a = $first.RefreshToken; b = $second.RefreshToken; c = $third.RefreshToken; user = $third.Account.Username }
$web = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -UseAuthorizationCode
$again = New-PartnerAccessToken -RefreshToken $web.RefreshToken -Credential $cred -ApplicationId 'ignored-when-a-credential-is-given' -Scopes '${SCOPE}' -ServicePrincipal -Tenant $env:AZURE_TENANT_ID
[pscustomobject]@{ web = $again.RefreshToken -ne $web.RefreshToken; appid = $again.AccessToken }
New-PartnerAccessToken -RefreshToken $third.RefreshToken -Credential $cred -Scopes '${SCOPE}'
$idCred = [pscredential]::new('a1b2c3~secret-id', $secret)
New-PartnerAccessToken -RefreshToken $third.RefreshToken -Credential $idCred -Scopes '${SCOPE}'`);
    const o = r.objects[0];
    expect(new Set([o.a, o.b, o.c]).size).toBe(3);
    expect(o.user).toBe(emulator.info.users[0]);
    expect(r.objects[1].web).toBe(true);
    expect(decode(r.objects[1].appid)).toMatchObject({ appid: emulator.info.clientId, appidacr: "1" });
    expect(r.errors.map((e) => e.fullyQualifiedErrorId)).toEqual(["AADSTS700007,New-PartnerAccessToken", "ClientIdNotGuid,New-PartnerAccessToken"]);
    expect(r.errors[0].exceptionMessage).toMatch(/^AADSTS700007: The grant was issued for a different client id\./);
    expect(r.errors[1].exceptionMessage).toMatch(/ClientId is not a Guid: 'a1b2c3~secret-id'\. In the RefreshToken set the user name of -Credential is the application \(client\) id/);
    expect(r.errors[1].category).toBe("InvalidArgument");
  });

  test("-Module ExchangeOnline: device code with the Exchange Online app and scope; then its refresh token (-ModuleName)", async () => {
    const r = await withUser(`$t = New-PartnerAccessToken -Module ExchangeOnline -Verbose
$t
$u = New-PartnerAccessToken -ModuleName ExchangeOnline -RefreshToken $t.RefreshToken -UseAuthorizationCode
$u
# The partner's refresh token, exchanged for a customer tenant (the demo tenant is its delegated admin)
(New-PartnerAccessToken -Module ExchangeOnline -RefreshToken $u.RefreshToken -Tenant '${emulator.info.customerTenantId}').AccessToken`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(3);
    expect(decode(r.objects[2])).toMatchObject({ tid: emulator.info.customerTenantId, upn: emulator.info.users[0], aud: "https://outlook.office365.com" });
    r.objects.pop();
    for (const o of r.objects) {
      expect(decode(o.AccessToken)).toMatchObject({ aud: "https://outlook.office365.com", appid: "a0c73c16-a7e3-4564-9a95-2bdf47383716" });
      expect(o.RefreshToken).toMatch(/^1\.A/);
    }
    expect(r.objects[1].RefreshToken).not.toBe(r.objects[0].RefreshToken);
    expect(warnings(r)).toHaveLength(1);
    expect(verbose(r).join("\n")).toMatch(/flow DeviceCode, public client a0c73c16-a7e3-4564-9a95-2bdf47383716/);
  });

  test("an expired refresh token (AADSTS700082) and MFA on demand (AADSTS50076): errors that say what to do", async () => {
    const user = emulator.info.users[1];
    const first = await withUser(`(New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication).RefreshToken`, { user });
    const rt = first.objects[0] as string;
    await emulator.control("PUT", `/entra/users/${user}/interaction-required`, { code: 50076 });
    try {
      const r = await ps(`New-PartnerAccessToken -RefreshToken '${rt}' -ApplicationId $public -Scopes '${SCOPE}' -ErrorVariable ev -ErrorAction SilentlyContinue
$ev[0].ErrorDetails.RecommendedAction
$ev[0] | Out-String -Width 2000 | Out-Default`);
      expect(r.objects[0]).toBe(
        `Sign in again interactively (with multi-factor authentication if asked), then use the new refresh token: New-PartnerAccessToken -ApplicationId '${emulator.info.publicClientId}' -Scopes '${SCOPE}' -UseDeviceAuthentication`,
      );
      const rendered = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
      expect(rendered).toMatch(/\| AADSTS50076: Due to a configuration change made by your administrator/);
      expect(rendered).toMatch(/Recommendation: Sign in again interactively \(with multi-factor authentication if asked\)/);
      expect(rendered).not.toContain(rt);
    } finally {
      await emulator.control("PUT", `/entra/users/${user}/interaction-required`, { code: null });
    }
    await emulator.control("POST", "/entra/refresh-tokens/expire", { user });
    const r = await ps(`New-PartnerAccessToken -RefreshToken '${rt}' -ApplicationId $public -Scopes '${SCOPE}'`);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("AADSTS700082,New-PartnerAccessToken");
    expect(r.errors[0].exceptionMessage).toMatch(/^AADSTS700082: The refresh token has expired due to inactivity\./);
  });
});

describe("-ApplicationId and -Credential values as Az takes them", () => {
  test("padded, braced, parenthesized and 32-digit GUIDs are the app's id (sent in the D form); [pscredential]::Empty is no credential", async () => {
    const r = await withUser(`$id = $env:AZURE_CLIENT_ID
foreach ($a in " {$id} ", "{$id}", "  $id  ", "($id)", $id.Replace('-', '').ToUpperInvariant()) {
    (New-PartnerAccessToken -ApplicationId $a -Credential $cred -Scopes '${DEFAULT_SCOPE}' -ServicePrincipal -Tenant $env:AZURE_TENANT_ID).AccessToken
}
New-PartnerAccessToken -ApplicationId '{not-a-guid}' -Credential $cred -Scopes '${DEFAULT_SCOPE}' -ServicePrincipal -Tenant $env:AZURE_TENANT_ID
New-PartnerAccessToken -ApplicationId $id -Credential ([pscredential]::Empty) -Scopes '${DEFAULT_SCOPE}' -ServicePrincipal -Tenant $env:AZURE_TENANT_ID
# RefreshToken set: -Credential is optional there, and Empty means none: the public app of -ApplicationId refreshes.
$rt = (New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication).RefreshToken
(New-PartnerAccessToken -RefreshToken $rt -ApplicationId " {$public} " -Credential ([pscredential]::Empty) -Scopes '${SCOPE}').AccessToken`);
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.category, e.exceptionMessage])).toEqual([
      ["ClientIdNotGuid,New-PartnerAccessToken", "InvalidArgument", "ClientId is not a Guid: '{not-a-guid}'. (Parameter 'ApplicationId')"],
      [
        "CredentialRequired,New-PartnerAccessToken",
        "InvalidArgument",
        "-Credential needs the client secret as its password (it is empty: [pscredential]::Empty means no credential). (Parameter 'Credential')",
      ],
    ]);
    expect(r.objects).toHaveLength(6);
    for (const t of r.objects.slice(0, 5)) expect(decode(t)).toMatchObject({ appid: emulator.info.clientId, appidacr: "1" });
    expect(decode(r.objects[5])).toMatchObject({ appid: emulator.info.publicClientId, upn: emulator.info.users[0] });
  });
});

describe("a broken device code endpoint", () => {
  test("HTTP 404 from the devicecode URL is said as such (URL, host, status), not AADSTS70000; the token endpoint is never polled", async () => {
    const port = new URL(emulator.info.authorityHost).host;
    // Twice an HTML page (a host that has no such endpoint), then the emulator's own 404 envelope.
    await emulator.control("POST", "/faults", { match: { service: "entra", pathContains: "/devicecode" }, status: 404, count: 2, body: "<html><body>Not Found</body></html>" });
    await emulator.control("POST", "/faults", { match: { service: "entra", pathContains: "/devicecode" }, status: 404, count: 1 });
    const r = await ps(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication
New-PartnerAccessToken -Module ExchangeOnline -Tenant $env:AZURE_TENANT_ID
New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication -ErrorVariable ev -ErrorAction SilentlyContinue
$ev[0].ErrorDetails.RecommendedAction`);
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.category])).toEqual([
      ["DeviceCodeEndpointFailed,New-PartnerAccessToken", "ObjectNotFound"],
      ["DeviceCodeEndpointFailed,New-PartnerAccessToken", "ObjectNotFound"],
    ]);
    expect(r.errors[0].exceptionMessage).toContain(
      `The device code endpoint https://${port}/organizations/oauth2/v2.0/devicecode (host ${port}) answered HTTP 404 Not Found: there is no device code endpoint at that address. It said: Not Found`,
    );
    expect(r.errors[1].exceptionMessage).toContain(`The device code endpoint https://${port}/${emulator.info.tenantId}/oauth2/v2.0/devicecode (host ${port}) answered HTTP 404`);
    for (const e of r.errors) expect(e.exceptionMessage).not.toMatch(/AADSTS70000/);
    expect(r.objects).toEqual(["Check -Environment, -Tenant and AZURE_AUTHORITY_HOST (the sign-in host)."]);
    expect(warnings(r)).toEqual([]);
    const log = (await emulator.requestLog()).filter((e) => e.service === "entra" && /\/oauth2\/v2\.0\/(devicecode|token)$/.test(e.path));
    expect(log.map((e) => [e.method, e.path.split("/").at(-1), e.status])).toEqual([
      ["POST", "devicecode", 404],
      ["POST", "devicecode", 404],
      ["POST", "devicecode", 404],
    ]);
  });
});

describe("the suggested command (ErrorDetails.RecommendedAction)", () => {
  /** The command after "…refresh token: " in a RecommendedAction. */
  const SUGGESTED = `($ev[0].ErrorDetails.RecommendedAction -split 'refresh token: ', 2)[1]`;

  test("pasted after an expired refresh token, it signs in again in the caller's set: public app, confidential app (-Credential -ServicePrincipal), -Module ExchangeOnline", async () => {
    const user = emulator.info.users[1];
    // Refresh tokens of three kinds for the user: a public app's, the confidential app's, Exchange Online's.
    const first = await withUser(`(New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication).RefreshToken
(New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${SCOPE}' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal -UseAuthorizationCode).RefreshToken
(New-PartnerAccessToken -Module ExchangeOnline).RefreshToken`, { user });
    expect(first.errors).toEqual([]);
    const [pub, conf, exo] = first.objects as string[];
    await emulator.control("POST", "/entra/refresh-tokens/expire", { user });
    // Each refresh fails (AADSTS700082); its suggested command is run as pasted. Get-Credential is
    // the one prompt in it: answered with the app's credential, as the user would type it.
    const r = await withUser(`function Get-Credential { param([string]$UserName) [pscredential]::new($UserName, $secret) }
$suggested = @()
New-PartnerAccessToken -RefreshToken '${pub}' -ApplicationId $public -Scopes '${SCOPE}' -ErrorVariable ev -ErrorAction SilentlyContinue
$suggested += ${SUGGESTED}
New-PartnerAccessToken -RefreshToken '${conf}' -Credential $cred -Scopes '${SCOPE}' -ServicePrincipal -Tenant $env:AZURE_TENANT_ID -ErrorVariable ev -ErrorAction SilentlyContinue
$suggested += ${SUGGESTED}
New-PartnerAccessToken -Module ExchangeOnline -RefreshToken '${exo}' -ErrorVariable ev -ErrorAction SilentlyContinue
$suggested += ${SUGGESTED}
$suggested
foreach ($command in $suggested) {
    $t = Invoke-Expression $command
    [pscustomobject]@{ Account = $t.Account.Username; Refresh = [bool]$t.RefreshToken; AccessToken = $t.AccessToken }
}`, { user });
    expect(r.errors).toEqual([]);
    const [p, c, x] = r.objects.slice(0, 3);
    expect(p).toBe(`New-PartnerAccessToken -ApplicationId '${emulator.info.publicClientId}' -Scopes '${SCOPE}' -UseDeviceAuthentication`);
    expect(c).toBe(
      `New-PartnerAccessToken -ApplicationId '${emulator.info.clientId}' -Credential (Get-Credential -UserName '${emulator.info.clientId}') -Scopes '${SCOPE}' ` +
        `-ServicePrincipal -Tenant '${emulator.info.tenantId}' -UseAuthorizationCode`,
    );
    expect(x).toBe("New-PartnerAccessToken -Module ExchangeOnline");
    const tokens = r.objects.slice(3);
    expect(tokens.map((t: any) => [t.Account, t.Refresh])).toEqual([[user, true], [user, true], [user, true]]);
    expect(decode(tokens[0].AccessToken)).toMatchObject({ appid: emulator.info.publicClientId });
    // The confidential app signed in as itself (appidacr 1: a client secret).
    expect(decode(tokens[1].AccessToken)).toMatchObject({ appid: emulator.info.clientId, appidacr: "1" });
    expect(decode(tokens[2].AccessToken)).toMatchObject({ appid: "a0c73c16-a7e3-4564-9a95-2bdf47383716", aud: "https://outlook.office365.com" });
  });
});

describe("AccessToken", () => {
  test("decoded without any network call and echoed back; an expired one is refused with the original's message", async () => {
    const now = Math.floor(Date.now() / 1000);
    const good = (await emulator.control("POST", "/tokens", { audience: "https://api.partnercenter.microsoft.com", claims: { upn: "adele.vance@aztokenbridgedemo.onmicrosoft.com", oid: "b7a1c3e5-9d2f-4a6b-8c0e-1f3a5c7e9b2d" } })).body.accessToken;
    const expired = (await emulator.control("POST", "/tokens", { expiresInSeconds: -120 })).body.accessToken;
    await emulator.control("DELETE", "/requests");
    const r = await ps(`New-PartnerAccessToken -AccessToken '${good}' -ApplicationId $public -Scopes '${SCOPE}' -Credential $cred -Environment AzureGermanCloud
New-PartnerAccessToken -AccessToken '${expired}' -ApplicationId $public -Scopes '${SCOPE}'`);
    expect(r.objects).toHaveLength(1);
    expect(r.objects[0]).toMatchObject({
      AccessToken: good,
      RefreshToken: null,
      UniqueId: null,
      IdToken: null,
      TenantId: emulator.info.tenantId,
      Scopes: [SCOPE],
      CorrelationId: "00000000-0000-0000-0000-000000000000",
      Account: { Username: "adele.vance@aztokenbridgedemo.onmicrosoft.com", Environment: "login.microsoftonline.com" },
    });
    expect(new Date(r.objects[0].ExpiresOn.value).getTime() / 1000).toBeGreaterThan(now);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("TokenExpired,New-PartnerAccessToken");
    expect(r.errors[0].exceptionMessage).toBe("The access token has expired. Generate a new one and try again.");
    expect(await emulator.requestLog()).toEqual([]);
  });
});

describe("-Environment", () => {
  test("each environment's authority (requests redirected to the emulator by AZURE_AUTHORITY_HOST); AzureGermanCloud refused before any call", async () => {
    const r = await ps(`foreach ($e in 'AzureCloud', 'AzureChinaCloud', 'AzurePPE', 'AzureUSGovernment') {
  $t = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -EnvironmentName $e -Verbose
  $t.TenantId
}
New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -Environment AzureGermanCloud
try { New-PartnerAccessToken -ApplicationId x -Scopes y -Environment Mars -ErrorAction Stop } catch { $_.FullyQualifiedErrorId }`);
    expect(r.objects).toEqual([emulator.info.tenantId, emulator.info.tenantId, emulator.info.tenantId, emulator.info.tenantId, "ParameterArgumentTransformationError,New-PartnerAccessToken"]); // -Environment is the enum EnvironmentName (module/Client/Enums.cs)
    const t = emulator.info.tenantId;
    const redirect = `(requests go to ${emulator.info.authorityHost}/${t}: AZURE_AUTHORITY_HOST)`;
    expect(verbose(r).filter((v) => v.startsWith("New-PartnerAccessToken:"))).toEqual([
      `New-PartnerAccessToken: AzureCloud, authority https://login.microsoftonline.com/${t} ${redirect}; flow ClientCredentials, confidential (secret) client ${emulator.info.clientId}.`,
      `New-PartnerAccessToken: AzureChinaCloud, authority https://login.chinacloudapi.cn/${t} ${redirect}; flow ClientCredentials, confidential (secret) client ${emulator.info.clientId}.`,
      `New-PartnerAccessToken: AzurePPE, authority https://login.windows-ppe.net/${t} ${redirect}; flow ClientCredentials, confidential (secret) client ${emulator.info.clientId}.`,
      `New-PartnerAccessToken: AzureUSGovernment, authority https://login.microsoftonline.us/${t} ${redirect}; flow ClientCredentials, confidential (secret) client ${emulator.info.clientId}.`,
    ]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatchObject({ fullyQualifiedErrorId: "EnvironmentRetired,New-PartnerAccessToken", category: "InvalidArgument" });
    expect(r.errors[0].exceptionMessage).toMatch(/^The AzureGermanCloud environment \(Microsoft Cloud Deutschland, login\.microsoftonline\.de\) closed on 29 October 2021/);
    expect((await emulator.requestLog()).filter((x) => x.grantType === "client_credentials")).toHaveLength(4);
  });
});

describe("session", () => {
  test("an Az.Accounts session is not asked for an ARM token (only the session's variables are sent)", async () => {
    const r = await ps(`Import-Module '${path.join(__dirname, "..", "support", "Az.Accounts", "Az.Accounts.psd1")}'
$c = [pscredential]::new('x', [System.Net.NetworkCredential]::new('', $env:AZTB_TEST_SECRET).SecurePassword)
$null = New-PartnerAccessToken -ApplicationId '${emulator.info.clientId}' -Credential $c -Scopes '${DEFAULT_SCOPE}' -Tenant '${emulator.info.tenantId}'
[bool](Get-Module Az.Accounts)
$null -eq $global:AztbFakeAzTokenCalls`, {
      env: { AZURE_CLIENT_SECRET: undefined, AZTB_TEST_SECRET: emulator.info.clientSecret, AZTB_FAKE_AZ_SUBSCRIPTION: emulator.info.subscriptionId, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId, AZTB_FAKE_AZ_TOKEN: "not-used" },
    });
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([true, true]);
  });
});

describe("-Debug", () => {
  test("-Debug alone: no prompt; the device code message comes as a debug line and the sign-in completes", async () => {
    // The engine would make the warning an Inquire prompt under -Debug (it throws under -NonInteractive).
    const r = await withUser(`$t = New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication -Debug
[pscustomobject]@{ HasRefreshToken = [bool]$t.RefreshToken }`);
    expect(r.errors).toEqual([]);
    expect(r.objects[0].HasRefreshToken).toBe(true);
    const debug = r.records.filter((x) => x.kind === "debug").map((x) => x.message as string);
    expect(debug.some((m) => /^WARNING: .*(devicelogin|code)/i.test(m))).toBe(true);
  });
});

describe("secrets", () => {
  test("no secret, refresh token or access token in -Verbose or -Debug output", async () => {
    // -Debug makes warnings Inquire (as for any cmdlet): -WarningAction Continue keeps the device code message a plain warning.
    const r = await withUser(`$t = New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication -Verbose -Debug -WarningAction Continue
$r = New-PartnerAccessToken -RefreshToken $t.RefreshToken -ApplicationId $public -Scopes '${SCOPE}' -Verbose -Debug
$s = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes '${DEFAULT_SCOPE}' -Tenant $env:AZURE_TENANT_ID -Verbose -Debug
[pscustomobject]@{ rt1 = $t.RefreshToken; rt2 = $r.RefreshToken; at = $r.AccessToken; at2 = $s.AccessToken; id = $t.IdToken }`);
    expect(r.errors).toEqual([]);
    const o = r.objects[0];
    const diagnostics = r.records.filter((x) => x.kind === "verbose" || x.kind === "debug").map((x) => x.message).join("\n");
    expect(diagnostics).toMatch(/partner\/newAccessToken/);
    expect(diagnostics).toMatch(/"refreshToken":"\*\*\*"/);
    expect(diagnostics).toMatch(/"password":"\*\*\*"/);
    for (const secret of [emulator.info.clientSecret, o.rt1, o.rt2, o.at, o.at2, o.id]) {
      expect(secret.length).toBeGreaterThan(20);
      expect(diagnostics).not.toContain(secret);
      expect(r.stderr).not.toContain(secret);
    }
  });
});

describe("README", () => {
  test("the Partner Center examples run against the emulator", async () => {
    const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Partner Center: New-PartnerAccessToken"));
    const block = /```powershell\n([\s\S]+?)```/.exec(section)![1];
    expect(block).toMatch(/^\$emu = Start-AzTokenBridgeEmulator$/m);
    // The test's emulator stands in for the one the example starts (the session already points at it).
    const script = block
      .replace(/^\$emu = Start-AzTokenBridgeEmulator$/m, `$emu = [pscustomobject]@{ PublicClientId = '${emulator.info.publicClientId}'; CertificatePath = '${emulator.info.certificatePath}' }`)
      .replace(/^Stop-AzTokenBridgeEmulator$/m, "");
    const r = await withUser(script);
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(6);
    for (const o of r.objects) expect(o.$typeNames[0]).toBe(AUTH_RESULT);
    expect(decode(r.objects[3].AccessToken).aud).toBe("https://outlook.office365.com");
    expect(decode(r.objects[4].AccessToken).tid).toBe(emulator.info.customerTenantId);
  });
});

describe("cancellation", () => {
  test("Ctrl+C (the host's stop) during device code: the call ends promptly, polling stops", async () => {
    const run = spawn(`try {
    New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}' -UseDeviceAuthentication
} finally {
    [Console]::Out.WriteLine('finally ran')
}`);
    await run.waitForOutput(/enter the code [A-Z0-9]{9}/, 60000);
    await new Promise((resolve) => setTimeout(resolve, 1500)); // polling
    const stoppedAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.result;
    expect(Date.now() - stoppedAt).toBeLessThan(15_000); // generous: nobody approves the code
    // pwsh -File after Ctrl+C exits 0 or 1 (both seen here, by where the stop lands: the statement or the script); the module does not choose
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toMatch(/finally ran/);
    expect(r.objects).toEqual([]);
    const polls = async () => (await emulator.requestLog()).filter((x) => x.grantType === "device_code").length;
    const before = await polls();
    expect(before).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await polls()).toBe(before);
  });

  test("a stop during the browser sign-in closes the loopback listener: the port is free and the next sign-in takes it again", async () => {
    const r = await ps(`$ps = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $ps.AddScript("Import-Module '${MODULE_MANIFEST}'; New-PartnerAccessToken -ApplicationId '$public' -Scopes '${SCOPE}'")
$async = $ps.BeginInvoke()
$deadline = [datetime]::UtcNow.AddSeconds(30)
while ($ps.Streams.Warning.Count -lt 2 -and [datetime]::UtcNow -lt $deadline) { [System.Threading.Thread]::Sleep(50) }
$url = [regex]::Match($ps.Streams.Warning[1].Message, 'https://\\S+').Value
$port = [int][regex]::Match($url, 'redirect_uri=http%3A%2F%2Flocalhost%3A(\\d+)', 'IgnoreCase').Groups[1].Value
$busy = try { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port); $l.Start(); $l.Stop(); $false } catch { $true }
$ps.Stop()
[System.Threading.Thread]::Sleep(500)
$free = try { $l = [System.Net.Sockets.TcpListener]::new([System.Net.IPAddress]::Loopback, $port); $l.Start(); $l.Stop(); $true } catch { $false }
[pscustomobject]@{ port = $port; busyWhileWaiting = $busy; freeAfterStop = $free; state = [string]$ps.InvocationStateInfo.State }
$ps.Dispose()`);
    expect(r.errors).toEqual([]);
    expect(r.objects[0]).toMatchObject({ port: 8400, busyWhileWaiting: true, freeAfterStop: true, state: "Stopped" });
    expect(await portFree(8400)).toBe(true);
    // The next sign-in gets 8400 again and completes.
    const again = await withUser(`(New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}').Account.Username`);
    expect(again.objects).toEqual([emulator.info.users[0]]);
    expect(new URL(again.urls[0]).searchParams.get("redirect_uri")).toBe("http://localhost:8400/");
  });

  test("a taken port is skipped with the original's warning", async () => {
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(8400, "127.0.0.1", () => resolve()));
    try {
      const r = await withUser(`New-PartnerAccessToken -ApplicationId $public -Scopes '${SCOPE}'`);
      expect(r.errors).toEqual([]);
      expect(warnings(r)[0]).toMatch(/^Port 8400 is taken with exception '.*'; trying to connect to the next port\.$/);
      expect(new URL(r.urls[0]).searchParams.get("redirect_uri")).toBe("http://localhost:8401/");
    } finally {
      blocker.close();
    }
  });
});
