/**
 * The Gallery package as a user gets it (issue P): dist/AzTokenBridge.<version>.nupkg, made by
 * `node src/build/build.mjs package` (npm test makes it before jest starts; here it is only checked
 * to be up to date), installed the way Install-PSResource installs a package — extracted with .NET's
 * ZipFile.ExtractToDirectory, its NuGet files (the .nuspec, [Content_Types].xml, _rels/, package/)
 * deleted, the rest moved to <a PSModulePath folder>/AzTokenBridge/<version>/ — into a temporary
 * folder. The user's session has that folder on PSModulePath and nothing of this checkout: no
 * AZTOKENBRIDGE_SERVER, no Node on PATH, a home and working directory of its own.
 *
 * (PSResourceGet itself is not in the pwsh the tests run in — Microsoft.PowerShell.SDK carries only
 * Utility, Management, Security and Host — so its install is reproduced: see the README.)
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../support/paths";
import { PsResult, PWSH, runPs } from "../support/pwsh";

const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")).version;
const NUPKG = path.join(ROOT, "dist", `AzTokenBridge.${VERSION}.nupkg`);
const PLATFORMS = ["linux-arm64", "linux-x64", "osx-arm64", "osx-x64", "win-x64"];
const HOST_RID = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux"}-${process.arch}`;
const EXE = process.platform === "win32" ? "aztokenbridge.exe" : "aztokenbridge";
const SCOPE_MAP = "/subscriptions/9e223dbe-3399-4e19-88eb-0975f02ac87f/resourceGroups/lnxtest/providers/Microsoft.ContainerRegistry/registries/lnxcr/scopeMaps/newmap";

let work: string;

/**
 * PATH without Node: each folder of PATH that holds a `node` executable (on Debian, /usr/bin) is
 * replaced by a folder of links to everything in it but Node and its tools; folders of this
 * checkout are left out.
 */
function pathWithoutNode(): string {
  const nodeNames = new Set(["node", "nodejs", "npm", "npx", "corepack", "node.exe", "node.cmd", "npm.cmd", "npx.cmd"]);
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter((dir) => dir && fs.existsSync(dir) && !path.resolve(dir).startsWith(ROOT))
    .map((dir, i) => {
      const entries = fs.readdirSync(dir);
      if (!entries.some((n) => nodeNames.has(n))) return dir;
      // Windows: Node's own folder (Program Files\nodejs) holds nothing else a session needs, and
      // links need a privilege there.
      if (process.platform === "win32") return "";
      const copy = path.join(work, `path-${i}`);
      if (!fs.existsSync(copy)) {
        fs.mkdirSync(copy);
        for (const n of entries) if (!nodeNames.has(n)) fs.symlinkSync(path.join(dir, n), path.join(copy, n));
      }
      return copy;
    })
    .filter((dir) => dir !== "")
    .join(path.delimiter);
}

/** A user's session: the given module folder on PSModulePath and nothing of the checkout. */
function userEnv(modules: string, home: string): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const name of Object.keys(process.env)) {
    if (/^(AZTOKENBRIDGE_|AZURE_|NODE_|npm_)/i.test(name) || name === "PSModulePath") env[name] = undefined;
  }
  return { ...env, PSModulePath: modules, PATH: pathWithoutNode(), HOME: home, XDG_DATA_HOME: undefined, XDG_CACHE_HOME: undefined, XDG_CONFIG_HOME: undefined };
}

/**
 * Installs the package as Install-PSResource does, into <root>/Modules/AzTokenBridge/<version>/
 * (PSResourceGet's InstallHelper: ZipFile.ExtractToDirectory into a temporary folder, delete the
 * NuGet files, move the rest). Returns the Modules folder.
 */
async function install(root: string, as: string = VERSION): Promise<string> {
  const modules = path.join(root, "Modules");
  const r = await runPs(
    `$ErrorActionPreference = 'Stop'
$temp = Join-Path $env:AZTB_ROOT 'extract'
[System.IO.Compression.ZipFile]::ExtractToDirectory($env:AZTB_NUPKG, $temp)
foreach ($name in 'AzTokenBridge.nuspec', '[Content_Types].xml', '_rels', 'package') {
    Remove-Item -LiteralPath (Join-Path $temp $name) -Recurse -Force
}
$target = Join-Path $env:AZTB_MODULES "AzTokenBridge/$env:AZTB_AS"
$null = New-Item -ItemType Directory -Path (Split-Path $target)
Move-Item -LiteralPath $temp -Destination $target`,
    { env: { AZTB_ROOT: root, AZTB_NUPKG: NUPKG, AZTB_MODULES: modules, AZTB_AS: as }, timeoutMs: 120_000 },
  );
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return modules;
}

