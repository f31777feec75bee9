/**
 * The server and the emulator are separate bundles ("chunks"), so that starting one never parses
 * the other: the entry bundle (main.ts) is a few kilobytes, and each command loads its chunk.
 *
 * - In the packaged binary (Node SEA) the chunks are assets of the one executable, each with a V8
 *   code cache made at build time (src/build/sea.cjs, by the same Node): compiling a chunk with it
 *   skips parsing and compiling the functions the build's warm-up ran. A cache V8 rejects (another
 *   Node or other flags) only costs the compile it was meant to save.
 * - Run as `node dist/aztokenbridge.js`, the chunks are the files next to it.
 */
import * as path from "node:path";
import * as vm from "node:vm";

export type ChunkName = "server" | "emulator";

/** File name of a chunk in dist/ and asset name in the binary. */
export function chunkFile(name: ChunkName): string {
  return `aztokenbridge-${name}.js`;
}

interface SeaApi {
  isSea(): boolean;
  getAsset(key: string): ArrayBuffer;
  getAsset(key: string, encoding: string): string;
}

function seaApi(): SeaApi | undefined {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const sea = require("node:sea") as SeaApi;
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}

/** CommonJS wrapper, as Node's own loader compiles a module (Module.wrap). */
export function wrapChunk(source: string): string {
  return `(function (exports, require, module, __filename, __dirname) { ${source}\n});`;
}

/** Compiles and runs a chunk's source as a CommonJS module; returns its exports. */
export function runChunk(source: string, filename: string, cachedData: Buffer | undefined, req: NodeJS.Require): { exports: unknown; script: vm.Script } {
  const script = new vm.Script(wrapChunk(source), {
    filename,
    cachedData,
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  });
  const fn = script.runInThisContext() as (e: unknown, r: NodeJS.Require, m: { exports: unknown }, f: string, d: string) => void;
  const mod = { exports: {} as unknown };
  fn.call(mod.exports, mod.exports, req, mod, filename, path.dirname(filename));
  return { exports: mod.exports, script };
}

export function loadChunk<T>(name: ChunkName): T {
  const file = chunkFile(name);
  const sea = seaApi();
  if (!sea) {
    // A computed path: the bundler leaves this require alone.
    const dir = __dirname;
    return require(path.join(dir, file)) as T;
  }
  const source = sea.getAsset(file, "utf8");
  let cachedData: Buffer | undefined;
  try {
    cachedData = Buffer.from(sea.getAsset(`${file}.cache`));
  } catch {
    cachedData = undefined; // no cache for this target
  }
  const filename = path.join(path.dirname(process.execPath), file);
  const { exports, script } = runChunk(source, filename, cachedData, require);
  if (process.env.AZTOKENBRIDGE_TRACE_CHUNKS) {
    process.stderr.write(`[aztokenbridge] chunk ${name}: ${source.length} chars, code cache ${cachedData ? (script.cachedDataRejected ? "rejected" : "used") : "absent"}\n`);
  }
  return exports as T;
}
