/**
 * The cmdlets' help as Az users read it (issue Z item 8): `Get-Help` from the MAML the build writes
 * (module/en-US/AzTokenBridge-help.xml) out of docs/help/<Cmdlet>.md (src/build/maml.mjs). The
 * seeds are the model: their examples, types, aliases, defaults, INPUTS/OUTPUTS and online pages.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { runPs } from "../support/pwsh";

const APIM = "Microsoft.Azure.Commands.ApiManagement.ServiceManagement.Models.";
const ACR = "Microsoft.Azure.PowerShell.Cmdlets.ContainerRegistry.Models.";

/** The online pages the seeds name (and Az's pages for the Az cmdlets no seed covers). */
const ONLINE: Record<string, string> = {
  "New-AzApiManagementUserToken": "https://docs.microsoft.com/powershell/module/az.apimanagement/new-azapimanagementusertoken",
  "New-AzContainerRegistryToken": "https://learn.microsoft.com/powershell/module/az.containerregistry/new-azcontainerregistrytoken",
  "New-PartnerAccessToken": "https://learn.microsoft.com/powershell/module/partnercenter/new-partneraccesstoken",
  "New-AzApiManagementContext": "https://learn.microsoft.com/powershell/module/az.apimanagement/new-azapimanagementcontext",
  "Get-AzApiManagementTenantAccess": "https://learn.microsoft.com/powershell/module/az.apimanagement/get-azapimanagementtenantaccess",
  "Get-AzApiManagementTenantGitAccess": "https://learn.microsoft.com/powershell/module/az.apimanagement/get-azapimanagementtenantgitaccess",
  "Get-AzApiManagementUser": "https://learn.microsoft.com/powershell/module/az.apimanagement/get-azapimanagementuser",
  "Get-AzContainerRegistryToken": "https://learn.microsoft.com/powershell/module/az.containerregistry/get-azcontainerregistrytoken",
  "Get-AzContainerRegistryScopeMap": "https://learn.microsoft.com/powershell/module/az.containerregistry/get-azcontainerregistryscopemap",
  "New-AzContainerRegistryCredentials": "https://learn.microsoft.com/powershell/module/az.containerregistry/new-azcontainerregistrycredentials",
};

