/**
 * Packages the server as one executable (Node SEA through pkg's simple --sea path), with the
 * server's and the emulator's bundles as assets next to the small entry bundle (see src/chunk.ts),
 * and, for the platform this runs on, a V8 code cache of each: made by compiling the chunk exactly
 * as src/chunk.ts does and running its top level (which compiles what a start runs), with the
 * same Node the binary embeds. Run by build.mjs with that pinned Node:
 *
 *   node src/build/sea.cjs <dist> <output> <nodeRange> <pkgOs> <arch> <codeCache: 0|1>
 */
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const vm = require("node:vm");

// The V8 options the binary starts with (sea-config execArgv). A small young generation: the
// server's allocations are short-lived and small, and the default (16 MB semi-spaces) is most of
// its memory. A code cache is only accepted under the V8 options it was made with, so this script
// makes it under the same ones (it runs itself again with them).
const EXEC_ARGV = ["--max-semi-space-size=1"];
if (!EXEC_ARGV.every((a) => process.execArgv.includes(a))) {
  const r = require("node:child_process").spawnSync(process.execPath, [...EXEC_ARGV, __filename, ...process.argv.slice(2)], { stdio: "inherit" });
  process.exit(r.status ?? 1);
}

const [dist, output, nodeRange, platform, arch, codeCache] = process.argv.slice(2);
const ROOT = path.resolve(__dirname, "..", "..");
const CHUNKS = ["server", "emulator"];

// Must be the exact text src/chunk.ts compiles (wrapChunk): the cache is only for that source.
const wrapChunk = (source) => `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;

async function main() {
  const assets = {};
  for (const name of CHUNKS) {
    const file = `aztokenbridge-${name}.js`;
    const src = path.join(dist, file);
    assets[file] = src;
    if (codeCache === "1") {
      const script = new vm.Script(wrapChunk(fs.readFileSync(src, "utf8")), {
        filename: src,
        importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
      });
      const mod = { exports: {} };
      script.runInThisContext().call(mod.exports, mod.exports, require, mod, src, dist);
      // Load what the first calls load (each service's handlers and SDK), so the cache covers them too.
      if (typeof mod.exports.warmUp === "function") mod.exports.warmUp();
      const cache = path.join(dist, `${file}.cache`);
      fs.writeFileSync(cache, script.createCachedData());
      assets[`${file}.cache`] = cache;
    }
  }
  const sea = require(path.join(ROOT, "node_modules", "@yao-pkg", "pkg", "lib-es5", "sea.js")).default;
  await sea(path.join(dist, "aztokenbridge.js"), {
    targets: [{ nodeRange, platform, arch, output }],
    signature: true,
    seaConfig: {
      assets,
      execArgv: EXEC_ARGV,
    },
  });
}

main().then(
  () => process.exit(0), // the chunks' top level may have left handles open
  (e) => {
    process.stderr.write(`sea: ${e && e.stack ? e.stack : e}\n`);
    process.exit(1);
  },
);
