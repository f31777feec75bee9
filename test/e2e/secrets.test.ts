/**
 * Secrets never leak (issue E, first part): every cmdlet run with -Verbose -Debug, every stream and
 * stderr captured (the host's and the server's), and none of the secrets used or returned appears
 * outside the objects that are meant to carry them: the client secret, the bearer tokens, APIM user
 * tokens and keys, container registry passwords, Partner Center access tokens.
 * The server runs with its log at the most detailed level (AZTOKENBRIDGE_LOG_LEVEL=verbose) into a
 * file (AZTOKENBRIDGE_LOG_FILE): the file is 0600, holds the request lines and the Azure SDK's
 * HTTP log, and none of the secrets either.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";
import { SESSION_VARIABLES } from "../../src/protocol";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
});

test("every cmdlet with -Verbose -Debug and the server's log at verbose: no secret in any stream, in stderr, in the log file, or in the emulator's request log", async () => {
  const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-log-"));
  const logFile = path.join(logDir, "server.log");
  const keys = await emulator.control<Record<string, string>>("GET", "/apim/users/integration/keys");
  const name = `sec-${Date.now().toString(36)}`;
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$VerbosePreference = 'Continue'; $DebugPreference = 'Continue'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice -Verbose -Debug
$users = @(Get-AzApiManagementUser -Context $context -Verbose -Debug)
$access = Get-AzApiManagementTenantAccess -Context $context -Verbose -Debug
$git = Get-AzApiManagementTenantGitAccess -Context $context -Verbose -Debug
$apim = @($users[0..2] | New-AzApiManagementUserToken -Context $context -Verbose -Debug) + @(New-AzApiManagementUserToken -Context $context -UserId $access.Id -Verbose -Debug)
$acr = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId (Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -Name newmap -Verbose -Debug).Id -GeneratePassword -Verbose -Debug
$more = New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -TokenId $acr.Id -Name password2 -Verbose -Debug
$null = Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name ${name} -Verbose -Debug
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
$partner = New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $credential -Tenant $env:AZURE_TENANT_ID -Scopes 'https://api.partnercenter.microsoft.com/.default' -ServicePrincipal -Verbose -Debug
$echo = New-PartnerAccessToken -AccessToken $partner.AccessToken -ApplicationId $env:AZURE_CLIENT_ID -Scopes 'https://api.partnercenter.microsoft.com/.default' -Verbose -Debug
[pscustomobject]@{
    Secrets = @($apim.UserToken) + @($acr.CredentialsPassword | ForEach-Object Value) + @(@($more.Password, $more.Password2) | Where-Object { $_ }) + @($partner.AccessToken)
}`,
    {
      json: true,
      timeoutMs: 120_000,
      env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: logFile },
    },
  );
  expect(r.errors).toEqual([]);
  const returned = r.objects.at(-1).Secrets as string[];
  expect(returned.length).toBeGreaterThanOrEqual(8);
  const secrets = [
    emulator.info.clientSecret,
    keys.body.primaryKey,
    keys.body.secondaryKey,
    ...returned.map((t) => (t.includes("&") ? t.split("&")[2] : t)), // an APIM token's signature part
  ];
  for (const s of secrets) expect(s.length).toBeGreaterThanOrEqual(16);

  const streams = r.records.filter((x) => x.kind !== "object");
  expect(streams.filter((x) => x.kind === "verbose").length).toBeGreaterThan(10);
  expect(streams.filter((x) => x.kind === "debug").length).toBeGreaterThan(10);
  // -Debug hides the secrets only: names, states, dates and ids stay readable, for APIM and ACR
  // alike; a URL's '&' is printed as it is.
  const debugText = streams.filter((x) => x.kind === "debug").map((x) => x.message).join("\n");
  for (const visible of [`"name":"${name}"`, '"status":"enabled"', '"provisioningState":"Succeeded"', '"name":"password2"', '"keyType":"Primary"', '"userId":"', '"state":"Active"']) {
    expect([visible, debugText.includes(visible)]).toEqual([visible, true]);
  }
  for (const date of ["createdAt", "creationTime", "expiry", "registrationDate"]) expect([date, new RegExp(`"${date}":"20\\d\\d-`).test(debugText)]).toEqual([date, true]);
  for (const hidden of ["userToken", "value", "accessToken"]) expect([hidden, new RegExp(`"${hidden}":"(?!\\*\\*\\*")`).test(debugText)]).toEqual([hidden, false]);
  expect(debugText).not.toContain("\\u0026");
  // The server's log file: private, and it really logged (so that the checks below can fail).
  expect(fs.statSync(logFile).mode & 0o777).toBe(0o600);
  const serverLog = fs.readFileSync(logFile, "utf8");
  fs.rmSync(logDir, { recursive: true, force: true });
  const lines = serverLog.split("\n").filter(Boolean);
  for (const method of ["apim/getUsers", "apim/newUserToken", "apim/getTenantAccess", "acr/createToken", "acr/getScopeMaps", "acr/generateCredentials", "partner/newAccessToken"]) {
    expect([method, lines.some((l) => new RegExp(` verbose: request \\d+ ${method}: ok in \\d+ ms$`).test(l))]).toEqual([method, true]);
  }
  // The Azure SDK's HTTP log (logPolicy, under the namespace of the client that made the request).
  expect(lines.filter((l) => / azure:[\w-]+:info Request: \{.*"url": "https:\/\/127\.0\.0\.1/.test(l)).length).toBeGreaterThan(5);
  expect(lines.some((l) => / azure:[\w-]+:info Response status code: 200/.test(l))).toBe(true);
  expect(serverLog).toMatch(/"authorization": "REDACTED"/); // the SDK's sanitizer ran on the bearer headers
  expect(lines.some((l) => / msal: /.test(l))).toBe(true); // msal-node's log, for the Partner Center sign-in
  expect(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z \d+ (error|warning|info|verbose): /.test(l))).toBe(true);

  const diagnostics = JSON.stringify(streams) + r.stderr;
  const log = JSON.stringify(await emulator.requestLog());
  for (const s of secrets) {
    expect(diagnostics).not.toContain(s);
    expect(log).not.toContain(s);
    expect(serverLog).not.toContain(s);
  }
  // No bearer token of any kind (JWTs: ARM and Entra ID tokens, the Partner Center token), and no
  // query value but api-version in any URL (ARM signs operation status URLs: &s=…&h=…).
  expect(serverLog).not.toMatch(/eyJ[\w-]{8,}\.eyJ[\w-]{8,}/);
  expect(serverLog).toMatch(/operationStatuses\/[^?\s]+\?api-version=[\w-]+&t=REDACTED&c=REDACTED&s=REDACTED&h=REDACTED/);
  expect(serverLog.match(/[?&](?!api-version=)[\w.$-]+=(?!REDACTED)[^&\s"',}]+/g) ?? []).toEqual([]);
}, 150_000);

test("the server listens on no TCP port", async () => {
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
[Console]::Out.WriteLine("server " + (& (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }))
# The server's listening sockets, from /proc: inodes of its socket fds that are in LISTEN state.
$server = & (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }
$inodes = foreach ($fd in [System.IO.Directory]::GetFiles("/proc/$server/fd")) {
    $target = [System.IO.FileInfo]::new($fd).LinkTarget
    if ($target -match '^socket:\\[(\\d+)\\]$') { $Matches[1] }
}
$listening = foreach ($table in '/proc/net/tcp', '/proc/net/tcp6') {
    foreach ($line in [System.IO.File]::ReadAllLines($table) | Where-Object { $_ -match '^\\s*\\d+:' }) {
        $f = $line.Trim() -split '\\s+'
        if ($f[3] -eq '0A' -and $f[9] -in $inodes) { $f[1] }
    }
}
[Console]::Out.WriteLine("sockets $(@($inodes).Count) listening $(@($listening).Count)")`,
    { timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
  );
  expect(r.stderr).toBe("");
  const m = /^sockets (\d+) listening (\d+)$/m.exec(r.stdout);
  expect(m).not.toBeNull();
  expect(Number(m![1])).toBeGreaterThan(0); // it does hold sockets: the HTTPS connection to the emulator
  expect(Number(m![2])).toBe(0);
});

test("unrelated secrets of the session never reach -Debug or the server: only the server's variables are sent, and it starts without the session's secrets", async () => {
  const unrelated: Record<string, string> = {
    AZURE_STORAGE_KEY: "storage-key-Zq81hT4cVw",
    AZURE_OPENAI_API_KEY: "openai-key-Pm27xLk09e",
    AZURE_DEVOPS_EXT_PAT: "devops-pat-Rt55bNw3qa",
    AZURE_STORAGE_CONNECTION_STRING: "DefaultEndpointsProtocol=https;AccountKey=conn-key-Hy64dFs8uj",
    GITHUB_TOKEN: "ghp_unrelatedTokenValue0987",
  };
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$env:IDENTITY_HEADER = 'identity-header-Lo92cVb7ne'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
New-AzApiManagementUserToken -Context $context -UserId integration -Debug 5>&1 | ForEach-Object { if ($_ -is [System.Management.Automation.DebugRecord]) { [Console]::Out.WriteLine("DEBUG " + $_.Message) } }
$server = & (Get-Module AzTokenBridge) { (Get-AzTokenBridgeServer).ProcessId }
$names = [System.IO.File]::ReadAllText("/proc/$server/environ").Split([char]0) | Where-Object { $_ } | ForEach-Object { ($_ -split '=', 2)[0] }
[Console]::Out.WriteLine("ENVIRON " + ($names -join ','))
[Console]::Out.WriteLine("ENVIRONTEXT " + [System.IO.File]::ReadAllText("/proc/$server/environ").Replace([char]0, ' '))`,
    { timeoutMs: 60_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, ...unrelated } },
  );
  expect(r.stderr).toBe("");
  const request = r.stdout.split("\n").find((l) => l.startsWith("DEBUG AzTokenBridge → "));
  expect(request).toBeDefined();
  const sent = JSON.parse(request!.slice("DEBUG AzTokenBridge → ".length));
  // Only the variables the server reads are sent (protocol.ts SESSION_VARIABLES)…
  const names = Object.keys(sent.params.context.env);
  expect(names).toEqual(expect.arrayContaining(["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "IDENTITY_HEADER", "AZTOKENBRIDGE_ARM_ENDPOINT"]));
  for (const name of names) expect([name, name in SESSION_VARIABLES]).toEqual([name, true]);
  // …secret ones printed as ***, harmless ones as they are, the token hidden in the answer.
  expect(sent.params.context.env.AZURE_CLIENT_SECRET).toBe("***");
  expect(sent.params.context.env.IDENTITY_HEADER).toBe("***");
  expect(sent.params.context.env.AZURE_TENANT_ID).toBe(emulator.info.tenantId);
  expect(sent.params.userId).toBe("integration");
  expect(r.stdout).toMatch(/DEBUG AzTokenBridge ← \{"jsonrpc":"2\.0","id":\d+,"result":\{"userToken":"\*\*\*"\}\}/);
  // The server's own environment: none of the session's secrets, none of the per-call variables.
  const environ = /^ENVIRON (.*)$/m.exec(r.stdout)![1].split(",");
  expect(environ).toContain("PATH");
  for (const name of [...Object.keys(unrelated), "AZURE_CLIENT_SECRET", "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "IDENTITY_HEADER"]) {
    expect([name, environ.includes(name)]).toEqual([name, false]);
  }
  for (const value of [...Object.values(unrelated), emulator.info.clientSecret, "identity-header-Lo92cVb7ne"]) {
    expect(r.stdout).not.toContain(value);
  }
}, 90_000);
