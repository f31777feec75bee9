/**
 * The cmdlets behave like compiled Az cmdlets where a caller can tell (issue Z items 1, 2, 5, 6):
 *
 * - preferences set in the caller's scope ($ErrorActionPreference, $WhatIfPreference,
 *   $ConfirmPreference, $VerbosePreference, $DebugPreference, $WarningPreference) reach the cmdlet,
 *   in a script run with `& ./x.ps1` from a `pwsh -File` script and inside a function (a script
 *   module's function would otherwise see its module's scope: module/Private/Preferences.ps1);
 * - a `throw` in a later pipeline stage ends the cmdlet at once, as the downstream's own error, and
 *   a `pwsh -File` script exits 1, as with a compiled cmdlet (Write-Output is the reference);
 * - `-Expiry $null` (or a piped Expiry of $null) is New-AzApiManagementUserToken's 8-hour default;
 * - New-PartnerAccessToken does nothing for piped input that bound to nothing.
 *
 * Every assertion is on what the session and the emulator saw (records, exit codes, the request
 * log), never on elapsed time.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, RequestLogEntry, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const MAP_ID = `${REG_ID}/scopeMaps/newmap`;

let emulator: EmulatorProcess;
let dir: string;
let n = 0;
/** A token name not used before in this run. */
const fresh = (prefix = "zp") => `${prefix}-${Date.now().toString(36)}-${++n}`;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-caller-"));
});
afterAll(async () => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
  await emulator.control("DELETE", "/requests");
});

/** Writes a script next to the test's scripts and returns its path (for `& '<path>'`). */
function child(name: string, text: string): string {
  const file = path.join(dir, `${name}-${++n}.ps1`);
  fs.writeFileSync(file, text, "utf8");
  return file;
}

/** The module, an APIM context ($ctx) and the registry's scope map id ($map), then the script. */
function ps(script: string, opts: { json?: boolean; env?: Record<string, string | undefined> } = { json: true }): Promise<PsResult> {
  return runPs(
    `Import-Module '${MODULE_MANIFEST}'
$ctx = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
$map = '${MAP_ID}'
${script}`,
    { json: opts.json, timeoutMs: 90_000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_THROTTLE_LIMIT: undefined, ...opts.env } },
  );
}

const armWrites = (log: RequestLogEntry[]) => log.filter((e) => e.service === "arm" && (e.method === "PUT" || e.method === "POST"));
const tokenRequests = (log: RequestLogEntry[]) => log.filter((e) => /\/users\/[^/]+\/token$/.test(e.path));
const hostLines = (r: PsResult) => r.records.filter((x) => x.kind === "host").map((x) => String(x.text));

