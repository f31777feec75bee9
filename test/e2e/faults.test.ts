/**
 * Faults (issue E): a server killed in the middle of a piped batch, a server that writes garbage.
 * Every call in flight fails with a clear error naming the cause, the next call starts a new server
 * and succeeds, nothing hangs and no process is left behind.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("PUT", "/latency", { ms: 0 });
});

const env = (extra: Record<string, string | undefined> = {}) => ({ ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, ...extra });

test("the server killed during a piped batch: each input in flight fails naming the cause, in order; the rest go on with a new server", async () => {
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$m = Get-Module AzTokenBridge
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId)
$old = & $m { [System.Diagnostics.Process]::GetProcessById((Get-AzTokenBridgeServer).ProcessId) }
# Every answer now takes 3 s, so the first 8 inputs are all in flight when the server is killed.
$handler = [System.Net.Http.HttpClientHandler]::new()
$handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$http = [System.Net.Http.HttpClient]::new($handler)
$null = $http.PutAsync('${emulator.info.controlEndpoint}/latency', [System.Net.Http.StringContent]::new('{"ms":3000}', [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult()
$tokens = & {
    for ($i = 0; $i -lt 10; $i++) {
        if ($i -eq 8) { $old.Kill(); $null = $old.WaitForExit(5000) }
        [pscustomobject]@{ UserId = $users[$i] }
    }
} | New-AzApiManagementUserToken -Context $context -ThrottleLimit 8 -ErrorVariable failed -ErrorAction SilentlyContinue
$new = & $m { (Get-AzTokenBridgeServer).ProcessId }
[pscustomobject]@{
    Tokens    = @($tokens | ForEach-Object UserId)
    ErrorIds  = @($failed | ForEach-Object FullyQualifiedErrorId)
    Messages  = @($failed | ForEach-Object { $_.Exception.Message })
    Targets   = @($failed | ForEach-Object TargetObject)
    Users     = $users[0..9]
    OldGone   = $old.HasExited
    NewServer = $new -ne $old.Id
}`,
    { json: true, timeoutMs: 90_000, env: env() },
  );
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.Targets).toEqual(o.Users.slice(0, 8));
  expect(o.ErrorIds).toEqual(Array(8).fill("AzTokenBridgeServerExited,New-AzApiManagementUserToken"));
  for (const m of o.Messages) expect(m).toMatch(/The AzTokenBridge server \(process \d+\) exited/);
  expect(o.Tokens).toEqual(o.Users.slice(8, 10));
  expect(o.OldGone).toBe(true);
  expect(o.NewServer).toBe(true);
}, 120_000);

test("a server that writes garbage (a stand-in through AZTOKENBRIDGE_SERVER): a clear error; it is ended; a real server then works", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-garbage-"));
  const standIn = path.join(dir, "garbage.js");
  const pidFile = path.join(dir, "pid");
  // Answers any input with something that is not a frame, and stays alive until its stdin closes.
  fs.writeFileSync(
    standIn,
    `require("fs").writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
process.stdin.once("data", () => process.stdout.write("HTTP/1.1 200 OK\\r\\nServer: not-json-rpc\\r\\n\\r\\n<html>"));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();`,
  );
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration -ErrorVariable failed -ErrorAction SilentlyContinue
# The module closed the stand-in's stdin when the connection failed: it has exited, or does so now.
$gone = try { [System.Diagnostics.Process]::GetProcessById([int][System.IO.File]::ReadAllText('${pidFile}')).WaitForExit(3000) } catch [System.ArgumentException] { $true }
$env:AZTOKENBRIDGE_SERVER = $null
$t = New-AzApiManagementUserToken -Context $context -UserId integration
[pscustomobject]@{ ErrorId = $failed[0].FullyQualifiedErrorId; Message = $failed[0].Exception.Message; StandInGone = $gone; After = $t.UserId }`,
    { json: true, timeoutMs: 60_000, env: env({ AZTOKENBRIDGE_SERVER: `node ${standIn}` }) },
  );
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.ErrorId).toBe("AzTokenBridgeServerExited,New-AzApiManagementUserToken");
  expect(o.Message).toMatch(/The connection to the AzTokenBridge server \(process \d+\) failed: The server sent a frame without Content-Length: 'HTTP\/1.1 200 OK/);
  expect(o.StandInGone).toBe(true);
  expect(o.After).toBe("integration");
});

describe("throttling and server errors (retry policy: src/azure/retry.ts)", () => {
  afterEach(async () => {
    await emulator.control("DELETE", "/faults");
  });

  test("429 with Retry-After and 5xx on 30% of ARM and Entra ID requests: every call still succeeds", async () => {
    await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
    // Seeded draws: the same requests are faulted in every run.
    await emulator.control("POST", "/faults", { match: { service: "arm" }, status: 429, retryAfterSeconds: 1, probability: 0.15, seed: 11, count: 100000 });
    await emulator.control("POST", "/faults", { match: { service: "arm" }, status: 503, probability: 0.18, seed: 12, count: 100000 });
    await emulator.control("POST", "/faults", { match: { service: "entra" }, status: 429, retryAfterSeconds: 1, probability: 0.15, seed: 13, count: 100000 });
    await emulator.control("POST", "/faults", { match: { service: "entra" }, status: 503, probability: 0.18, seed: 14, count: 100000 });
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$users = @(Get-AzApiManagementUser -Context $context)
$apim = @($users + $users | New-AzApiManagementUserToken -Context $context)
$acr = @(1..3 | ForEach-Object { New-AzContainerRegistryToken -Name "flaky-$([guid]::NewGuid().ToString('n').Substring(0, 8))" -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId "/subscriptions/$env:AZURE_SUBSCRIPTION_ID/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap" })
$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$credential = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
$partner = @(1..10 | ForEach-Object { New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $credential -Tenant $env:AZURE_TENANT_ID -Scopes 'https://api.partnercenter.microsoft.com/.default' -ServicePrincipal })
[pscustomobject]@{ Users = $users.Count; Apim = $apim.Count; Acr = @($acr | Where-Object ProvisioningState -eq 'Succeeded').Count; Partner = @($partner | Where-Object AccessToken).Count }`,
      { json: true, timeoutMs: 240_000, env: env() },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.at(-1)).toMatchObject({ Users: 25, Apim: 50, Acr: 3, Partner: 10 });
    const log = await emulator.requestLog();
    const faulted = (service: string) => log.filter((x) => x.service === service && x.fault).length;
    // The faults did happen, on both services.
    expect(faulted("arm")).toBeGreaterThan(10);
    expect(faulted("entra")).toBeGreaterThan(1);
  }, 300_000);

  test("ARM failing every request: a clear error with the service's code, within the documented bound", async () => {
    await emulator.control("DELETE", "/requests");
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$null = New-AzApiManagementUserToken -Context $context -UserId integration   # signed in
$handler = [System.Net.Http.HttpClientHandler]::new()
$handler.ServerCertificateCustomValidationCallback = [System.Net.Http.HttpClientHandler]::DangerousAcceptAnyServerCertificateValidator
$http = [System.Net.Http.HttpClient]::new($handler)
$fault = '{"match":{"service":"arm"},"status":503,"count":1000}'
$null = $http.PostAsync('${emulator.info.controlEndpoint}/faults', [System.Net.Http.StringContent]::new($fault, [System.Text.Encoding]::UTF8, 'application/json')).GetAwaiter().GetResult()
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$null = New-AzApiManagementUserToken -Context $context -UserId integration -ErrorVariable failed -ErrorAction SilentlyContinue
[pscustomobject]@{ Seconds = $sw.Elapsed.TotalSeconds; ErrorId = $failed[0].FullyQualifiedErrorId; Message = $failed[0].Exception.Message; Category = $failed[0].CategoryInfo.Category.ToString() }`,
      { json: true, timeoutMs: 120_000, env: env() },
    );
    expect(r.errors).toEqual([]);
    const o = r.objects.at(-1);
    expect(o.Message).toMatch(/Error Code: ServerBusy|Error Code: ServiceUnavailable|503/);
    expect(o.Category).not.toBe("NotSpecified");
    // 8 retries with backoff capped at 4 s (retry.ts): about 13 s, never much more.
    expect(o.Seconds).toBeLessThan(30);
    const arm = (await emulator.requestLog()).filter((x) => x.service === "arm" && x.fault);
    expect(arm).toHaveLength(9); // the request and its 8 retries
  }, 150_000);
});