/**
 * A user's copy for one test: <work>/<name> with a HOME of its own and the package installed into
 * its Modules folder (install). `base` is the installed version's folder, `binary` its server.
 */
async function installCopy(name: string): Promise<{ root: string; home: string; modules: string; base: string; binary: string }> {
  const root = path.join(work, name);
  fs.mkdirSync(root);
  const home = path.join(root, "home");
  fs.mkdirSync(home);
  const modules = await install(root);
  const base = path.join(modules, "AzTokenBridge", VERSION);
  return { root, home, modules, base, binary: path.join(base, "bin", HOST_RID, EXE) };
}

function describeRun(r: PsResult): string {
  return `exit ${r.code}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
}

beforeAll(() => {
  // Up to date after npm test's build (a no-op then); built here when this file runs alone.
  const r = spawnSync(process.execPath, [path.join(ROOT, "src", "build", "build.mjs"), "package"], { cwd: ROOT, encoding: "utf8", timeout: 900_000 });
  if (r.status !== 0) throw new Error(`node src/build/build.mjs package failed (${r.status ?? r.signal}):\n${r.stderr}`);
  work = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-package-"));
}, 900_000);

// Each test installs a copy of its own (575 MB unpacked): removed after it.
afterEach(() => {
  for (const name of fs.readdirSync(work)) {
    if (!name.startsWith("path-")) fs.rmSync(path.join(work, name), { recursive: true, force: true });
  }
});

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

test("the package: the module at its root, the Gallery's .nuspec, every platform's server, nothing else", async () => {
  expect(fs.statSync(NUPKG).size).toBeLessThan(250 * 1024 * 1024);
  const r = await runPs(
    `$zip = [System.IO.Compression.ZipFile]::OpenRead($env:AZTB_NUPKG)
try {
    $zip.Entries | ForEach-Object { 'entry ' + $_.FullName }
    $entry = $zip.GetEntry('AzTokenBridge.nuspec')
    $reader = [System.IO.StreamReader]::new($entry.Open())
    try { 'nuspec ' + ($reader.ReadToEnd() -replace '\\r?\\n', ' ') } finally { $reader.Dispose() }
} finally { $zip.Dispose() }`,
    { env: { AZTB_NUPKG: NUPKG } },
  );
  expect(r.code).toBe(0);
  const entries = [...r.stdout.matchAll(/^entry (.+?)\r?$/gm)].map((m) => m[1]).sort();
  const modules = fs.readdirSync(path.join(ROOT, "module", "Public")).map((n) => `Public/${n}`);
  expect(entries).toEqual(
    expect.arrayContaining([
      "AzTokenBridge.nuspec",
      "AzTokenBridge.psd1",
      "AzTokenBridge.psm1",
      "AzTokenBridge.format.ps1xml",
      "LICENSE",
      "Private/Processes.ps1",
      "Private/Protocol.generated.ps1",
      "bin/AzTokenBridge.Client.dll",
      "en-US/AzTokenBridge-help.xml",
      ...modules,
      ...PLATFORMS.map((rid) => `bin/${rid}/${rid.startsWith("win") ? "aztokenbridge.exe" : "aztokenbridge"}`),
    ]),
  );
  // Only what the module needs: no sources, tests, examples or build files.
  const expected = /^(AzTokenBridge\.(nuspec|psd1|psm1|format\.ps1xml)|LICENSE|en-US\/AzTokenBridge-help\.xml|Private\/[\w.-]+\.ps1|Public\/[\w-]+\.ps1|bin\/AzTokenBridge\.Client\.dll|bin\/(linux|osx|win)-(x64|arm64)\/aztokenbridge(\.exe)?|_rels\/\.rels|\[Content_Types\]\.xml|package\/services\/metadata\/core-properties\/\w+\.psmdcp)$/;
  expect(entries.filter((e) => !expected.test(e))).toEqual([]);
  expect(entries.some((e) => /Client\/|examples\/|\.cs$|\.ts$|\.js$|test/i.test(e))).toBe(false);

  const nuspec = /^nuspec (.*)$/m.exec(r.stdout)![1];
  const field = (name: string) => new RegExp(`<${name}>([^<]*)</${name}>`).exec(nuspec)?.[1];
  expect(field("id")).toBe("AzTokenBridge");
  expect(field("version")).toBe(VERSION);
  expect(field("authors")).toBe("AzTokenBridge developers");
  expect(field("description")).toMatch(/Az-compatible token cmdlets/);
  expect(field("projectUrl")).toMatch(/^https:\/\//);
  expect(field("licenseUrl")).toMatch(/^https:\/\/.*LICENSE$/);
  // The release notes are CHANGELOG.md's section for this version.
  const changelog = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8");
  const section = changelog.split(`## ${VERSION}`)[1].split(/\n## /)[0].trim();
  expect(field("releaseNotes")!.replace(/\s+/g, " ").trim()).toBe(section.replace(/\s+/g, " ").replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
  const tags = field("tags")!.split(" ");
  const functions = fs.readdirSync(path.join(ROOT, "module", "Public")).map((n) => n.replace(/\.ps1$/, ""));
  expect(tags).toEqual(expect.arrayContaining(["PSModule", "PSIncludes_Function", "PSEdition_Core", "Azure", "ApiManagement", "ContainerRegistry"]));
  for (const f of functions) expect(tags).toEqual(expect.arrayContaining([`PSFunction_${f}`, `PSCommand_${f}`]));
  expect(tags.filter((t) => t.startsWith("PSFunction_"))).toHaveLength(functions.length);
});