describe("caller-scope preferences (issue Z item 1)", () => {
  test("$ErrorActionPreference = 'Stop' in a script run with & and in a function: the failing call stops, its try catches; -ErrorAction still wins", async () => {
    const script = child(
      "stop",
      `$ErrorActionPreference = 'Stop'
try { New-AzApiManagementUserToken -Context $ctx -UserId nosuchuser; 'script went on' } catch { "script caught $($_.FullyQualifiedErrorId)" }
`,
    );
    const r = await ps(`& '${script}'
function Invoke-Stop {
    $ErrorActionPreference = 'Stop'
    try { New-AzApiManagementUserToken -Context $ctx -UserId nosuchuser; 'function went on' } catch { "function caught $($_.FullyQualifiedErrorId)" }
    # The common parameter is the caller's choice for this one call: the error is written and the function goes on.
    New-AzApiManagementUserToken -Context $ctx -UserId nosuchuser -ErrorAction Continue
    'after -ErrorAction Continue'
}
Invoke-Stop
function Invoke-Silently { $ErrorActionPreference = 'SilentlyContinue'; New-AzApiManagementUserToken -Context $ctx -UserId nosuchuser; "silent: $($Error[0].FullyQualifiedErrorId)" }
Invoke-Silently`);
    expect(r.code).toBe(0);
    expect(r.objects).toEqual([
      "script caught ResourceNotFound,New-AzApiManagementUserToken",
      "function caught ResourceNotFound,New-AzApiManagementUserToken",
      "after -ErrorAction Continue",
      "silent: ResourceNotFound,New-AzApiManagementUserToken",
    ]);
    // Only the -ErrorAction Continue call wrote its error; the silent one wrote none.
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.terminating])).toEqual([["ResourceNotFound,New-AzApiManagementUserToken", false]]);
  }, 120_000);

  test("$WhatIfPreference = $true in a script run with & and in a function: no token created, no password replaced", async () => {
    const existing = fresh();
    const [a, b] = [fresh(), fresh()];
    const script = child(
      "whatif",
      `$WhatIfPreference = $true
New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -TokenId $t.Id -Name password1
`,
    );
    const r = await ps(`$t = New-AzContainerRegistryToken -Name ${existing} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
'created'
& '${script}'
function Invoke-WhatIf {
    $WhatIfPreference = $true
    New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
    New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -TokenId $t.Id -Name password1
}
Invoke-WhatIf
'done'
foreach ($name in '${a}', '${b}') { Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name $name -ErrorAction SilentlyContinue; "$name $($Error[0].FullyQualifiedErrorId)" }`);
    expect(r.code).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["created", "done", `${a} ResourceNotFound,Get-AzContainerRegistryToken`, `${b} ResourceNotFound,Get-AzContainerRegistryToken`]);
    // pwsh's own "What if:" lines, two for each form.
    const whatIf = hostLines(r).filter((l) => l.startsWith("What if:"));
    expect(whatIf).toEqual([
      `What if: Performing the operation "New-AzContainerRegistryToken_CreateExpanded" on target "Call remote 'TokensCreate' operation".`,
      `What if: Performing the operation "New-AzContainerRegistryCredentials_GenerateExpanded" on target "Call remote 'RegistriesGenerateCredentials' operation".`,
      `What if: Performing the operation "New-AzContainerRegistryToken_CreateExpanded" on target "Call remote 'TokensCreate' operation".`,
      `What if: Performing the operation "New-AzContainerRegistryCredentials_GenerateExpanded" on target "Call remote 'RegistriesGenerateCredentials' operation".`,
    ]);
    // The emulator saw one write: the creation of the existing token (no PUT for a or b, no generateCredentials).
    const writes = armWrites(await emulator.requestLog());
    expect(writes.map((e) => e.method)).toEqual(["PUT"]);
    expect(writes[0].path).toContain(`/tokens/${existing}`);
  }, 120_000);

  test("$ConfirmPreference = 'Low' in a function asks before creating (and cannot ask under -NonInteractive): nothing is created", async () => {
    const name = fresh();
    const r = await ps(`function Invoke-Confirm {
    $ConfirmPreference = 'Low'
    try { New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map; 'went on' } catch { "asked: $($_.FullyQualifiedErrorId): $($_.Exception.Message)" }
}
Invoke-Confirm`);
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(1);
    // ShouldProcess prompted (ConfirmImpact Medium ≥ the caller's Low), which -NonInteractive refuses.
    expect(r.objects[0]).toMatch(/^asked: PSInvalidOperationException,New-AzContainerRegistryToken: .*NonInteractive/);
    expect(armWrites(await emulator.requestLog())).toEqual([]);
  }, 120_000);

  test("$VerbosePreference and $DebugPreference in a script run with &, $WarningPreference in a function", async () => {
    const logDir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-caller-log-"));
    const logFile = path.join(logDir, "server.log");
    fs.writeFileSync(logFile, "");
    fs.chmodSync(logFile, 0o644); // refused by the server: its notice is the session's one warning
    try {
      const script = child(
        "streams",
        `$VerbosePreference = 'Continue'
$DebugPreference = 'Continue'
$null = Get-AzApiManagementTenantAccess -Context $ctx
`,
      );
      const r = await ps(
        `function Invoke-Quiet { $WarningPreference = 'SilentlyContinue'; $null = Get-AzApiManagementTenantGitAccess -Context $ctx -WarningVariable w; "warnings kept: $($w.Count)" }
Invoke-Quiet
& '${script}'`,
        { json: true, env: { AZTOKENBRIDGE_LOG_FILE: logFile } },
      );
      expect(r.errors).toEqual([]);
      // The warning was made (-WarningVariable has it) but not shown.
      expect(r.objects).toEqual(["warnings kept: 1"]);
      expect(r.records.filter((x) => x.kind === "warning")).toEqual([]);
      const verbose = r.records.filter((x) => x.kind === "verbose").map((x) => String(x.message));
      expect(verbose.some((m) => /^AzTokenBridge: apim\/getTenantAccess completed in/.test(m))).toBe(true);
      const debug = r.records.filter((x) => x.kind === "debug").map((x) => String(x.message));
      expect(debug.some((m) => m.startsWith("AzTokenBridge → ") && m.includes("apim/getTenantAccess"))).toBe(true);
      // Nothing from the function's call, which set neither.
      expect(verbose.concat(debug).some((m) => m.includes("getTenantGitAccess") || m.includes('"git"'))).toBe(false);
    } finally {
      fs.rmSync(logDir, { recursive: true, force: true });
    }
  }, 120_000);
});

