/**
 * Entry point of the packaged binary.
 *   aztokenbridge                 JSON-RPC server on stdin/stdout (what the module runs)
 *   aztokenbridge --version       prints the version
 *   aztokenbridge emulator [...]  the local Azure emulator (see src/emulator)
 */
import { VERSION } from "./version";

async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case "serve":
    case "--stdio": {
      // require (not import()) keeps the emulator and the server each loaded only when used.
      const { startServer } = require("./rpc/server") as typeof import("./rpc/server");
      startServer();
      return;
    }
    case "--version":
    case "-v":
      process.stdout.write(`${VERSION}\n`);
      return;
    case "emulator": {
      const { runEmulatorCli } = require("./emulator") as typeof import("./emulator");
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