test("installed as Install-PSResource installs it: found on PSModulePath, autoloads without Import-Module, restores its server's execute bit, runs seeds 000 and 002", async () => {
  const { root, home, modules, base, binary } = await installCopy("user");
  if (process.platform !== "win32") {
    // The package's files come out without Unix modes: the server is not executable yet.
    expect(fs.statSync(binary).mode & 0o111).toBe(0);
  }

  const r = await runPs(
    `$ErrorActionPreference = 'Stop'
"node: $([bool](Get-Command node -ErrorAction SilentlyContinue))"
$available = @(Get-Module -ListAvailable AzTokenBridge)
"available: $($available.Count) $($available[0].Version) $($available[0].ModuleBase)"
"exported: $(@($available[0].ExportedFunctions.Keys | Sort-Object) -join ',')"
$manifest = Test-ModuleManifest -Path (Join-Path $available[0].ModuleBase 'AzTokenBridge.psd1')
"manifest: $($manifest.Name) $($manifest.Version) $($manifest.PowerShellVersion) $($manifest.CompatiblePSEditions -join ',')"
"loaded before: $([bool](Get-Module AzTokenBridge))"

Start-AzTokenBridgeEmulator | Out-Null
try {
    "loaded from: $((Get-Module AzTokenBridge).ModuleBase)"
    # Seed 000, Example 1
    $context = New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice
    $gitAccess=Get-AzApiManagementTenantAccess -Context $context
    $token = New-AzApiManagementUserToken -Context $context -UserId $gitAccess.Id
    "apim: $($token.UserId) $($token.KeyType) $($token.UserToken)"
    # Seed 002, Example 1
    $acr = New-AzContainerRegistryToken -Name token2 -RegistryName lnxcr -ResourceGroupName lnxtest -ScopeMapId ${SCOPE_MAP}
    "acr: $($acr.Name) $($acr.ScopeMapId)"
    $serverPid = [AzTokenBridge.Client.ServerConnection]::Shared.ProcessId
    "server: $((Get-Process -Id $serverPid).Path)"
} finally {
    Stop-AzTokenBridgeEmulator
}
$help = Get-Help New-AzApiManagementUserToken -Full
"help: $($help.Name) | $($help.Synopsis) | $(@($help.examples.example).Count) examples | $(@($help.parameters.parameter.name) -join ',')"
if (-not $IsWindows) { "mode: $([System.IO.File]::GetUnixFileMode((Join-Path (Get-Module AzTokenBridge).ModuleBase 'bin/${HOST_RID}/${EXE}')))" }`,
    { env: userEnv(modules, home), cwd: root, timeoutMs: 180_000 },
  );
  const out = r.stdout;
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  const line = (key: string) => new RegExp(`^${key}: (.*?)\\r?$`, "m").exec(out)?.[1] ?? `(no '${key}' line) ${describeRun(r)}`;
  expect(line("node")).toBe("False");
  expect(line("available")).toBe(`1 ${VERSION} ${base}`);
  const functions = fs.readdirSync(path.join(ROOT, "module", "Public")).map((n) => n.replace(/\.ps1$/, "")).sort();
  expect(line("exported").split(",")).toEqual(functions);
  expect(line("manifest")).toBe(`AzTokenBridge ${VERSION} 7.4 Core`);
  expect(line("loaded before")).toBe("False");
  expect(line("loaded from")).toBe(base);
  expect(line("apim")).toMatch(/^integration Primary integration&\d{12}&\S+$/);
  expect(line("acr")).toBe(`token2 ${SCOPE_MAP}`);
  // The installed copy's own server: nothing of the checkout.
  expect(line("server")).toBe(binary);
  expect(line("help")).toMatch(/^New-AzApiManagementUserToken \| \S.* \| [1-9]\d* examples \| .*\bContext\b.*\bUserId\b/);
  if (process.platform !== "win32") {
    expect(line("mode")).toMatch(/UserExecute/);
    expect(fs.statSync(binary).mode & 0o100).toBe(0o100);
  }
}, 300_000);

