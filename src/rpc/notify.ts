/**
 * What a handler may tell the client while its request runs (src/protocol.ts, "Notifications"):
 * progress, warnings and trace lines, each sent as a notification whose `requestId` is the
 * request's id. server.ts makes one Notifier per request and closes it when the request is
 * answered: later calls send nothing (a notification must not come after its request's answer).
 *
 * Trace lines are redacted here, whatever the handler put in them: URL query values (signatures)
 * except api-version, and anything shaped like a JWT. Handlers still never put a token, secret,
 * password, refresh token or key in a message.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { redactUrlQueries } from "../log";
import { DebugNotification, ProgressNotification, VerboseNotification, WarningNotification } from "../protocol";

type Send = (method: string, params: object) => void;

/** A JWT (header.payload.signature, base64url), e.g. an access token pasted into a message. */
const JWT = /\beyJ[\w-]{4,}\.[\w-]{4,}\.[\w-]*/g;

/** A trace line as it may be sent: no query values but api-version, no JWTs. */
export function redactTrace(text: string): string {
  return redactUrlQueries(text).replace(JWT, "***");
}

export interface ProgressInfo {
  activity: string;
  status: string;
  currentOperation?: string;
  /** 0–100 (rounded, clamped), or absent. */
  percent?: number;
}

export class Notifier {
  private open = true;
  private lastProgress = "";

  constructor(
    private readonly requestId: number | string,
    private readonly send: Send,
  ) {}

  /** A Write-Progress record; the same record twice in a row is sent once. */
  progress(p: ProgressInfo): void {
    const percent = p.percent === undefined || !Number.isFinite(p.percent) ? undefined : Math.max(0, Math.min(100, Math.round(p.percent)));
    const params = { requestId: this.requestId, activity: p.activity, status: p.status, currentOperation: p.currentOperation, percent };
    const key = JSON.stringify(params);
    if (key === this.lastProgress) return;
    this.lastProgress = key;
    this.emit(ProgressNotification.method, params);
  }

  /** A warning for the user, now (not redacted: handlers write these for the user to act on). */
  warning(message: string): void {
    this.emit(WarningNotification.method, { requestId: this.requestId, message });
  }

  verbose(message: string): void {
    this.emit(VerboseNotification.method, { requestId: this.requestId, message: redactTrace(message) });
  }

  debug(message: string): void {
    this.emit(DebugNotification.method, { requestId: this.requestId, message: redactTrace(message) });
  }

  /** The request is answered: nothing more is sent. */
  close(): void {
    this.open = false;
  }

  private emit(method: string, params: object): void {
    if (!this.open) return;
    try {
      this.send(method, params);
    } catch {
      // The connection is gone: the request's answer will not arrive either.
    }
  }
}

/** For handlers called without a client (unit tests, the build's warm-up): sends nothing. */
export const SILENT: Notifier = (() => {
  const n = new Notifier(0, () => undefined);
  n.close();
  return n;
})();

/**
 * The request a piece of code runs for, wherever it is called from (server.ts runs each handler in
 * it): its Notifier, and whether the client asked for trace lines (CallContext.trace). Lets code
 * far from the handler (a pipeline policy of the Azure SDK) trace the request it serves.
 */
const requestScope = new AsyncLocalStorage<{ notify: Notifier; trace: boolean }>();

export function runForRequest<T>(notify: Notifier, trace: boolean, f: () => T): T {
  return requestScope.run({ notify, trace }, f);
}

/** A verbose line for the current request, when its client asked for trace lines. */
export function traceLine(message: () => string): void {
  const scope = requestScope.getStore();
  if (scope?.trace) scope.notify.verbose(message());
}
