/**
 * The module's command surface as Az users read it: every parameter of every exported cmdlet is
 * named (the seeds show `Position: Named` for all of them, as Az's cmdlets have), and the syntax
 * reads like Az's where the engine allows it.
 */
import { MODULE_MANIFEST } from "../support/paths";
import { runPs } from "../support/pwsh";

test("no exported cmdlet binds any parameter by position", async () => {
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
foreach ($c in (Get-Module AzTokenBridge).ExportedFunctions.Values) {
    foreach ($set in $c.ParameterSets) {
        foreach ($p in $set.Parameters) {
            [pscustomobject]@{ Command = $c.Name; Set = $set.Name; Parameter = $p.Name; Position = $p.Position }
        }
    }
}`,
    { json: true },
  );
  expect(r.errors).toEqual([]);
  const commands = new Set(r.objects.map((o) => o.Command));
  expect(commands.size).toBeGreaterThanOrEqual(7);
  const positional = r.objects.filter((o) => o.Position !== -2147483648).map((o) => `${o.Command} -${o.Parameter} (${o.Set}): ${o.Position}`);
  expect(positional).toEqual([]);
});

test("a positional argument is refused, as by Az's cmdlets", async () => {
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName rg -ServiceName svc
New-AzApiManagementUserToken $context integration`,
    { json: true },
  );
  expect(r.errors).toHaveLength(1);
  expect(r.errors[0].message).toMatch(/A positional parameter cannot be found that accepts argument/);
});

test("Get-Help shows the seed's syntax: -Context <PsApiManagementContext>, -KeyType <PsApiManagementUserKeyType>, -Expiry <DateTime>, all parameters named", async () => {
  const r = await runPs(`Import-Module '${MODULE_MANIFEST}'
Get-Help New-AzApiManagementUserToken | Out-String -Width 400`);
  const syntax = r.stdout.split("\n").find((l) => l.trim().startsWith("New-AzApiManagementUserToken "))!;
  expect(syntax.trim()).toBe(
    "New-AzApiManagementUserToken -Context <PsApiManagementContext> -UserId <String> [-KeyType <PsApiManagementUserKeyType>] [-Expiry <DateTime>] [-DefaultProfile <IAzureContextContainer>] [-ThrottleLimit <Int32>] [<CommonParameters>]",
  );
  expect(syntax).not.toMatch(/\[-\w+\] </);
});

test("Get-Command -Syntax shows the enum parameters' types as the seeds do", async () => {
  const r = await runPs(`Import-Module '${MODULE_MANIFEST}'
Get-Command New-AzApiManagementUserToken, New-AzContainerRegistryToken, New-PartnerAccessToken -Syntax | Out-String -Width 1000`);
  expect(r.code).toBe(0);
  const lines = r.stdout.split("\n").filter((l) => l.trim());
  const of = (cmd: string) => lines.filter((l) => l.startsWith(`${cmd} `));
  expect(of("New-AzApiManagementUserToken")).toHaveLength(1);
  expect(of("New-AzApiManagementUserToken")[0]).toContain("[-KeyType <PsApiManagementUserKeyType>]");
  // TokenStatus in the two Expanded sets (seed 002), in none of the others.
  expect(of("New-AzContainerRegistryToken").filter((l) => l.includes("[-Status <TokenStatus>]"))).toHaveLength(2);
  // EnvironmentName in all six sets, ModuleName in RefreshToken (optional) and ByModule (mandatory).
  const partner = of("New-PartnerAccessToken");
  expect(partner).toHaveLength(6);
  expect(partner.filter((l) => l.includes("[-Environment <EnvironmentName>]"))).toHaveLength(6);
  expect(partner.filter((l) => l.includes("[-Module <ModuleName>]"))).toHaveLength(1);
  expect(partner.filter((l) => / -Module <ModuleName> /.test(l) && !l.includes("[-Module"))).toHaveLength(1);
});

test("the module calls no cmdlet outside Microsoft.PowerShell.Core (any PowerShell host runs it), only its own functions and Az.Accounts' when that is loaded", async () => {
  // Every command name in the module's scripts (the parser's CommandAsts), against what it may call.
  const r = await runPs(
    `Import-Module '${MODULE_MANIFEST}'
$module = Get-Module AzTokenBridge
$own = [System.Collections.Generic.HashSet[string]]::new([string[]]@(& $module { Get-Command -Module AzTokenBridge -All | ForEach-Object Name } ; & $module { (Get-ChildItem function:).Name }), [System.StringComparer]::OrdinalIgnoreCase)
$core = [System.Collections.Generic.HashSet[string]]::new([string[]]@(Get-Command -Module Microsoft.PowerShell.Core | ForEach-Object Name), [System.StringComparer]::OrdinalIgnoreCase)
# Az.Accounts' own, called only when that module is in the session (a command held in a variable, & $x, is not named here).
$allowed = 'Get-AzContext', 'Get-AzAccessToken'
$found = foreach ($file in Get-ChildItem -Path $module.ModuleBase -Recurse -Include *.ps1, *.psm1) {
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($file.FullName, [ref]$null, [ref]$null)
    foreach ($c in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] }, $true)) {
        $name = $c.CommandElements[0].Extent.Text
        if (-not ($own.Contains($name) -or $core.Contains($name) -or $name -in $allowed -or $name.StartsWith('$') -or $name.StartsWith('.') -or $name.StartsWith('{'))) { "$($file.Name): $name" }
    }
}
[pscustomobject]@{ Core = $core.Count; Outside = @($found) }`,
    { json: true },
  );
  expect(r.errors).toEqual([]);
  const o = r.objects.at(-1);
  expect(o.Core).toBeGreaterThan(20);
  expect(o.Outside).toEqual([]);
});