describe("a throw in a later pipeline stage (issue Z item 2)", () => {
  test("ends New-AzApiManagementUserToken at once, as the downstream's own error, as Write-Output does: try catches it, $? is false, $Error holds it once", async () => {
    const r = await ps(`function Test-Downstream([scriptblock]$Pipeline) {
    $Error.Clear()
    try { & $Pipeline; 'went on' } catch { $ok = $?; "caught: $($_.Exception.GetType().Name) $($_.Exception.Message), ok: $ok" }
    "errors: $(@($Error | ForEach-Object { $_.Exception.GetType().Name + ' ' + $_.Exception.Message }) -join '; ')"
}
Test-Downstream { 1..10 | ForEach-Object { [pscustomobject]@{ UserId = 'git' } } | Write-Output | ForEach-Object { throw 'boom' } }
Test-Downstream { 1..10 | ForEach-Object { [pscustomobject]@{ UserId = 'git' } } | New-AzApiManagementUserToken -Context $ctx -ThrottleLimit 1 | ForEach-Object { throw 'boom' } }`);
    expect(r.errors).toEqual([]);
    const reference = ["caught: RuntimeException boom, ok: False", "errors: RuntimeException boom"];
    expect(r.objects).toEqual([...reference, ...reference]);
    // One window slot: the first token is written when the second input waits for room, so the throw
    // comes before a second request is sent (before: all 10 were made).
    expect(tokenRequests(await emulator.requestLog())).toHaveLength(1);
  }, 120_000);

  test("pwsh -File: a script run with & stops at the first throw and exits 1 (before: 10 MethodInvocationExceptions, exit 0)", async () => {
    const script = child(
      "boom",
      `1..10 | ForEach-Object { [pscustomobject]@{ UserId = 'git' } } | New-AzApiManagementUserToken -Context $ctx -ThrottleLimit 1 | ForEach-Object { throw 'boom' }
'script went on'
`,
    );
    const r = await ps(`& '${script}'\n'caller went on'`, { json: false });
    expect(r.code).toBe(1);
    expect(r.stdout).not.toContain("went on");
    expect(r.stderr).toContain("boom");
    expect(r.stderr).not.toContain("MethodInvocationException");
    expect(r.stderr).not.toContain("WriteObject");
    expect(tokenRequests(await emulator.requestLog())).toHaveLength(1);
  }, 120_000);

  test("Get-AzApiManagementUser, Get-AzContainerRegistryScopeMap, Get-AzContainerRegistryToken, New-AzApiManagementContext, Get-AzApiManagementTenantAccess: one throw ends each, in a function", async () => {
    const r = await ps(`function Test-Downstream([string]$Name, [scriptblock]$Pipeline) {
    $Error.Clear()
    $seen = 0
    try { & $Pipeline | ForEach-Object { $seen++; throw "boom $Name" }; "$Name went on" } catch { "$Name caught: $($_.Exception.Message) after $seen" }
    "$Name errors: $($Error.Count)"
}
$null = New-AzContainerRegistryToken -Name ${fresh()} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
$null = New-AzContainerRegistryToken -Name ${fresh()} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
Test-Downstream users { Get-AzApiManagementUser -Context $ctx }
Test-Downstream scopemaps { Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest }
Test-Downstream tokens { Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest }
Test-Downstream contexts { 1..3 | ForEach-Object { [pscustomobject]@{ ResourceGroupName = 'rg'; ServiceName = "s$_" } } | New-AzApiManagementContext }
Test-Downstream access { $ctx, $ctx | Get-AzApiManagementTenantAccess }`);
    expect(r.errors).toEqual([]);
    const out: string[] = [];
    for (const name of ["users", "scopemaps", "tokens", "contexts", "access"]) out.push(`${name} caught: boom ${name} after 1`, `${name} errors: 1`);
    expect(r.objects).toEqual(out);
  }, 120_000);

  test("errors merged into the output (2>&1) and thrown by the next stage: the downstream's own error, as with a compiled cmdlet's error (Get-Item)", async () => {
    const r = await ps(`function Test-Downstream([scriptblock]$Pipeline) {
    $Error.Clear()
    try { & $Pipeline; 'went on' } catch { "caught: $($_.Exception.GetType().Name) $($_.Exception.Message)" }
    "errors: $($Error.Count), first: $($Error[0].Exception.Message), no wrapper: $(-not ($Error | Where-Object { $_.Exception -is [System.Management.Automation.MethodInvocationException] }))"
}
Test-Downstream { Get-Item -LiteralPath '/nonexistent-aztokenbridge' 2>&1 | ForEach-Object { throw 'boom' } }
Test-Downstream { [pscustomobject]@{ UserId = 'nosuchuser' }, [pscustomobject]@{ UserId = 'nosuch2' } | New-AzApiManagementUserToken -Context $ctx -ThrottleLimit 1 2>&1 | ForEach-Object { throw 'boom' } }`);
    expect(r.errors).toEqual([]);
    // The cmdlet's own error (written before the next stage threw) and the throw: two, as for Get-Item.
    const reference = ["caught: RuntimeException boom", "errors: 2, first: boom, no wrapper: True"];
    expect(r.objects).toEqual([...reference, ...reference]);
    expect(tokenRequests(await emulator.requestLog())).toHaveLength(1);
  }, 120_000);

  test("a downstream Select-Object -First 1 still stops the cmdlet quietly; the script goes on and exits 0", async () => {
    const r = await ps(`function Invoke-First {
    Get-AzApiManagementUser -Context $ctx | Select-Object -First 1 | ForEach-Object { $_.UserId }
    1..10 | ForEach-Object { [pscustomobject]@{ UserId = 'git' } } | New-AzApiManagementUserToken -Context $ctx -ThrottleLimit 1 | Select-Object -First 1 | ForEach-Object { $_.UserId }
    'went on'
}
Invoke-First`);
    expect(r.code).toBe(0);
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["1", "git", "went on"]);
  }, 120_000);
});