/** Every parameter of the help next to the command's own: one JSON object per cmdlet. */
const HELP_AND_COMMAND = `Import-Module '${MODULE_MANIFEST}'
$common = [System.Management.Automation.PSCmdlet]::CommonParameters + [System.Management.Automation.PSCmdlet]::OptionalCommonParameters
foreach ($c in (Get-Module AzTokenBridge).ExportedFunctions.Values | Sort-Object Name) {
    $h = Get-Help $c.Name -Full
    $sets = foreach ($s in $c.ParameterSets) {
        (@($s.Parameters | Where-Object { $_.Name -notin $common } | ForEach-Object { $_.Name + $(if ($_.IsMandatory) { '!' } else { '' }) }) | Sort-Object) -join ' '
    }
    $helpSets = foreach ($s in @($h.syntax.syntaxItem)) {
        (@($s.parameter | Where-Object { $_.name -notin 'WhatIf', 'Confirm' } | ForEach-Object { $_.name + $(if ($_.required -eq 'true') { '!' } else { '' }) }) | Sort-Object) -join ' '
    }
    $params = foreach ($p in $c.Parameters.Values | Where-Object { $_.Name -notin $common }) {
        $hp = @($h.parameters.parameter | Where-Object { $_.name -eq $p.Name })[0]
        $byValue = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipeline }).Count -gt 0
        $byName = @($p.Attributes | Where-Object { $_ -is [System.Management.Automation.ParameterAttribute] -and $_.ValueFromPipelineByPropertyName }).Count -gt 0
        [ordered]@{
            Name = $p.Name
            Type = $p.ParameterType.Name
            Aliases = ($p.Aliases -join ', ')
            Pipeline = if ($byValue -and $byName) { 'True (ByValue, ByPropertyName)' } elseif ($byValue) { 'True (ByValue)' } elseif ($byName) { 'True (ByPropertyName)' } else { 'False' }
            InHelp = $null -ne $hp
            HelpType = if ($hp) { [string]$hp.type.name } else { $null }
            HelpShown = if ($hp) { [string]$hp.parameterValue } else { $null }
            HelpAliases = if ($hp) { [string]$hp.aliases } else { $null }
            HelpPipeline = if ($hp) { [string]$hp.pipelineInput } else { $null }
            HelpDefault = if ($hp) { [string]$hp.defaultValue } else { $null }
            HelpDescription = if ($hp) { (@($hp.description | ForEach-Object Text) -join ' ') } else { $null }
        }
    }
    [ordered]@{
        Name = $c.Name
        HelpKind = $h.PSObject.TypeNames -join ';'
        ShouldProcess = $c.Parameters.ContainsKey('WhatIf')
        Sets = @($sets | Sort-Object)
        HelpSets = @($helpSets | Sort-Object)
        Parameters = @($params)
        HelpParameters = @($h.parameters.parameter | Where-Object { $_ } | ForEach-Object { [string]$_.name })
        Examples = @($h.examples.example | ForEach-Object { [ordered]@{ Title = [string]$_.title; Code = [string]$_.code; Remarks = (@($_.remarks | ForEach-Object Text) -join "\`n") } })
        Inputs = @($h.inputTypes.inputType | ForEach-Object { [string]$_.type.name })
        Outputs = @($h.returnValues.returnValue | ForEach-Object { [string]$_.type.name })
        Links = @($h.relatedLinks.navigationLink | ForEach-Object { [string]$_.uri })
        HelpUri = $c.HelpUri
    } | ConvertTo-Json -Depth 6 -Compress
}`;

let help: Record<string, any>;

beforeAll(async () => {
  const r = await runPs(HELP_AND_COMMAND, { timeoutMs: 90000 });
  expect(r.stderr).toBe("");
  help = Object.fromEntries(
    r.stdout
      .split("\n")
      .filter((l) => l.startsWith("{"))
      .map((l) => JSON.parse(l))
      .map((o) => [o.Name, o]),
  );
}, 120000);

const param = (cmd: string, name: string) => help[cmd].Parameters.find((p: any) => p.Name === name);

