/**
 * Throttling that must not stall a session (issue R, item 6; the holds themselves are unit-tested
 * in test/unit/azure.throttle.test.ts): ARM asking to retry after more than 120 s is not waited
 * out — the input fails at once with ARM's 429 (a ServiceError with its code and message) — and
 * the next input, to the same subscription, is not held.
 */
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
afterEach(async () => {
  await emulator.control("DELETE", "/faults");
});

test("Retry-After: 86400 on one input: that input fails at once with ARM's 429; the next one is not held", async () => {
  await emulator.control("POST", "/faults", { match: { service: "arm", pathContains: "/users/integration/token" }, status: 429, retryAfterSeconds: 86400, count: 1 });
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$users = @(Get-AzApiManagementUser -Context $context | ForEach-Object UserId | Where-Object { $_ -ne 'integration' })
$sw = [System.Diagnostics.Stopwatch]::StartNew()
$null = New-AzApiManagementUserToken -Context $context -UserId integration -ErrorVariable failed -ErrorAction SilentlyContinue
$first = $sw.Elapsed.TotalSeconds
$t = New-AzApiManagementUserToken -Context $context -UserId $users[0]
[pscustomobject]@{
    First = $first; Second = $sw.Elapsed.TotalSeconds - $first; Other = $t.UserId; Expected = $users[0]
    Count = $failed.Count; ErrorId = $failed[0].FullyQualifiedErrorId; Message = $failed[0].Exception.Message
    Category = [string]$failed[0].CategoryInfo.Category
}`,
    { json: true, timeoutMs: 90_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
  );
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.Count).toBe(1);
  expect(o.ErrorId).toBe("TooManyRequests,New-AzApiManagementUserToken");
  expect(o.Category).toBe("LimitsExceeded");
  expect(o.Message).toMatch(/Error Code: TooManyRequests\s+Error Message: The request is being throttled\./);
  expect(o.First).toBeLessThan(10);
  expect(o.Other).toBe(o.Expected);
  expect(o.Second).toBeLessThan(10);
  const tokenCalls = (await emulator.requestLog()).filter((e: { path: string }) => e.path.includes("/users/integration/token"));
  expect(tokenCalls).toHaveLength(1); // not retried
}, 120_000);
