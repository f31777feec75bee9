/**
 * The container registry cmdlets end to end: PowerShell scripts in the project's host import the
 * module and call New-AzContainerRegistryToken (every parameter set, hashtable and InputObject
 * form, -WhatIf, -Confirm, -AsJob, -NoWait, the long-running operation with Retry-After, failures)
 * and the cmdlets around it against the emulator, through the packaged server.
 * Needs `npm run build` (the test command runs it).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import { EmulatorProcess, RequestLogEntry, useEmulator } from "../support/emulator";
import * as path from "node:path";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { PsResult, runPs, spawnPs } from "../support/pwsh";

const TOKEN_TYPE = "Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IToken";
const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const MAP_ID = `${REG_ID}/scopeMaps/newmap`;

let emulator: EmulatorProcess;
let n = 0;
/** A token name not used before in this run (5–50 letters, digits, '-'). */
const fresh = (prefix = "tok") => `${prefix}-${Date.now().toString(36)}-${++n}`;

useEmulator((e) => (emulator = e));
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  // Operations finish at once unless a test says otherwise; no waiting between polls.
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
  await emulator.control("DELETE", "/requests");
});

/** Runs a script after importing the module, in a session pointed at the emulator; $map is newmap's id. */
function ps(script: string, opts: { json?: boolean; timeoutMs?: number } = {}): Promise<PsResult> {
  return runPs(`Import-Module '${MODULE_MANIFEST}'\n$map = '${MAP_ID}'\n${script}`, {
    json: opts.json,
    timeoutMs: opts.timeoutMs ?? 60000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined },
  });
}

const tokenLog = async (name: string): Promise<RequestLogEntry[]> => (await emulator.requestLog()).filter((e) => e.path.includes(`/tokens/${name}`));
/** ARM calls that change something (sign-in requests to Entra ID are not counted). */
const puts = async (): Promise<RequestLogEntry[]> => (await emulator.requestLog()).filter((e) => e.service === "arm" && (e.method === "PUT" || e.method === "POST"));

function dateOf(v: { $type: string; value: string; kind: string }): Date {
  expect(v.$type).toBe("System.DateTime");
  expect(v.kind).toBe("Utc");
  return new Date(v.value);
}

