/**
 * Argument completion (issue Z item 9), through pwsh's own TabExpansion2 against the emulator:
 * -UserId offers the seed's users (integration, git) and the service's user ids; the registry
 * cmdlets' -ResourceGroupName, -RegistryName, -Name and -ScopeMapId complete from Azure
 * (module/Private/Completers.ps1, acr/listRegistries, acr/getTokens, acr/getScopeMaps), never
 * file names, and a failure offers nothing.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST } from "../support/paths";
import { PsResult, runPs } from "../support/pwsh";

const SUB = "9e223dbe-3399-4e19-88eb-0975f02ac87f";
const REG_ID = `/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr`;
const REGISTRY_COMMANDS = ["New-AzContainerRegistryToken", "Get-AzContainerRegistryToken", "Get-AzContainerRegistryScopeMap", "New-AzContainerRegistryCredentials"];

let emulator: EmulatorProcess;
let cwd: string;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  // Files a completion would offer if it fell back to file names.
  cwd = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-complete-"));
  for (const f of ["lnxfile.txt", "tokfile.txt", "gitfile.txt", "newfile.txt", "_repfile.txt"]) fs.writeFileSync(path.join(cwd, f), "");
});
afterAll(async () => {
  fs.rmSync(cwd, { recursive: true, force: true });
});
beforeEach(async () => {
  await emulator.control("DELETE", "/faults");
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
  await emulator.control("DELETE", "/requests");
});

/** One line per input: what TabExpansion2 offers for it (completion texts, joined by '|'). */
function complete(inputs: string[], prelude = ""): Promise<PsResult> {
  const lines = inputs.map((i) => `$in = '${i.replace(/'/g, "''")}'\n@((TabExpansion2 -inputScript $in -cursorColumn $in.Length).CompletionMatches | ForEach-Object CompletionText) -join '|'`);
  return runPs(
    `Import-Module '${MODULE_MANIFEST}'
$context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
${prelude}
${lines.join("\n")}`,
    { json: true, cwd, timeoutMs: 90000, env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined } },
  );
}

test("-UserId: the seed's users integration and git, and the service's user ids", async () => {
  const r = await complete([
    "New-AzApiManagementUserToken -UserId ",
    "New-AzApiManagementUserToken -Context $context -UserId gi",
    "New-AzApiManagementUserToken -Context $context -UserId ",
    "Get-AzApiManagementUser -Context $context -UserId in",
    "Get-AzApiManagementUser -Context $context -UserId 1",
  ]);
  expect(r.errors).toEqual([]);
  expect(r.objects[0]).toBe("git|integration");
  expect(r.objects[1]).toBe("git");
  const all = (r.objects[2] as string).split("|");
  expect(all).toEqual(expect.arrayContaining(["git", "integration", "1"]));
  expect(all).toHaveLength(27); // 25 users of the demo service, and the two principals
  expect(r.objects[3]).toBe("integration");
  expect(r.objects[4]).toBe("1");
});

test("-ResourceGroupName and -RegistryName of every registry cmdlet complete from the subscription's registries (ARM's registry lists)", async () => {
  const inputs = REGISTRY_COMMANDS.flatMap((c) => [`${c} -ResourceGroupName lnx`, `${c} -RegistryName lnx`, `${c} -ResourceGroupName lnxtest -RegistryName `]);
  const r = await complete(inputs);
  expect(r.errors).toEqual([]);
  expect(r.objects).toEqual(REGISTRY_COMMANDS.flatMap(() => ["lnxtest", "lnxcr", "lnxcr"]));
  const lists = (await emulator.requestLog()).filter((e) => e.service === "arm" && e.method === "GET" && /\/registries$/.test(e.path));
  expect(lists.map((e) => [e.path, e.status])).toEqual(
    expect.arrayContaining([
      [`/subscriptions/${SUB}/providers/Microsoft.ContainerRegistry/registries`, 200],
      [`/subscriptions/${SUB}/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries`, 200],
    ]),
  );
  expect(lists.every((e) => typeof e.query["api-version"] === "string")).toBe(true);
});

test("-Name completes the registry's tokens (its scope maps for Get-AzContainerRegistryScopeMap); -ScopeMapId its scope maps' ids", async () => {
  const name = `tokcomplete${Date.now().toString(36)}`;
  const r = await complete(
    [
      `Get-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr -Name ${name.slice(0, 8)}`,
      `New-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr -Name ${name.slice(0, 8)}`,
      "Get-AzContainerRegistryScopeMap -ResourceGroupName lnxtest -RegistryName lnxcr -Name _rep",
      "New-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr -Name x -ScopeMapId new",
      `New-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName lnxcr -Name x -ScopeMapId ${REG_ID}/scopeMaps/_repositories_p`,
    ],
    `$null = New-AzContainerRegistryToken -Name ${name} -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId '${REG_ID}/scopeMaps/newmap'`,
  );
  expect(r.errors).toEqual([]);
  expect(r.objects[0]).toBe(name);
  expect(r.objects[1]).toBe(name);
  expect(r.objects[2]).toBe("_repositories_admin|_repositories_pull|_repositories_push");
  expect(r.objects[3]).toBe(`${REG_ID}/scopeMaps/newmap`);
  expect(r.objects[4]).toBe(`${REG_ID}/scopeMaps/_repositories_pull|${REG_ID}/scopeMaps/_repositories_push`);
});

test("a failure offers nothing: no file names (a missing registry, a missing resource group, no registry named yet)", async () => {
  const r = await complete([
    "Get-AzContainerRegistryToken -ResourceGroupName lnxtest -RegistryName nosuchregistry -Name tok",
    "Get-AzContainerRegistryScopeMap -ResourceGroupName nosuchgroup -RegistryName lnx",
    "New-AzContainerRegistryToken -Name x -ScopeMapId new",
    "Get-AzContainerRegistryToken -RegistryName lnx -SubscriptionId not-a-subscription",
    "New-AzApiManagementUserToken -UserId zz",
  ]);
  expect(r.errors).toEqual([]);
  expect(r.objects).toEqual(["", "", "", "", ""]);
  // The first two asked Azure and were answered 404.
  const failed = (await emulator.requestLog()).filter((e) => e.service === "arm" && e.status === 404);
  expect(failed.length).toBeGreaterThanOrEqual(2);
});