/**
 * Runs pwsh with the install folder read-only. Linux: the folder bind-mounted read-only in a mount
 * namespace of its own (unshare: root, or sudo as on CI runners), as on a read-only file system.
 * macOS: the binary made immutable (chflags uchg), as a folder its user may not change. Windows
 * needs no execute bit: there the read-only folder must simply work.
 */
function runReadOnly(base: string, binary: string, script: string, env: NodeJS.ProcessEnv, cwd: string) {
  const opts = { env, cwd, encoding: "utf8" as const, timeout: 120_000 };
  if (process.platform === "linux") {
    const sudo = typeof process.getuid === "function" && process.getuid() !== 0 ? ["sudo", "-n", "--preserve-env"] : [];
    const argv = [...sudo, "/usr/bin/unshare", "-m", "sh", "-c", 'mount --bind -o ro "$0" "$0" && exec "$@"', base, PWSH, "-NoProfile", "-NonInteractive", "-File", script];
    return spawnSync(argv[0], argv.slice(1), opts);
  }
  if (process.platform === "darwin") {
    expect(spawnSync("chflags", ["uchg", binary]).status).toBe(0);
    try {
      return spawnSync(PWSH, ["-NoProfile", "-NonInteractive", "-File", script], opts);
    } finally {
      spawnSync("chflags", ["nouchg", binary]);
    }
  }
  expect(spawnSync("attrib", ["+R", path.join(base, "*"), "/S"]).status).toBe(0);
  return spawnSync(PWSH, ["-NoProfile", "-NonInteractive", "-File", script], opts);
}

test("a read-only install folder: the first call says the server is not executable and how to fix it", async () => {
  const { root, home, modules, base, binary } = await installCopy("readonly");
  const script = path.join(root, "readonly.ps1");
  fs.writeFileSync(
    script,
    `try { Start-AzTokenBridgeEmulator | Out-Null; 'started' } catch { "error: $($_.Exception.GetType().FullName): $($_.Exception.Message)" }
try { Get-AzApiManagementTenantAccess -Context (New-AzApiManagementContext -ResourceGroupName rg -ServiceName svc) -ErrorAction Stop; 'called' } catch { "call error: $($_.Exception.Message)" }
try { Stop-AzTokenBridgeEmulator } catch { }`,
  );
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const [k, v] of Object.entries(userEnv(modules, home))) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = runReadOnly(base, binary, script, env, root);
  const run = `exit ${r.status}\n--- stdout ---\n${r.stdout}\n--- stderr ---\n${r.stderr}`;
  expect({ status: r.status, run }).toEqual({ status: 0, run });
  if (process.platform === "win32") {
    expect(r.stdout).toMatch(/^started\r?$/m);
    return;
  }
  expect(fs.statSync(binary).mode & 0o111).toBe(0);
  const error = /^error: (.*?)\r?$/m.exec(r.stdout)?.[1] ?? `(no error line) ${run}`;
  expect(error).toContain("System.UnauthorizedAccessException");
  expect(error).toContain(`The AzTokenBridge server '${binary}' is not executable`);
  expect(error).toContain(process.platform === "linux" ? "Read-only file system" : "Operation not permitted");
  expect(error).toContain(`chmod +x '${binary}'`);
  // A cmdlet that needs the server says the same, as its error.
  expect(r.stdout).toMatch(/^call error: .*is not executable/m);
}, 180_000);

