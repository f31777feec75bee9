/**
 * The JSON-RPC server over stdio (vscode-jsonrpc, Content-Length framing).
 * - Requests are handled concurrently and answered as each completes.
 * - $/cancelRequest aborts the handler's AbortSignal; the reply is RequestCancelled (-32800).
 * - The process exits when stdin ends (the module closed it, or PowerShell exited); Ctrl+C in the
 *   user's terminal does not end it (see lifecycle.ts).
 */
import { CancellationToken, createMessageConnection, Logger, MessageConnection, ResponseError } from "vscode-jsonrpc/node";
import { StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { ignoreInterruptsWhileAttached } from "../lifecycle";
import { BridgeErrorCodes, Prepare } from "../protocol";
import { toResponseError } from "./errors";
import { loadAllServices, METHODS, prepare } from "./methods";

/** For the build's code cache (src/build/sea.cjs): load what calls will load, without serving. */
export const warmUp = loadAllServices;
import { claimStdout } from "./stdio";

const stderrLogger: Logger = {
  error: (m) => process.stderr.write(`[aztokenbridge] error: ${m}\n`),
  warn: (m) => process.stderr.write(`[aztokenbridge] warn: ${m}\n`),
  info: () => undefined,
  log: () => undefined,
};

function cancelled(): ResponseError<unknown> {
  return new ResponseError(BridgeErrorCodes.RequestCancelled, "The request was cancelled.", {
    category: "OperationStopped",
    errorId: "RequestCancelled",
  });
}

export function startServer(): MessageConnection {
  const out = claimStdout();
  const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(out), stderrLogger);

  for (const { type, handler } of METHODS) {
    connection.onRequest(type, async (params: unknown, token: CancellationToken) => {
      const abort = new AbortController();
      const sub = token.onCancellationRequested(() => abort.abort());
      try {
        if (token.isCancellationRequested) throw cancelled();
        return await handler(params ?? {}, abort.signal);
      } catch (e) {
        if (token.isCancellationRequested) throw cancelled();
        throw toResponseError(e);
      } finally {
        sub.dispose();
      }
    });
  }

  connection.onNotification(Prepare, prepare);

  ignoreInterruptsWhileAttached();
  const exit = () => process.exit(0);
  connection.onClose(exit);
  process.stdin.on("end", exit);
  connection.listen();
  return connection;
}
