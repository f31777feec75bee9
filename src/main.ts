/**
 * Entry point of the packaged binary.
 *   aztokenbridge                 JSON-RPC server on stdin/stdout (what the module runs)
 *   aztokenbridge --version       prints the version
 *   aztokenbridge emulator [...]  the local Azure emulator (see src/emulator)
 */
import { loadChunk } from "./chunk";
import { VERSION } from "./version";

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "serve":
    case "--stdio": {
      // Each command loads its own bundle (src/chunk.ts): the server never parses the emulator.
      const { startServer } = loadChunk<typeof import("./rpc/server")>("server");
      startServer();
      return;
    }
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return;
    case "emulator": {
      const { runEmulatorCli } = loadChunk<typeof import("./emulator")>("emulator");
      await runEmulatorCli(rest);
      return;
    }
    default:
      process.stderr.write(`aztokenbridge: unknown command '${command}'. Usage: aztokenbridge [--version | emulator [--port N] [--latency-ms N]]\n`);
      process.exit(2);
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`aztokenbridge: ${(e as Error)?.stack ?? e}\n`);
  process.exit(1);
});