test("no server for this platform: the error names this OS and architecture and the platforms the copy carries", async () => {
  const { root, home, modules, base } = await installCopy("otherplatform");
  fs.rmSync(path.join(base, "bin", HOST_RID), { recursive: true });
  const r = await runPs(
    `try { Start-AzTokenBridgeEmulator | Out-Null; 'started' } catch { "error: $($_.Exception.Message)" }
"os: $([System.Runtime.InteropServices.RuntimeInformation]::OSDescription.Trim()) on $([System.Runtime.InteropServices.RuntimeInformation]::OSArchitecture)"`,
    { env: userEnv(modules, home), cwd: root, timeoutMs: 60_000 },
  );
  const error = /^error: (.*?)\r?$/m.exec(r.stdout)?.[1] ?? `(no error line) ${describeRun(r)}`;
  const here = /^os: (.*?)\r?$/m.exec(r.stdout)![1];
  expect(error).toContain(`AzTokenBridge has no server for this platform: ${here} (${HOST_RID}).`);
  expect(error).toContain(`carries servers for ${PLATFORMS.filter((p) => p !== HOST_RID).join(", ")} only`);
  expect(error).toContain(`version ${VERSION}`);
}, 120_000);

test("two versions side by side: each imports with its own server binary", async () => {
  const { root, home, modules, base } = await installCopy("sidebyside");
  // An older version beside it: the same files, with its own copy of the server, as 0.0.1.
  const older = "0.0.1";
  const olderBase = path.join(modules, "AzTokenBridge", older);
  fs.cpSync(base, olderBase, {
    recursive: true,
    filter: (src) => {
      const [top, rid] = path.relative(base, src).split(path.sep);
      return !(top === "bin" && PLATFORMS.includes(rid) && rid !== HOST_RID);
    },
  });
  const manifest = path.join(olderBase, "AzTokenBridge.psd1");
  fs.writeFileSync(manifest, fs.readFileSync(manifest, "utf8").replace(/ModuleVersion\s*=\s*'[^']*'/, `ModuleVersion        = '${older}'`));
  const env = userEnv(modules, home);
  const server = (importLine: string) =>
    runPs(
      `$ErrorActionPreference = 'Stop'
${importLine}
Start-AzTokenBridgeEmulator | Out-Null
try {
    $null = Get-AzApiManagementTenantAccess -Context (New-AzApiManagementContext -ResourceGroupName powershelltest -ServiceName powershellsdkservice)
    "versions: $(@(Get-Module -ListAvailable AzTokenBridge | ForEach-Object { $_.Version }) -join ',') loaded $((Get-Module AzTokenBridge).Version)"
    "server: $((Get-Process -Id ([AzTokenBridge.Client.ServerConnection]::Shared.ProcessId)).Path)"
} finally { Stop-AzTokenBridgeEmulator }`,
      { env, cwd: root, timeoutMs: 120_000 },
    );
  const [latest, old] = await Promise.all([server("Import-Module AzTokenBridge"), server(`Import-Module AzTokenBridge -RequiredVersion ${older}`)]);
  for (const r of [latest, old]) expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: "" });
  expect(latest.stdout).toContain(`versions: ${VERSION},${older} loaded ${VERSION}`);
  expect(latest.stdout).toContain(`server: ${path.join(base, "bin", HOST_RID, EXE)}`);
  expect(old.stdout).toContain(`versions: ${VERSION},${older} loaded ${older}`);
  expect(old.stdout).toContain(`server: ${path.join(olderBase, "bin", HOST_RID, EXE)}`);
}, 240_000);
