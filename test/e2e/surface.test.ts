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

test("Get-Help shows -Expiry <DateTime> as Az does, all parameters named", async () => {
  const r = await runPs(`Import-Module '${MODULE_MANIFEST}'
Get-Help New-AzApiManagementUserToken | Out-String -Width 200`);
  const syntax = r.stdout.split("\n").find((l) => l.trim().startsWith("New-AzApiManagementUserToken "))!;
  expect(syntax).toContain("[-Expiry <DateTime>]");
  expect(syntax).toContain("-Context <Object> -UserId <String>");
  expect(syntax).not.toMatch(/\[-\w+\] </);
});
