/**
 * Secrets never leak (issue E, first part): every cmdlet run with -Verbose -Debug, every stream and
 * stderr captured (the host's and the server's), and none of the secrets used or returned appears
 * outside the objects that are meant to carry them: the client secret, the bearer tokens, APIM user
 * tokens and keys, container registry passwords, Partner Center access tokens.
 */
import * as fs from "node:fs";
import { EmulatorProcess, startEmulatorProcess } from "../support/emulator";
import { MODULE_MANIFEST, SERVER_BINARY } from "../support/paths";
import { runPs } from "../support/pshost";

let emulator: EmulatorProcess;

beforeAll(async () => {
  if (!fs.existsSync(SERVER_BINARY)) throw new Error(`${SERVER_BINARY} is missing: run npm run build first`);
  emulator = await startEmulatorProcess();
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
});
afterAll(async () => emulator?.stop());

test("every cmdlet with -Verbose -Debug: no secret in any stream, in stderr, or in the emulator's request log", async () => {
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
    { json: true, timeoutMs: 120_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
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
  const diagnostics = JSON.stringify(streams) + r.stderr;
  const log = JSON.stringify(await emulator.requestLog());
  for (const s of secrets) {
    expect(diagnostics).not.toContain(s);
    expect(log).not.toContain(s);
  }
}, 150_000);

test("the server listens on no TCP port", async () => {
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration
[Console]::Out.WriteLine("server " + (& (Get-Module AzTokenBridge) { (Get-AzTokenBridgeState)['Connection'].Process.Id }))
# The server's listening sockets, from /proc: inodes of its socket fds that are in LISTEN state.
$server = & (Get-Module AzTokenBridge) { (Get-AzTokenBridgeState)['Connection'].Process.Id }
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