describe("New-AzContainerRegistryToken (seed 002)", () => {
  test("Example 1 runs verbatim: PUT, poll, final GET; the table the seed shows", async () => {
    const r = await ps(
      // The example as the seed writes it, formatted for a console 200 columns wide (pwsh formats
      // for 80 when its output is redirected, and drops the columns that do not fit).
      "New-AzContainerRegistryToken -Name token2 -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId /subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap |\n    Out-String -Width 200",
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = r.stdout.split("\n").map((l) => l.trimEnd()).filter((l) => l.length > 0);
    const header = lines.findIndex((l) => /^Name\s+SystemDataCreatedAt\s+SystemDataCreatedBy\s+SystemDataCreatedByType\s+SystemDataLastModifiedAt\s+SystemDataLastModifiedBy$/.test(l));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(lines[header + 1]).toMatch(/^-{4}\s+-{19}\s+-{19}\s+-{23}\s+-{24}\s+-{24}$/);
    const date = String.raw`\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2}( [AP]M)?`;
    expect(lines[header + 2]).toMatch(new RegExp(`^token2\\s+${date}\\s+${emulator.info.clientId}\\s+Application\\s+${date}\\s+${emulator.info.clientId}$`));
    const log = await tokenLog("token2");
    expect(log.map((e) => [e.method, e.status])).toEqual([["PUT", 201], ["GET", 200], ["GET", 200]]);
    expect(log[1].path).toMatch(/\/tokens\/token2\/operationStatuses\/token-[0-9a-f-]{36}$/);
    expect(log[1].query).toMatchObject({ "api-version": "2023-01-01-preview", t: expect.stringMatching(/^\d+$/), h: expect.any(String) });
    expect(log[2].path).toBe(`${REG_ID}/tokens/token2`);
  });

  test("the output object: IToken with Token.cs's properties, UTC dates, no password values", async () => {
    const name = fresh();
    const r = await ps(`New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map`, { json: true });
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(1);
    const o = r.objects[0];
    expect(o.$typeNames[0]).toBe(TOKEN_TYPE);
    expect(Object.keys(o).filter((k) => !k.startsWith("$"))).toEqual([
      "Id", "Name", "Type", "ResourceGroupName", "SystemDataCreatedAt", "SystemDataCreatedBy", "SystemDataCreatedByType",
      "SystemDataLastModifiedAt", "SystemDataLastModifiedBy", "SystemDataLastModifiedByType", "CreationDate", "ProvisioningState",
      "ScopeMapId", "Status", "CredentialsCertificate", "CredentialsPassword",
    ]);
    expect(o).toMatchObject({
      Id: `${REG_ID}/tokens/${name}`,
      Name: name,
      Type: "Microsoft.ContainerRegistry/registries/tokens",
      ResourceGroupName: "lnxtest",
      SystemDataCreatedBy: emulator.info.clientId,
      SystemDataCreatedByType: "Application",
      ProvisioningState: "Succeeded",
      ScopeMapId: MAP_ID,
      Status: "enabled",
    });
    expect(Math.abs(dateOf(o.SystemDataCreatedAt).getTime() - Date.now())).toBeLessThan(60_000);
    dateOf(o.CreationDate);
    expect(o.CredentialsPassword ?? []).toEqual([]);
  });

  test("CreateExpanded: -TokenName alias, -Status, certificate and password hashtables; -SubscriptionId", async () => {
    const name = fresh();
    const r = await ps(
      `$cert = @{ Name = 'certificate1'; EncodedPemCertificate = 'LS0tLS1CRUdJTg=='; Thumbprint = 'ABCDEF0123'; Expiry = [datetime]::new(2030, 1, 2, 3, 4, 5, [System.DateTimeKind]::Utc) }
$t = New-AzContainerRegistryToken -TokenName ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -SubscriptionId ${SUB} -ScopeMapId $map -Status disabled -CredentialsCertificate $cert -CredentialsPassword @{ Name = 'password2'; Expiry = [datetime]::new(2031, 6, 1, 0, 0, 0, [System.DateTimeKind]::Utc) }
$t.Status
$t.CredentialsCertificate[0].Name; $t.CredentialsCertificate[0].Thumbprint; $t.CredentialsCertificate[0].Expiry.ToString('o')
$t.CredentialsPassword[0].Name; $t.CredentialsPassword[0].Expiry.ToString('o'); $null -eq $t.CredentialsPassword[0].Value`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["disabled", "certificate1", "ABCDEF0123", "2030-01-02T03:04:05.0000000Z", "password2", "2031-06-01T00:00:00.0000000Z", true]);
  });

  test("Create: -TokenCreateParameter as a hashtable, by value from the pipeline, as JSON, as another token", async () => {
    const [a, b, c, d] = [fresh("a"), fresh("b"), fresh("c"), fresh("d")];
    const r = await ps(
      `$ta = New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter @{ ScopeMapId = $map; Status = 'disabled' }
$ta.Name; $ta.Status
@{ ScopeMapId = $map } | New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest | ForEach-Object { $_.Name; $_.Status }
(New-AzContainerRegistryToken -Name ${c} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter ('{"ScopeMapId":"' + $map + '","Status":"disabled"}')).Status
# A token (IToken) as the body of another: its ScopeMapId and Status are copied.
$ta | New-AzContainerRegistryToken -Name ${d} -RegistryName lnxcr -ResourceGroupName lnxtest | ForEach-Object { $_.Name; $_.Status; $_.ScopeMapId -eq $map }`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([a, "disabled", b, "enabled", "disabled", d, "disabled", true]);
  });

  test("CreateViaIdentity: -InputObject as hashtable parts, -TokenCreateParameter named or from the pipeline", async () => {
    const [a, b] = [fresh("a"), fresh("b")];
    const r = await ps(
      `$id = @{ SubscriptionId = '${SUB}'; ResourceGroupName = 'lnxtest'; RegistryName = 'lnxcr'; TokenName = '${a}' }
(New-AzContainerRegistryToken -InputObject $id -TokenCreateParameter @{ ScopeMapId = $map }).Id
@{ ScopeMapId = $map; Status = 'disabled' } | New-AzContainerRegistryToken -InputObject "${REG_ID}/tokens/${b}" | ForEach-Object { $_.Name; $_.Status }`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([`${REG_ID}/tokens/${a}`, b, "disabled"]);
  });

  test("CreateViaIdentityExpanded: a resource id string, a [pscustomobject], JSON, and tokens piped by value (an update: 200)", async () => {
    const [a, b, c] = [fresh("a"), fresh("b"), fresh("c")];
    const r = await ps(
      `(New-AzContainerRegistryToken -InputObject "${REG_ID}/tokens/${a}" -ScopeMapId $map).Name
(New-AzContainerRegistryToken -InputObject ([pscustomobject]@{ SubscriptionId = '${SUB}'; ResourceGroupName = 'lnxtest'; RegistryName = 'lnxcr'; TokenName = '${b}' }) -ScopeMapId $map).Name
(New-AzContainerRegistryToken -InputObject '{"Id":"${REG_ID}/tokens/${c}"}' -ScopeMapId $map).Name
# The cmdlet's own output as -InputObject, by value: the existing token is updated.
$pull = '${REG_ID}/scopeMaps/_repositories_pull'
New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map | New-AzContainerRegistryToken -Status disabled -ScopeMapId $pull | ForEach-Object { $_.Name; $_.Status; $_.ScopeMapId -eq $pull }`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([a, b, c, a, "disabled", true]);
    const log = await tokenLog(a);
    // created (201 + poll + GET), then updated twice (200, answered at once: no poll).
    expect(log.filter((e) => e.method === "PUT").map((e) => e.status)).toEqual([201, 200, 200]);
    expect(log.filter((e) => e.path.includes("operationStatuses"))).toHaveLength(1);
  });

  test("a missing identity part or a wrong id: Az's error, InvalidArgument, nothing sent", async () => {
    const r = await ps(
      `New-AzContainerRegistryToken -InputObject @{ SubscriptionId = '${SUB}'; ResourceGroupName = 'lnxtest'; RegistryName = 'lnxcr' } -ScopeMapId $map
New-AzContainerRegistryToken -InputObject @{ ResourceGroupName = 'lnxtest' } -TokenCreateParameter @{ ScopeMapId = $map }
New-AzContainerRegistryToken -InputObject $map -ScopeMapId $map
'after'`,
      { json: true },
    );
    expect(r.objects).toEqual(["after"]);
    expect(r.errors.map((e) => [e.exceptionMessage, e.category, e.terminating])).toEqual([
      ["InputObject has null value for InputObject.TokenName (Parameter 'InputObject')", "InvalidArgument", false],
      ["InputObject has null value for InputObject.SubscriptionId (Parameter 'InputObject')", "InvalidArgument", false],
      [
        "Invalid identity for URI '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/tokens/{tokenName}' (Parameter 'InputObject')",
        "InvalidArgument",
        false,
      ],
    ]);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("InputObjectNullValue,New-AzContainerRegistryToken");
    expect(await emulator.requestLog()).toEqual([]);
  });

  test("names and the subscription id are checked before any call, naming the value", async () => {
    const r = await ps(
      `New-AzContainerRegistryToken -Name abc -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryToken -Name bad_name -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryToken -Name ('x' * 51) -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryToken -Name goodname -RegistryName lnx-cr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryToken -Name goodname -RegistryName lnxcr -ResourceGroupName lnxtest -SubscriptionId not-a-guid -ScopeMapId $map
New-AzContainerRegistryToken -Name goodname -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -Status paused`,
      { json: true },
    );
    expect(r.objects).toEqual([]);
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.category])).toEqual([
      ["InvalidTokenName,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidTokenName,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidTokenName,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidRegistryName,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidSubscriptionId,New-AzContainerRegistryToken", "InvalidArgument"],
      // -Status is the enum TokenStatus (module/Client/Enums.cs): refused at binding, naming the values.
      ["ParameterArgumentTransformationError,New-AzContainerRegistryToken", "InvalidData"],
    ]);
    expect(r.errors[5].exceptionMessage).toMatch(/enabled, disabled/);
    expect(r.errors[0].exceptionMessage).toMatch(/Token name 'abc' is invalid: it must be 5 to 50 characters/);
    expect(r.errors[1].exceptionMessage).toMatch(/'bad_name'/);
    expect(r.errors[3].exceptionMessage).toMatch(/Registry name 'lnx-cr' is invalid/);
    expect(r.errors[4].exceptionMessage).toMatch(/'not-a-guid'/);
    expect(r.errors[0].targetObject).toMatchObject({ Name: "abc" });
    expect(await emulator.requestLog()).toEqual([]);
  });

  test("an unknown key in -CredentialsPassword, -CredentialsCertificate or -TokenCreateParameter (hashtable or JSON) is refused before any call, naming it and the keys it could be", async () => {
    const name = fresh("keys");
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -CredentialsPassword @{ Nmae = 'password1' }
New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -CredentialsCertificate @{ Name = 'certificate1'; Thumbprnt = 'ab' }
New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter @{ ScopeMapID = $map; Stauts = 'enabled' }
New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter @{ ScopeMapId = $map; CredentialsPassword = @(@{ name = 'password1' }, @{ Expires = (Get-Date).AddDays(1) }) }
New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter ('{"scopeMapId":"' + $map + '","credentialsPasword":[]}')
# Known keys in any case (and the read-only ones) pass: the token is created.
(New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -TokenCreateParameter @{ SCOPEMAPID = $map; provisioningState = 'x'; CredentialsPassword = @(@{ NAME = 'password1'; expiry = (Get-Date).AddDays(1) }) }).CredentialsPassword.Name`,
      { json: true },
    );
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.category])).toEqual([
      ["InvalidCredentialsPassword,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidCredentialsCertificate,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidTokenCreateParameter,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidTokenCreateParameter,New-AzContainerRegistryToken", "InvalidArgument"],
      ["InvalidTokenCreateParameter,New-AzContainerRegistryToken", "InvalidArgument"],
    ]);
    expect(r.errors.map((e) => e.exceptionMessage)).toEqual([
      "-CredentialsPassword has an unknown key 'Nmae'. Use: Name, Expiry, CreationTime, Value. (Parameter 'CredentialsPassword')",
      "-CredentialsCertificate has an unknown key 'Thumbprnt'. Use: Name, Expiry, Thumbprint, EncodedPemCertificate. (Parameter 'CredentialsCertificate')",
      expect.stringMatching(/^-TokenCreateParameter has an unknown key 'Stauts'\. Use: ScopeMapId, Status, CredentialsCertificate, CredentialsPassword, Id, Name, .*SystemDataLastModifiedByType\. \(Parameter 'TokenCreateParameter'\)$/),
      "-TokenCreateParameter's CredentialsPassword has an unknown key 'Expires'. Use: Name, Expiry, CreationTime, Value. (Parameter 'TokenCreateParameter')",
      expect.stringMatching(/^-TokenCreateParameter has an unknown key 'credentialsPasword'\. Use: /),
    ]);
    expect(r.errors[0].targetObject).toEqual({ Nmae: "password1" });
    expect(r.objects).toEqual(["password1"]);
    // Only the last call reached the service.
    expect((await puts()).map((e) => e.path.split("/").at(-1))).toEqual([name]);
  });

  test("-WhatIf sends nothing; -Confirm:$false creates; SupportsShouldProcess with ConfirmImpact Medium, no positional parameters", async () => {
    const [a, b] = [fresh("a"), fresh("b")];
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -WhatIf
New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -WhatIf -AsJob
(Get-Job).Count
(New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -Confirm:$false).Name
$binding = (Get-Command New-AzContainerRegistryToken).ScriptBlock.Attributes | Where-Object { $_ -is [System.Management.Automation.CmdletBindingAttribute] }
$binding.SupportsShouldProcess; $binding.ConfirmImpact.ToString(); $binding.PositionalBinding; $binding.DefaultParameterSetName
(Get-Command New-AzContainerRegistryToken).ParameterSets.Name -join ','
(Get-Command New-AzContainerRegistryToken).Parameters['Name'].Aliases -join ','`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    const host = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
    expect(host).toContain(`What if: Performing the operation "New-AzContainerRegistryToken_CreateExpanded" on target "Call remote 'TokensCreate' operation".`);
    expect(r.objects).toEqual([0, b, true, "Medium", false, "CreateExpanded", "CreateExpanded,Create,CreateViaIdentityExpanded,CreateViaIdentity", "TokenName"]);
    expect((await puts()).map((e) => e.path)).toEqual([`${REG_ID}/tokens/${b}`]);
  });

  test("-NoWait: at the first answer, Target = the Azure-AsyncOperation URL (no poll); for an update, the request URL", async () => {
    await emulator.control("PUT", "/acr/operations", { durationMs: 60000, retryAfterSeconds: 10 });
    const name = fresh();
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -NoWait`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toHaveLength(1);
    const first = r.objects[0];
    expect(first.$typeNames[0]).toBe("Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Runtime.PowerShell.AsyncOperationResponse");
    expect(Object.keys(first).filter((k) => !k.startsWith("$"))).toEqual(["Target"]);
    expect(first.Target).toMatch(new RegExp(`^${emulator.info.armEndpoint.replace(/\./g, "\\.")}${REG_ID}/tokens/${name}/operationStatuses/token-[0-9a-f-]{36}\\?api-version=2023-01-01-preview&t=\\d+&c=[\\w-]+&s=[\\w-]+&h=[\\w-]+$`));
    const log = await tokenLog(name);
    expect(log.map((e) => e.method)).toEqual(["PUT"]);
    // An update (200, no Azure-AsyncOperation, no Location): Target is the request URL.
    await emulator.control("PUT", "/acr/operations", { durationMs: 0 });
    const u = await ps(
      `$null = New-AzContainerRegistryToken -Name ${name}-b -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
(New-AzContainerRegistryToken -Name ${name}-b -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -NoWait).Target`,
      { json: true },
    );
    expect(u.errors).toEqual([]);
    expect(u.objects).toEqual([`${emulator.info.armEndpoint}${REG_ID}/tokens/${name}-b?api-version=2023-01-01-preview`]);
  });

  test("polling honours Retry-After (request log timing), shows progress and the delay in -Debug", async () => {
    // One poll answered pending, the next finishes: two waits of Retry-After, whatever the machine's speed.
    await emulator.control("PUT", "/acr/operations", { pendingPolls: 1, retryAfterSeconds: 2 });
    const name = fresh();
    // The progress stream, read from a [powershell] instance (the host shows none); CreateDefault2:
    // the engine package has no Microsoft.PowerShell.Host snap-in for the default session state.
    const r = await ps(
      `$p = [powershell]::Create([System.Management.Automation.Runspaces.InitialSessionState]::CreateDefault2())
$null = $p.AddScript("Import-Module '${MODULE_MANIFEST}'; New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '$map' -Debug")
$out = $p.Invoke()
$out[0].ProvisioningState
$p.Streams.Error.Count
($p.Streams.Debug | Where-Object { $_.Message -like 'Delaying*' } | ForEach-Object Message) -join '|'
$p.Streams.Progress | ForEach-Object { '{0}/{1}/{2}/{3}' -f $_.Activity, $_.StatusDescription, $_.PercentComplete, $_.RecordType }`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    const [state, errors, delays, ...progress] = r.objects;
    expect(state).toBe("Succeeded");
    expect(errors).toBe(0);
    expect(delays).toBe("Delaying 2 seconds before polling.|Delaying 2 seconds before polling.");
    expect(progress).toContain("In progress/Checking operation status/0/Processing");
    expect(progress).toContain("In progress/Checking operation status/50/Processing");
    expect(progress[progress.length - 1]).toMatch(/^In progress\/Completed\/-?\d+\/Completed$/);

    const log = await tokenLog(name);
    expect(log.map((e) => [e.method, e.operationStatus ?? e.status])).toEqual([["PUT", 201], ["GET", "InProgress"], ["GET", "Succeeded"], ["GET", 200]]);
    const t = log.map((e) => Date.parse(e.time));
    expect(t[1] - t[0]).toBeGreaterThanOrEqual(2000);
    // Upper bounds are generous (Az's default wait is 30 s); the two "Delaying" lines above show that
    // nothing waits before the final GET.
    expect(t[1] - t[0]).toBeLessThan(15_000);
    expect(t[2] - t[1]).toBeGreaterThanOrEqual(2000);
    expect(t[2] - t[1]).toBeLessThan(15_000);
  });

  test("a failed operation is one non-terminating ErrorRecord with the operation's code, message and the request id", async () => {
    await emulator.control("PUT", "/acr/operations", { failNext: 1, failCode: "TokenQuotaExceeded", failMessage: "The registry has reached its token limit." });
    const name = fresh();
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -ErrorVariable ev
'after'; $ev.Count`,
      { json: true },
    );
    expect(r.objects).toEqual(["after", 1]);
    expect(r.errors).toHaveLength(1);
    const e = r.errors[0];
    // Az.ContainerRegistry's shape for a failed operation: the operation's message; the call's
    // parameters as the target (ErrorId: the operation's code, where Az gives "OK": README, Decisions).
    expect(e.fullyQualifiedErrorId).toBe("TokenQuotaExceeded,New-AzContainerRegistryToken");
    expect(e.category).toBe("InvalidOperation");
    expect(e.targetObject).toMatchObject({ Name: name, RegistryName: "lnxcr", ResourceGroupName: "lnxtest", SubscriptionId: null, body: { scopeMapId: expect.stringMatching(/\/scopeMaps\/newmap$/) } });
    expect(e.exceptionMessage).toBe("The registry has reached its token limit.");
    const log = await tokenLog(name);
    expect(log.map((x) => x.operationStatus ?? x.status)).toEqual([201, "Failed"]);
  });

  test("service errors: 404 scope map, 400 scope map of another registry, 409 operation in progress, 404 registry", async () => {
    const busy = fresh("busy");
    await emulator.control("PUT", "/acr/operations", { durationMs: 30000 });
    const r = await ps(
      `New-AzContainerRegistryToken -Name ${fresh()} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId ($map -replace 'newmap', 'nomap')
New-AzContainerRegistryToken -Name ${fresh()} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId ($map -replace 'lnxcr', 'othercr')
$null = New-AzContainerRegistryToken -Name ${busy} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -NoWait
New-AzContainerRegistryToken -Name ${busy} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
New-AzContainerRegistryToken -Name ${fresh()} -RegistryName nosuchreg -ResourceGroupName lnxtest -ScopeMapId $map`,
      { json: true },
    );
    expect(r.objects).toEqual([]);
    // Az.ContainerRegistry's shape: "[code] : message", ErrorId the code, InvalidOperation,
    // ErrorDetails.Message the service's message, the call's parameters as the target.
    expect(r.errors.map((e) => [e.fullyQualifiedErrorId, e.category])).toEqual([
      ["ResourceNotFound,New-AzContainerRegistryToken", "InvalidOperation"],
      ["InvalidScopeMapId,New-AzContainerRegistryToken", "InvalidOperation"],
      ["AnotherOperationInProgress,New-AzContainerRegistryToken", "InvalidOperation"],
      ["ResourceNotFound,New-AzContainerRegistryToken", "InvalidOperation"],
    ]);
    expect(r.errors[0].exceptionMessage).toBe("[ResourceNotFound] : The resource nomap could not be found.");
    expect(r.errors[0].errorDetails).toBe("The resource nomap could not be found.");
    expect(r.errors[0].targetObject).toMatchObject({ RegistryName: "lnxcr", ResourceGroupName: "lnxtest", body: { scopeMapId: expect.stringMatching(/\/scopeMaps\/nomap$/) } });
    expect(r.errors[3].exceptionMessage).toMatch(/^\[ResourceNotFound\] : The Resource 'Microsoft.ContainerRegistry\/registries\/nosuchreg' under resource group 'lnxtest' was not found/);
    expect(r.errors[3].targetObject).toMatchObject({ RegistryName: "nosuchreg" });
  });

  test("-AsJob: a job at once whose Command is the line typed; Receive-Job yields the token, or the cmdlet's own error record (the job Failed)", async () => {
    await emulator.control("PUT", "/acr/operations", { durationMs: 1500, retryAfterSeconds: 1 });
    const [a, b] = [fresh("a"), fresh("b")];
    const r = await ps(
      `$j = New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -AsJob
# Returned before the operation ended: the emulator has not been polled to the end yet.
$j.State.ToString() -in 'NotStarted', 'Running'
$j -is [System.Management.Automation.Job]; $j.Name; $j.Command; $j.Location; (Get-Job -Id $j.Id).InstanceId -eq $j.InstanceId
$t = $j | Receive-Job -Wait -AutoRemoveJob
$t.PSObject.TypeNames[0]; $t.Name; $t.ProvisioningState
$f = New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId ($map -replace 'newmap', 'nomap') -AsJob
$null = Wait-Job $f
$f.State.ToString()
$f | Receive-Job -ErrorVariable ev -ErrorAction SilentlyContinue
$ev.Count; $ev[0].FullyQualifiedErrorId; $ev[0].CategoryInfo.Category.ToString(); $ev[0].TargetObject.Name; $ev[0].Exception.Message -match 'The resource nomap could not be found'
# Pipeline input: one job per input, each with the line.
$jobs = "${REG_ID}/tokens/${a}-1", "${REG_ID}/tokens/${a}-2" | New-AzContainerRegistryToken -ScopeMapId $map -AsJob
$jobs.Count; @($jobs.Command | Select-Object -Unique)
$jobs | Receive-Job -Wait -AutoRemoveJob | ForEach-Object Name`,
      { json: true, timeoutMs: 90000 },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.slice(0, 17)).toEqual([
      true,
      true, "New-AzContainerRegistryToken_CreateExpanded",
      `$j = New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -AsJob`,
      "localhost", true,
      TOKEN_TYPE, a, "Succeeded",
      "Failed", 1, "ResourceNotFound,New-AzContainerRegistryToken", "InvalidOperation", b, true,
      2, `$jobs = "${REG_ID}/tokens/${a}-1", "${REG_ID}/tokens/${a}-2" | New-AzContainerRegistryToken -ScopeMapId $map -AsJob`,
    ]);
    expect(r.objects.slice(17).sort()).toEqual([`${a}-1`, `${a}-2`]);
  });

  test("-AsJob: Stop-Job stops the job's cmdlet while it waits to poll; the job is Stopped, no token", async () => {
    await emulator.control("PUT", "/acr/operations", { durationMs: 120000, retryAfterSeconds: 30 });
    const name = fresh("stopjob");
    const r = await ps(
      `$j = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -AsJob
# The job's cmdlet shows its progress once the service accepted the creation and it waits to poll.
while ($j.State -eq 'Running' -and $j.Progress.Count -eq 0) { Start-Sleep -Milliseconds 20 }
$j.State.ToString()
Stop-Job $j
$j.State.ToString(); @($j | Receive-Job -ErrorAction SilentlyContinue).Count`,
      { json: true, timeoutMs: 60000 },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["Running", "Stopped", 0]);
    expect((await tokenLog(name)).map((e) => e.method)).toEqual(["PUT"]);
    // A script that ends while its job still runs: pwsh exits as usual (exit code 0, nothing on stderr).
    const left = fresh("leftjob");
    const end = await ps(
      `$j = New-AzContainerRegistryToken -Name ${left} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -AsJob
while ($j.State -eq 'Running' -and $j.Progress.Count -eq 0) { Start-Sleep -Milliseconds 20 }
'leaving'`,
    );
    expect(end.stderr).toBe("");
    expect(end.stdout.trim()).toBe("leaving");
    expect(end.code).toBe(0);
  });

  test("-AsJob signs in as the session does: with Az.Accounts (test double) loaded, the job uses its context", async () => {
    const name = fresh("azacc");
    const token = (await emulator.control<{ accessToken: string }>("POST", "/tokens", {})).body.accessToken;
    const double = path.join(ROOT, "test", "support", "Az.Accounts", "Az.Accounts.psd1");
    const r = await runPs(
      `Import-Module '${double}'
Import-Module '${MODULE_MANIFEST}'
$j = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}' -AsJob
($j | Receive-Job -Wait -AutoRemoveJob).Name`,
      {
        json: true,
        timeoutMs: 60000,
        env: {
          ...emulator.env, AZTOKENBRIDGE_SERVER: undefined,
          // No identity in the environment: only the Az.Accounts context can sign in.
          AZURE_TENANT_ID: undefined, AZURE_CLIENT_ID: undefined, AZURE_CLIENT_SECRET: undefined, AZURE_SUBSCRIPTION_ID: undefined,
          AZURE_CONFIG_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "aztb-no-az-login-")), // an Azure CLI with nobody signed in
          AZTB_FAKE_AZ_SUBSCRIPTION: SUB, AZTB_FAKE_AZ_TENANT: emulator.info.tenantId, AZTB_FAKE_AZ_TOKEN: token,
        },
      },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual([name]);
    expect((await emulator.requestLog()).filter((x) => x.service === "entra")).toEqual([]);
  });
  test("Ctrl+C while waiting to poll stops the cmdlet at once; nothing more is sent", async () => {
    await emulator.control("PUT", "/acr/operations", { durationMs: 120000, retryAfterSeconds: 30 });
    const name = fresh("stop");
    const run = spawnPs(
      `Import-Module '${MODULE_MANIFEST}'
$null = Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest   # starts the server, signs in
try {
    [Console]::Out.WriteLine('calling'); [Console]::Out.Flush()
    New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${MAP_ID}'
} finally {
    [Console]::Out.WriteLine('finally ran')
}`,
      { env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined }, timeoutMs: 60000 },
    );
    await run.waitForOutput("calling", 30000);
    const deadline = Date.now() + 20000;
    while (!(await tokenLog(name)).some((e) => e.method === "PUT") && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // in the 30 s wait now
    const stoppedAt = Date.now();
    run.child.kill("SIGINT");
    const r = await run.result;
    expect(Date.now() - stoppedAt).toBeLessThan(20_000); // generous: the next poll is 30 s away
    // pwsh -File after Ctrl+C exits 0 or 1 (both seen here, by where the stop lands: the statement or the script); the module does not choose
    expect([0, 1]).toContain(r.code);
    expect(r.stdout).toMatch(/finally ran/);
    expect((await tokenLog(name)).map((e) => e.method)).toEqual(["PUT"]);
  });
});