test("every exported cmdlet's help is the MAML built from its page in docs/help; no comment-based help is left", () => {
  const names = Object.keys(help).sort();
  expect(names).toHaveLength(12);
  const pages = fs.readdirSync(path.join(ROOT, "docs", "help")).map((f) => f.replace(/\.md$/, "")).sort();
  expect(pages).toEqual(names);
  for (const name of names) {
    expect([name, help[name].HelpKind]).toEqual([name, expect.stringContaining("AzTokenBridge-help.xml")]);
  }
  for (const file of fs.readdirSync(path.join(ROOT, "module", "Public"))) {
    const text = fs.readFileSync(path.join(ROOT, "module", "Public", file), "utf8");
    expect([file, /^\s*# \.ExternalHelp AzTokenBridge-help\.xml$/m.test(text)]).toEqual([file, true]);
    expect([file, /^\s*\.(SYNOPSIS|DESCRIPTION|PARAMETER|EXAMPLE)\b/im.test(text)]).toEqual([file, false]);
  }
});

test("the help's syntax has the command's parameter sets, mandatory parameters and every parameter", () => {
  for (const [name, h] of Object.entries(help)) {
    expect([name, h.HelpSets]).toEqual([name, h.Sets]);
    for (const p of h.Parameters) expect([name, p.Name, p.InHelp]).toEqual([name, p.Name, true]);
    expect([name, h.HelpParameters.length]).toEqual([name, h.Parameters.length + (h.ShouldProcess ? 2 : 0)]);
  }
});

test("the help's aliases and pipeline input are the command's; its types are the command's or, for untyped parameters, the seed's", () => {
  for (const [name, h] of Object.entries(help)) {
    for (const p of h.Parameters) {
      expect([name, p.Name, p.HelpAliases]).toEqual([name, p.Name, p.Aliases || "none"]);
      expect([name, p.Name, p.HelpPipeline]).toEqual([name, p.Name, p.Pipeline]);
      if (p.Type !== "Object" && p.Type !== "Object[]") {
        // The seed's full type name ends in the command's type name (Nullable`1[System.DateTime] for DateTime).
        expect([name, p.Name, p.HelpType.replace(/^System\.Nullable`1\[System\.(\w+)\]$/, "System.$1").split(".").pop()]).toEqual([name, p.Name, p.Type]);
      }
    }
  }
});

test("the seeds' types for -Context, -DefaultProfile, -KeyType, -Status, -Environment, -Module, the credential arrays", () => {
  expect(param("New-AzApiManagementUserToken", "Context")).toMatchObject({ Type: "Object", HelpShown: "PsApiManagementContext", HelpType: `${APIM}PsApiManagementContext` });
  expect(param("New-AzApiManagementUserToken", "KeyType")).toMatchObject({ Type: "PsApiManagementUserKeyType", HelpShown: "PsApiManagementUserKeyType" });
  for (const cmd of ["New-AzApiManagementUserToken", "Get-AzApiManagementUser", "New-AzApiManagementContext", "Get-AzApiManagementTenantAccess"]) {
    expect([cmd, param(cmd, "DefaultProfile").HelpShown]).toEqual([cmd, "IAzureContextContainer"]);
    expect([cmd, param(cmd, "DefaultProfile").HelpAliases]).toEqual([cmd, "AzContext, AzureRmContext, AzureCredential"]);
  }
  for (const cmd of ["New-AzContainerRegistryToken", "Get-AzContainerRegistryToken", "New-AzContainerRegistryCredentials"]) {
    expect([cmd, param(cmd, "DefaultProfile").HelpShown]).toEqual([cmd, "PSObject"]);
  }
  expect(param("New-AzContainerRegistryToken", "Status")).toMatchObject({ Type: "TokenStatus", HelpShown: "TokenStatus" });
  expect(param("New-AzContainerRegistryToken", "CredentialsPassword")).toMatchObject({ HelpShown: "ITokenPassword[]", HelpType: `${ACR}Api20220201Preview.ITokenPassword[]` });
  expect(param("New-AzContainerRegistryToken", "InputObject")).toMatchObject({ HelpShown: "IContainerRegistryIdentity" });
  expect(param("New-PartnerAccessToken", "Environment")).toMatchObject({ Type: "EnvironmentName", HelpShown: "EnvironmentName", HelpDefault: "AzureCloud" });
  expect(param("New-PartnerAccessToken", "Module")).toMatchObject({ Type: "ModuleName", HelpShown: "ModuleName" });
});

test("aliases, accepted values and real defaults (-SubscriptionId, -ThrottleLimit, -KeyType), additions marked", () => {
  expect(param("New-AzContainerRegistryToken", "Name").HelpAliases).toBe("TokenName");
  expect(param("New-PartnerAccessToken", "Tenant").HelpAliases).toBe("Domain, TenantId");
  expect(param("New-AzApiManagementUserToken", "KeyType").HelpDescription).toContain("Accepted values: Primary, Secondary");
  expect(param("New-AzApiManagementUserToken", "KeyType").HelpDefault).toBe("Primary");
  expect(param("New-PartnerAccessToken", "Environment").HelpDescription).toContain("Accepted values: AzureCloud, AzureChinaCloud, AzureGermanCloud, AzurePPE, AzureUSGovernment");
  expect(param("New-AzContainerRegistryToken", "Status").HelpDescription).toContain("Accepted values: enabled, disabled");
  for (const cmd of ["New-AzContainerRegistryToken", "Get-AzContainerRegistryToken", "Get-AzContainerRegistryScopeMap", "New-AzContainerRegistryCredentials"]) {
    expect([cmd, param(cmd, "SubscriptionId").HelpDefault]).toEqual([cmd, expect.stringContaining("(Get-AzContext).Subscription.Id")]);
  }
  for (const [name, h] of Object.entries(help)) {
    const t = h.Parameters.find((p: any) => p.Name === "ThrottleLimit");
    if (!t) continue;
    expect([name, t.HelpDefault]).toEqual([name, "$env:AZTOKENBRIDGE_THROTTLE_LIMIT, else 16"]);
    expect([name, t.HelpDescription]).toEqual([name, expect.stringMatching(/^AzTokenBridge: not in Az\./)]);
  }
  expect(param("New-AzContainerRegistryToken", "GeneratePassword").HelpDescription).toMatch(/^AzTokenBridge: not in Az\./);
  // -WhatIf and -Confirm are described where the cmdlet supports them.
  for (const [name, h] of Object.entries(help)) {
    if (!h.ShouldProcess) continue;
    expect([name, h.HelpParameters]).toEqual([name, expect.arrayContaining(["WhatIf", "Confirm"])]);
  }
  expect(Object.values(help).filter((h: any) => h.ShouldProcess).map((h: any) => h.Name).sort()).toEqual(["New-AzContainerRegistryCredentials", "New-AzContainerRegistryToken"]);
});

test("every example of the seeds, with the output the seed shows", () => {
  const titles = (cmd: string) => help[cmd].Examples.map((e: any) => e.Title.replace(/^-+ | -+$/g, ""));
  expect(titles("New-AzApiManagementUserToken")).toEqual(expect.arrayContaining(["Example 1: Generate a Shared Access Token for Git User", "Example 2"]));
  expect(titles("New-AzContainerRegistryToken")).toEqual(expect.arrayContaining(["Example 1: Create new token for certain container registry"]));
  expect(titles("New-PartnerAccessToken")).toEqual(["Example 1: Generating a new access token", "Example 2: Generating an access token using a refresh token"]);
  const [apim1, apim2] = help["New-AzApiManagementUserToken"].Examples;
  expect(apim1.Code).toMatch(/^UserId\s+TokenExpiry\s+KeyType\s+UserToken$/m);
  expect(apim1.Remarks).toContain("This script get the Git user configured in ApiManagement service");
  expect(apim2.Code).toBe("New-AzApiManagementUserToken -Context <PsApiManagementContext> -Expiry <DateTime> -UserId <String>");
  expect(apim2.Remarks).toBe("Generates a Shared Access Token for the User. (autogenerated)");
  const acr1 = help["New-AzContainerRegistryToken"].Examples[0];
  expect(acr1.Code).toMatch(/^New-AzContainerRegistryToken -Name token2 -RegistryName lnxcr/);
  expect(acr1.Remarks).toMatch(/^Name\s+SystemDataCreatedAt\s+SystemDataCreatedBy/m);
  expect(acr1.Remarks).toContain("Create new token for certain container registry");
  for (const [name, h] of Object.entries(help)) expect([name, h.Examples.length > 0]).toEqual([name, true]);
});

test("INPUTS and OUTPUTS name the seeds' types", () => {
  expect(help["New-AzApiManagementUserToken"].Inputs).toEqual([
    `${APIM}PsApiManagementContext`,
    "System.String",
    `${APIM}PsApiManagementUserKeyType`,
    "System.Nullable`1[[System.DateTime, mscorlib, Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089]]",
  ]);
  expect(help["New-AzApiManagementUserToken"].Outputs).toEqual([`${APIM}PsApiManagementUserToken`]);
  expect(help["New-AzContainerRegistryToken"].Inputs).toEqual([`${ACR}Api20220201Preview.IToken`, `${ACR}IContainerRegistryIdentity`]);
  expect(help["New-AzContainerRegistryToken"].Outputs).toEqual([`${ACR}Api20220201Preview.IToken`]);
  expect(help["New-PartnerAccessToken"].Outputs).toEqual(["Microsoft.Store.PartnerCenter.PowerShell.Models.Authentication.AuthResult"]);
});

test("the online page: the first related link and the command's HelpUri", () => {
  for (const [name, url] of Object.entries(ONLINE)) {
    expect([name, help[name].Links[0]]).toEqual([name, url]);
    expect([name, help[name].HelpUri]).toEqual([name, url]);
  }
});

test("the module's own cmdlets: their online page is their help page under the manifest's ProjectUri", () => {
  const manifest = fs.readFileSync(MODULE_MANIFEST, "utf8");
  const projectUri = /ProjectUri\s*=\s*'([^']+)'/.exec(manifest)![1];
  for (const name of ["Start-AzTokenBridgeEmulator", "Stop-AzTokenBridgeEmulator"]) {
    const url = `${projectUri}/blob/main/docs/help/${name}.md`;
    expect([name, help[name].Links[0]]).toEqual([name, url]);
    expect([name, help[name].HelpUri]).toEqual([name, url]);
  }
});

test("Get-Help -Online opens the seed's page in the browser, without an error", async () => {
  // .NET opens a URL with xdg-open on Linux: a stand-in on PATH records what it was given.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-online-"));
  try {
    const record = path.join(dir, "opened.txt");
    fs.writeFileSync(path.join(dir, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$1" >> '${record}'\n`, { mode: 0o755 });
    const r = await runPs(
      `Import-Module '${MODULE_MANIFEST}'
Get-Help New-AzApiManagementUserToken -Online
Get-Help New-AzContainerRegistryToken -Online
Get-Help New-PartnerAccessToken -Online
'done'`,
      { json: true, env: { PATH: `${dir}:${process.env.PATH}` } },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects).toEqual(["done"]);
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && (!fs.existsSync(record) || fs.readFileSync(record, "utf8").trim().split("\n").length < 3)) await new Promise((res) => setTimeout(res, 50));
    expect(fs.readFileSync(record, "utf8").trim().split("\n")).toEqual([ONLINE["New-AzApiManagementUserToken"], ONLINE["New-AzContainerRegistryToken"], ONLINE["New-PartnerAccessToken"]]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("Get-Help -Full reads like the seed: syntax types, the parameter's aliases and accepted values, the examples", async () => {
  const r = await runPs(`Import-Module '${MODULE_MANIFEST}'
Get-Help New-AzContainerRegistryToken -Full | Out-String -Width 400
Get-Help New-PartnerAccessToken -Parameter Tenant | Out-String -Width 400`);
  expect(r.code).toBe(0);
  const text = r.stdout;
  expect(text).toContain(
    "New-AzContainerRegistryToken -InputObject <IContainerRegistryIdentity> [-CredentialsCertificate <ITokenCertificate[]>] [-CredentialsPassword <ITokenPassword[]>] [-ScopeMapId <String>] [-Status <TokenStatus>]",
  );
  expect(text).toMatch(/-Name <String>\n(.*\n)*?\s+Aliases\s+TokenName\n/);
  expect(text).toMatch(/-WhatIf \[<SwitchParameter>\]\n\s+Shows what would happen if the cmdlet runs\. The cmdlet is not run\./);
  expect(text).toContain("-------------------------- Example 1: Create new token for certain container registry --------------------------");
  expect(text).toMatch(/-Tenant <String>\n(.*\n)*?\s+Aliases\s+Domain, TenantId\n/);
  expect(text).toContain("Online Version: https://learn.microsoft.com/powershell/module/az.containerregistry/new-azcontainerregistrytoken");
});