describe("New-AzApiManagementUserToken -Expiry $null (issue Z item 5)", () => {
  test("-Expiry $null and a piped Expiry of $null are the 8-hour default; help still shows -Expiry <DateTime>", async () => {
    const r = await ps(`$before = [datetime]::UtcNow.AddHours(8)
$a = New-AzApiManagementUserToken -Context $ctx -UserId git -Expiry $null
$given = [datetime]::SpecifyKind([datetime]::UtcNow.Date.AddDays(3), 'Utc')
$b = [pscustomobject]@{ UserId = 'integration'; Expiry = $null }, [pscustomobject]@{ UserId = 'git'; Expiry = $given } | New-AzApiManagementUserToken -Context $ctx
$after = [datetime]::UtcNow.AddHours(8)
foreach ($t in @($a) + @($b)) { [pscustomobject]@{ UserId = $t.UserId; Kind = $t.TokenExpiry.Kind.ToString(); Default = ($t.TokenExpiry -ge $before -and $t.TokenExpiry -le $after); HasToken = $t.UserToken.Length -gt 0 } }
$b[1].TokenExpiry -eq $given
(Get-Help New-AzApiManagementUserToken | Out-String -Width 300) -match '\\[-Expiry <DateTime>\\]'`);
    expect(r.errors).toEqual([]);
    const rows = r.objects.slice(0, 3).map(({ $typeNames, ...rest }: any) => rest); // eslint-disable-line @typescript-eslint/no-unused-vars
    expect(rows).toEqual([
      { UserId: "git", Kind: "Utc", Default: true, HasToken: true },
      { UserId: "integration", Kind: "Utc", Default: true, HasToken: true },
      { UserId: "git", Kind: "Utc", Default: false, HasToken: true },
    ]);
    expect(r.objects.slice(3)).toEqual([true, true]);
    expect(tokenRequests(await emulator.requestLog())).toHaveLength(3);
  }, 120_000);
});

describe("New-PartnerAccessToken with piped input that binds to nothing (issue Z item 6)", () => {
  test("each input's binding error, and nothing else: no sign-in, no token, no request", async () => {
    const r = await ps(`$secret = [System.Net.NetworkCredential]::new('', $env:AZURE_CLIENT_SECRET).SecurePassword
$cred = [pscredential]::new($env:AZURE_CLIENT_ID, $secret)
function Invoke-Piped { 'a', 'b' | New-PartnerAccessToken -ApplicationId $env:AZURE_CLIENT_ID -Credential $cred -Scopes 'https://api.partnercenter.microsoft.com/.default' -Tenant $env:AZURE_TENANT_ID -ServicePrincipal }
Invoke-Piped
'done'`);
    expect(r.code).toBe(0);
    expect(r.objects).toEqual(["done"]);
    expect(r.errors.map((e) => e.fullyQualifiedErrorId)).toEqual([
      "InputObjectNotBound,New-PartnerAccessToken",
      "InputObjectNotBound,New-PartnerAccessToken",
    ]);
    // The emulator saw no sign-in at all.
    expect(await emulator.requestLog()).toEqual([]);
  }, 120_000);
});