describe("around the token: scope maps, tokens, passwords", () => {
  const SCOPE_MAP_TYPE = "Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.Api20220201Preview.IScopeMap";
  const CREDENTIAL_TYPE = "Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.PSContainerRegistryCredential";
  const VALUE = /^[A-Za-z0-9+/=]{32}$/;

  test("Get-AzContainerRegistryScopeMap: the list (table), one by name, by InputObject; its Id feeds -ScopeMapId", async () => {
    const name = fresh();
    const r = await ps(
      `Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest | Out-String -Width 200 | Out-Default
$all = Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest
$all.Count; $all[0].PSObject.TypeNames[0]
$m = Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapName _repositories_pull
$m.Id; $m.TypePropertiesType; $m.Action -join ','
(Get-AzContainerRegistryScopeMap -InputObject @{ SubscriptionId = '${SUB}'; ResourceGroupName = 'lnxtest'; RegistryName = 'lnxcr'; ScopeMapName = 'newmap' }).Id
# Piping scope maps: a token for each chosen map.
Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -Name newmap |
    ForEach-Object { New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $_.Id } |
    ForEach-Object { $_.ScopeMapId }`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    const host = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
    expect(host).toMatch(/Name\s+TypePropertiesType\s+ProvisioningState\s+Description/);
    expect(host).toMatch(/_repositories_pull\s+SystemDefined\s+Succeeded\s+Can pull any repository of the registry/);
    expect(host).toMatch(/newmap\s+UserDefined\s+Succeeded/);
    expect(r.objects).toEqual([
      4, SCOPE_MAP_TYPE,
      `${REG_ID}/scopeMaps/_repositories_pull`, "SystemDefined", "repositories/*/content/read",
      MAP_ID,
      MAP_ID,
    ]);
  });

  test("Get-AzContainerRegistryToken: the list, one by name, tokens piped as InputObject; 404 as an ErrorRecord", async () => {
    const [a, b] = [fresh("a"), fresh("b")];
    const r = await ps(
      `$null = New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
$null = New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -Status disabled
$names = (Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest).Name
$names -contains '${a}'; $names -contains '${b}'
$t = Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -TokenName ${b}
$t.PSObject.TypeNames[0]; $t.Status
$t | Get-AzContainerRegistryToken | ForEach-Object Name
"${REG_ID}/tokens/${a}" | Get-AzContainerRegistryToken | ForEach-Object Name
Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name nosuchtoken`,
      { json: true },
    );
    expect(r.objects).toEqual([true, true, TOKEN_TYPE, "disabled", b, a]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("ResourceNotFound,Get-AzContainerRegistryToken");
    expect(r.errors[0].category).toBe("InvalidOperation");
    expect(r.errors[0].exceptionMessage).toBe("[ResourceNotFound] : The resource nosuchtoken could not be found.");
    expect(r.errors[0].targetObject).toMatchObject({ Name: "nosuchtoken", RegistryName: "lnxcr", ResourceGroupName: "lnxtest" });
  });

  test("piped identities: each bad one is one error in its place (Az's text, the input as target), nothing sent for it; ResourceGroupName from the id", async () => {
    const a = fresh("a");
    const r = await ps(
      `$null = New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
$bad = @{ RegistryName = 'lnxcr' }
"${REG_ID}/tokens/${a}", "${REG_ID}/scopeMaps/newmap", $bad, '{"SubscriptionId":"${SUB}","ResourceGroupName":"lnxtest","RegistryName":"lnxcr","TokenName":"${a}"}' |
    Get-AzContainerRegistryToken -ErrorVariable failed | ForEach-Object { "$($_.Name) in $($_.ResourceGroupName)" }
[pscustomobject]@{ Targets = @($failed | ForEach-Object { if ($_.TargetObject -is [hashtable]) { 'hashtable' } else { $_.TargetObject } }) }
"${REG_ID}/scopeMaps/newmap", "${REG_ID}/tokens/${a}" | Get-AzContainerRegistryScopeMap | ForEach-Object { "$($_.Name) in $($_.ResourceGroupName)" }`,
      { json: true },
    );
    // The records in order: the errors come between the outputs, where their inputs were.
    const order = r.records.filter((x) => (x.kind === "object" && typeof x.value === "string") || x.kind === "error").map((x) => (x.kind === "error" ? x.fullyQualifiedErrorId : x.value));
    expect(order).toEqual([
      `${a} in lnxtest`,
      "InvalidIdentity,Get-AzContainerRegistryToken",
      "InputObjectNullValue,Get-AzContainerRegistryToken",
      `${a} in lnxtest`,
      "newmap in lnxtest",
      "InvalidIdentity,Get-AzContainerRegistryScopeMap",
    ]);
    expect(r.objects.find((o) => typeof o !== "string")).toMatchObject({ Targets: [`${REG_ID}/scopeMaps/newmap`, "hashtable"] });
    expect(r.errors.map((e) => [e.category, e.exceptionMessage])).toEqual([
      ["InvalidArgument", "Invalid identity for URI '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/tokens/{tokenName}' (Parameter 'InputObject')"],
      ["InvalidArgument", "InputObject has null value for InputObject.SubscriptionId (Parameter 'InputObject')"],
      ["InvalidArgument", "Invalid identity for URI '/subscriptions/{subscriptionId}/resourceGroups/{resourceGroupName}/providers/Microsoft.ContainerRegistry/registries/{registryName}/scopeMaps/{scopeMapName}' (Parameter 'InputObject')"],
    ]);
    expect(r.errors[2].targetObject).toBe(`${REG_ID}/tokens/${a}`);
    // Only the good inputs reached the registry.
    const gets = (await emulator.requestLog()).filter((e) => e.service === "arm" && e.method === "GET").map((e) => e.path.split("/").slice(-2).join("/"));
    expect(gets.filter((g) => !g.startsWith("operationStatuses"))).toEqual([`tokens/${a}`, `tokens/${a}`, `tokens/${a}`, "scopeMaps/newmap"]);
  });

  test("New-AzContainerRegistryCredentials: both passwords once, one by -Name with -Expiry, a token piped by its Id; -WhatIf; no values in -Debug", async () => {
    const name = fresh();
    const r = await ps(
      `$t = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map
$c = New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -TokenId $t.Id
$c
$two = $t | New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -Name password2 -Expiry ([datetime]::new(2030, 1, 1, 0, 0, 0, [System.DateTimeKind]::Utc)) -Verbose -Debug
$two.Username; $two.Password; $two.Passwords.Count; $two.Passwords[0].Name; $two.Passwords[0].Expiry.ToString('o')
New-AzContainerRegistryCredentials -RegistryName lnxcr -ResourceGroupName lnxtest -TokenId $t.Id -WhatIf
# The token keeps the metadata only.
$after = Get-AzContainerRegistryToken -RegistryName lnxcr -ResourceGroupName lnxtest -Name ${name}
($after.CredentialsPassword | ForEach-Object { "$($_.Name)=$([string]::IsNullOrEmpty($_.Value))" }) -join ','
($after.CredentialsPassword | Where-Object Name -eq 'password2').Expiry.ToString('o')`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    const [c, user2, password2Empty, count, pname, expiry, metadata, expiry2] = r.objects;
    expect(c.$typeNames[0]).toBe(CREDENTIAL_TYPE);
    expect(c.Username).toBe(name);
    expect(c.Password).toMatch(VALUE);
    expect(c.Password2).toMatch(VALUE);
    expect(c.Password).not.toBe(c.Password2);
    expect([user2, password2Empty, count, pname, expiry]).toEqual([name, "", 1, "password2", "2030-01-01T00:00:00.0000000Z"]);
    expect(metadata).toBe("password1=True,password2=True");
    expect(expiry2).toBe("2030-01-01T00:00:00.0000000Z");
    const debug = r.records.filter((x) => x.kind === "debug").map((x) => x.message).join("\n");
    expect(debug).toMatch(/acr\/generateCredentials/);
    expect(debug).toMatch(/"value":"\*\*\*"/);
    const host = r.records.filter((x) => x.kind === "host").map((x) => x.text).join("\n");
    expect(host).toContain(`What if: Performing the operation "New-AzContainerRegistryCredentials_GenerateExpanded" on target "Call remote 'RegistriesGenerateCredentials' operation".`);
    const log = await emulator.requestLog();
    expect(log.filter((e) => e.path.endsWith("/generateCredentials")).map((e) => e.passwordNames)).toEqual(["password1,password2", "password2"]);
    // The values appear in no log line and no debug message.
    for (const v of [c.Password, c.Password2]) {
      expect(debug).not.toContain(v);
      expect(JSON.stringify(log)).not.toContain(v);
    }
  });

  test("-GeneratePassword: the token and its passwords in one step (both, or those named with their expiry); not with -NoWait", async () => {
    const [a, b] = [fresh("a"), fresh("b")];
    const r = await ps(
      `# One pipeline: the pull scope map → a token with both passwords.
$t = Get-AzContainerRegistryScopeMap -RegistryName lnxcr -ResourceGroupName lnxtest -Name _repositories_pull |
    ForEach-Object { New-AzContainerRegistryToken -Name ${a} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $_.Id -GeneratePassword }
$t.PSObject.TypeNames[0]; $t.ProvisioningState
$t.CredentialsPassword | ForEach-Object { $_.Name; $_.Value }
$one = New-AzContainerRegistryToken -Name ${b} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -GeneratePassword -CredentialsPassword @{ Name = 'password1'; Expiry = [datetime]::new(2029, 5, 6, 7, 8, 9, [System.DateTimeKind]::Utc) }
$one.CredentialsPassword.Count; $one.CredentialsPassword[0].Name; $one.CredentialsPassword[0].Expiry.ToString('o'); $one.CredentialsPassword[0].Value.Length
New-AzContainerRegistryToken -Name ${b}x -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId $map -GeneratePassword -NoWait`,
      { json: true },
    );
    expect(r.objects.slice(0, 2)).toEqual([TOKEN_TYPE, "Succeeded"]);
    const [n1, v1, n2, v2] = r.objects.slice(2, 6);
    expect([n1, n2]).toEqual(["password1", "password2"]);
    expect(v1).toMatch(VALUE);
    expect(v2).toMatch(VALUE);
    expect(r.objects.slice(6)).toEqual([1, "password1", "2029-05-06T07:08:09.0000000Z", 32]);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0].fullyQualifiedErrorId).toBe("GeneratePasswordWithNoWait,New-AzContainerRegistryToken");
    expect(r.errors[0].category).toBe("InvalidArgument");
    const log = await tokenLog(a);
    expect(log.map((e) => e.method)).toEqual(["PUT", "GET", "GET"]);
    const gen = (await emulator.requestLog()).filter((e) => e.path.endsWith("/generateCredentials"));
    expect(gen.map((e) => [e.token, e.passwordNames])).toEqual([[a, "password1,password2"], [b, "password1"]]);
    expect((await emulator.requestLog()).some((e) => e.path.includes(`${b}x`))).toBe(false);
  });
});
