/**
 * The JSON-RPC server over stdio (vscode-jsonrpc, Content-Length framing).
 * - Requests are handled concurrently and answered as each completes.
 * - $/cancelRequest aborts the handler's AbortSignal; the reply is RequestCancelled (-32800).
 * - The process exits when stdin ends (the module closed it, or PowerShell exited); Ctrl+C in the
 *   user's terminal does not end it (see lifecycle.ts).
 * - Bad input never ends it: the reader (reader.ts) answers malformed frames, bodies and envelopes
 *   (-32700, -32600) and carries on; an unknown method is MethodNotFound (-32601); params that do
 *   not fit their method's shape (params.ts) are InvalidParams (-32602), before the handler runs.
 * - The log (src/log.ts): one verbose line per request, never its params or result.
 * - A handler may notify the client about its request while it runs (src/rpc/notify.ts): each
 *   notification names the request's id, which vscode-jsonrpc does not hand to a handler; the
 *   cancellation strategy below sees every request message as it is dispatched and keeps its id
 *   with the request's cancellation token, which the handler does get.
 */
import * as AzureSdkLogger from "@azure/logger";
import {
  AbstractCancellationTokenSource,
  CancellationSenderStrategy,
  CancellationToken,
  CancellationTokenSource,
  createMessageConnection,
  ErrorCodes,
  Logger,
  Message,
  MessageConnection,
  RequestMessage,
  ResponseError,
} from "vscode-jsonrpc/node";
import { StreamMessageWriter } from "vscode-jsonrpc/node";
import { ignoreInterruptsWhileAttached } from "../lifecycle";
import { configureLog, log, routeAzureSdkLog } from "../log";
import { BridgeErrorCodes, ErrorData } from "../protocol";
import { VERSION } from "../version";
import { toResponseError } from "./errors";
import { loadAllServices, METHODS } from "./methods";
import { Notifier, runForRequest } from "./notify";
import { parseParams } from "./params";
import { FramedMessageReader } from "./reader";

/** For the build's code cache (src/build/sea.cjs): load what calls will load, without serving. */
export const warmUp = loadAllServices;
import { claimStdout } from "./stdio";

const jsonRpcLogger: Logger = {
  error: (m) => log().error(m),
  warn: (m) => log().warning(m),
  info: (m) => log().info(m),
  log: (m) => log().verbose(m),
};

function cancelled(): ResponseError<unknown> {
  return new ResponseError(BridgeErrorCodes.RequestCancelled, "The request was cancelled.", {
    category: "OperationStopped",
    errorId: "RequestCancelled",
  });
}

/** A method name as it may appear in a message or a log line: at most 100 characters, printable. */
function shown(method: string): string {
  const clean = method.replace(/[^\x20-\x7e]/g, "?");
  return clean.length > 100 ? `${clean.slice(0, 100)}…` : clean;
}

/** Requests in flight, for the log's one line per request: id → method and start time. */
class RequestLog {
  private readonly inFlight = new Map<string, { method: string; start: number }[]>();
  private static key(id: string | number): string {
    return `${typeof id}:${id}`;
  }
  started(id: string | number, method: string): void {
    if (!log().enabled("verbose")) return;
    const k = RequestLog.key(id);
    const list = this.inFlight.get(k) ?? [];
    list.push({ method, start: performance.now() });
    this.inFlight.set(k, list);
  }
  answered(message: Message): void {
    const m = message as { id?: string | number | null; error?: { code: number; data?: ErrorData } };
    if (m.id === undefined || m.id === null || !log().enabled("verbose")) return;
    const k = RequestLog.key(m.id);
    const list = this.inFlight.get(k);
    const entry = list?.shift();
    if (!entry) return;
    if (!list!.length) this.inFlight.delete(k);
    const ms = (performance.now() - entry.start).toFixed(0);
    const outcome = m.error ? `error ${m.error.code}${m.error.data?.errorId ? ` ${m.error.data.errorId}` : ""}` : "ok";
    log().verbose(`request ${JSON.stringify(m.id).slice(0, 40)} ${shown(entry.method)}: ${outcome} in ${ms} ms`);
  }
}

export function startServer(): MessageConnection {
  const out = claimStdout();
  configureLog();
  routeAzureSdkLog(AzureSdkLogger);
  process.on("uncaughtException", (e) => {
    log().error(`uncaught exception, exiting: ${e?.stack ?? e}`);
    process.exit(1);
  });

  const requests = new RequestLog();
  const writer = new StreamMessageWriter(out);
  const write = writer.write.bind(writer);
  writer.write = (message: Message) => {
    requests.answered(message);
    return write(message);
  };
  const reader = new FramedMessageReader(process.stdin, {
    reject: (r) => {
      log().warning(`answered ${r.code} to a message${r.id === null ? "" : ` with id ${JSON.stringify(r.id).slice(0, 40)}`}: ${r.message}`);
      write({ jsonrpc: "2.0", id: r.id, error: { code: r.code, message: r.message } } as Message).catch(() => undefined);
    },
    ignored: (reason) => log().warning(`ignored a message: ${reason}`),
    request: (id, method) => requests.started(id, method),
  });
  // The request id behind each handler's cancellation token (see the top of this file).
  const requestIds = new WeakMap<CancellationToken, number | string>();
  const connection = createMessageConnection(reader, writer, jsonRpcLogger, {
    cancellationStrategy: {
      receiver: {
        kind: "request",
        createCancellationTokenSource(request: RequestMessage): AbstractCancellationTokenSource {
          const source = new CancellationTokenSource();
          if (request.id !== null) requestIds.set(source.token, request.id);
          return source;
        },
      },
      sender: CancellationSenderStrategy.Message,
    },
  });
  connection.onError(([e]) => log().error(`transport: ${e?.message ?? e}`));

  const handlers = new Map(METHODS.map((m) => [m.type.method, m.handler]));
  // One handler for every method: it gets the params as they came (vscode-jsonrpc would spread an
  // array over the arguments and refuse absent params with a message of its own), checks them
  // against the method's shape, and only then calls the method's handler.
  connection.onRequest(async (method: string, params: unknown, token: CancellationToken) => {
    const handler = handlers.get(method);
    if (!handler) throw new ResponseError(ErrorCodes.MethodNotFound, `Method not found: '${shown(method)}'.`);
    const checked = parseParams(method, params);
    const abort = new AbortController();
    const sub = token.onCancellationRequested(() => abort.abort());
    const id = requestIds.get(token);
    const notify = new Notifier(id ?? 0, (m, p) => void connection.sendNotification(m, p).catch(() => undefined));
    if (id === undefined) notify.close();
    try {
      if (token.isCancellationRequested) throw cancelled();
      const trace = (checked as { context?: { trace?: boolean } }).context?.trace === true;
      return await runForRequest(notify, trace, () => handler(checked, abort.signal, notify));
    } catch (e) {
      if (token.isCancellationRequested) throw cancelled();
      throw toResponseError(e);
    } finally {
      notify.close();
      sub.dispose();
    }
  });

  ignoreInterruptsWhileAttached();
  const exit = () => {
    log().info("stdin closed: exiting");
    process.exit(0);
  };
  connection.onClose(exit);
  process.stdin.on("end", exit);
  connection.listen();
  log().info(
    `server ${VERSION} started: pid ${process.pid}, Node ${process.version}, log level ${log().level}${log().file ? `, log file ${log().file}` : ""}`,
  );
  return connection;
}
