/**
 * Turning failures into protocol errors. Handlers throw BridgeError (or let SDK errors escape);
 * toResponseError() maps everything to a ResponseError whose `data` is an ErrorData, so the
 * module can build an ErrorRecord with the service's code, message and request id.
 */
import { ResponseError } from "vscode-jsonrpc";
import { BridgeErrorCodes, ErrorCategoryName, ErrorData, ErrorDetail } from "../protocol";

export class BridgeError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data: ErrorData,
  ) {
    super(message);
    this.name = "BridgeError";
  }
}

/**
 * Control characters (C0, DEL, C1) as `\u001b` …, so that input quoted in a message cannot drive
 * the terminal that shows it (ESC sequences clear the screen, set the title, fake colours).
 * `keepLineBreaks`: leave "\n" (and "\r\n", "\t") alone, for messages made of several lines.
 */
export function escapeControl(text: string, keepLineBreaks = false): string {
  const pattern = keepLineBreaks ? /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g : /[\u0000-\u001f\u007f-\u009f]/g;
  return text.replace(pattern, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** Input quoted in a message: `'value'`, control characters escaped (escapeControl). Every message that quotes input uses it. */
export function quote(value: unknown): string {
  return `'${escapeControl(String(value ?? ""))}'`;
}

/** Input the service would reject: refused before any network call. */
export function invalidInput(errorId: string, target: string, message: string): BridgeError {
  return new BridgeError(BridgeErrorCodes.InvalidInput, message, { category: "InvalidArgument", errorId, target });
}

/** PowerShell category for an HTTP status, as the Az modules map them. */
export function categoryForStatus(status: number | undefined): ErrorCategoryName {
  switch (status) {
    case 400:
      return "InvalidArgument";
    case 401:
      return "AuthenticationError";
    case 403:
      return "PermissionDenied";
    case 404:
      return "ObjectNotFound";
    case 409:
      return "ResourceExists";
    case 412:
      return "InvalidOperation";
    case 429:
      return "LimitsExceeded";
    default:
      if (status !== undefined && status >= 500) return "ResourceUnavailable";
      return "NotSpecified";
  }
}

interface RestErrorLike {
  name?: string;
  message: string;
  code?: string;
  statusCode?: number;
  request?: { requestId?: string };
  response?: { headers?: { get(name: string): string | undefined }; bodyAsText?: string | null };
  details?: unknown;
}

function isRestError(e: unknown): e is RestErrorLike {
  return typeof e === "object" && e !== null && (e as { name?: string }).name === "RestError";
}

/** The `{error:{code,message,details}}` envelope from a RestError, however the SDK kept it. */
/**
 * Error answers' bodies by request, kept by a pipeline policy (src/azure/retry.ts
 * errorBodyPolicy): the ARM SDKs' pagers throw a RestError that carries neither the body nor its
 * message ("Pagination failed with unexpected statusCode 404"), only the request.
 */
const errorBodies = new WeakMap<object, string>();

export function rememberErrorBody(request: object, body: string): void {
  errorBodies.set(request, body);
}

function serviceEnvelope(e: RestErrorLike): { code?: string; message?: string; details?: ErrorDetail[] } {
  const fromBody = (body: unknown) => {
    const err = (body as { error?: Record<string, unknown> } | undefined)?.error;
    if (!err || typeof err !== "object") return undefined;
    const details = Array.isArray(err.details)
      ? (err.details as Record<string, unknown>[]).map((d) => ({
          code: d.code as string | undefined,
          message: d.message as string | undefined,
          target: d.target as string | undefined,
        }))
      : undefined;
    return { code: err.code as string | undefined, message: err.message as string | undefined, details };
  };
  let env = fromBody(e.details);
  const text = e.response?.bodyAsText ?? (e.request ? errorBodies.get(e.request) : undefined);
  if (!env && text) {
    try {
      env = fromBody(JSON.parse(text));
    } catch {
      /* not JSON: fall back to the RestError's own fields */
    }
  }
  return env ?? { code: e.code, message: e.message };
}

/**
 * @azure/identity's failures. A refusal by Entra ID (wrong secret, unknown app) reaches us as
 * AuthenticationRequiredError wrapping MSAL's ServerError: identity maps every MSAL error it has
 * no special case for to that class.
 */
const IDENTITY_ERRORS = new Set([
  "AuthenticationError",
  "AuthenticationRequiredError",
  "CredentialUnavailableError",
  "AggregateAuthenticationError",
]);

/**
 * Network-level failure codes from Node, TLS and core-rest-pipeline (REQUEST_SEND_ERROR wraps a
 * socket error), as an error's code or in its message. src/azure/retry.ts connectionFailure says
 * each in words.
 */
const NETWORK =
  /\b(ECONNREFUSED|ECONNRESET|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|EAI_NODATA|EAI_NONAME|EHOSTUNREACH|ENETUNREACH|EPIPE|EPROTO|REQUEST_SEND_ERROR|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_GET_ISSUER_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_WRONG_VERSION_NUMBER)\b/;

/** core-rest-pipeline's wrapper code: it says only that sending failed, so a socket code under it wins. */
const SEND_ERROR = "REQUEST_SEND_ERROR";

/**
 * A network failure code anywhere in an error, its causes or its message: the first specific one
 * (ENOTFOUND, SELF_SIGNED_CERT_IN_CHAIN, …), else REQUEST_SEND_ERROR when only that is there.
 */
export function networkCode(e: unknown): string | undefined {
  let generic: string | undefined;
  const visit = (x: unknown, depth: number): string | undefined => {
    if (!x || typeof x !== "object" || depth > 4) return undefined;
    const err = x as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    const fromCode = typeof err.code === "string" && NETWORK.test(err.code) ? err.code : undefined;
    const fromMessage = typeof err.message === "string" ? NETWORK.exec(err.message)?.[1] : undefined;
    for (const c of [fromCode, fromMessage]) {
      if (c === SEND_ERROR) generic ??= c;
      else if (c) return c;
    }
    if (Array.isArray(err.errors)) {
      for (const y of err.errors) {
        const c = visit(y, depth + 1);
        if (c) return c;
      }
    }
    return visit(err.cause, depth + 1);
  };
  return visit(e, 0) ?? generic;
}

/** Entra ID's own error code (AADSTS7000215, …) in a message, if any. */
export function entraErrorCode(message: string | undefined): string | undefined {
  return /\bAADSTS\d+\b/.exec(message ?? "")?.[0];
}

/** Longest error message sent: a message quoting a huge input (a 1 MiB user id) is cut. */
export const MAX_MESSAGE_LENGTH = 4096;

function clip(message: string): string;
function clip(message: string | undefined): string | undefined;
function clip(message: string | undefined): string | undefined {
  if (message === undefined || message.length <= MAX_MESSAGE_LENGTH) return message;
  return `${message.slice(0, MAX_MESSAGE_LENGTH - 100)}… (cut: the message had ${message.length} characters)`;
}

/**
 * Every error the server sends: control characters escaped in its messages (a service's message or a
 * library's may quote input too; line breaks are kept), then cut at MAX_MESSAGE_LENGTH.
 */
export function toResponseError(e: unknown): ResponseError<ErrorData> {
  const r = toResponseErrorUncut(e);
  const safe = (m: string | undefined) => (m === undefined ? undefined : clip(escapeControl(m, true)));
  const message = safe(r.message) ?? "";
  const data = r.data && {
    ...r.data,
    serviceMessage: safe(r.data.serviceMessage),
    details: r.data.details?.map((d) => ({ ...d, code: safe(d.code), message: safe(d.message), target: safe(d.target) })),
  };
  if (data && data.serviceMessage === undefined) delete data.serviceMessage;
  if (data && data.details === undefined) delete data.details;
  if (message === r.message && JSON.stringify(data) === JSON.stringify(r.data)) return r;
  return new ResponseError(r.code, message, data);
}

function toResponseErrorUncut(e: unknown): ResponseError<ErrorData> {
  if (e instanceof ResponseError) return e as ResponseError<ErrorData>;
  if (e instanceof BridgeError) return new ResponseError(e.code, e.message, e.data);

  if (isRestError(e) && e.statusCode !== undefined) {
    const env = serviceEnvelope(e);
    const requestId = e.response?.headers?.get("x-ms-request-id");
    const data: ErrorData = {
      category: categoryForStatus(e.statusCode),
      errorId: env.code ?? `Http${e.statusCode}`,
      statusCode: e.statusCode,
      serviceCode: env.code,
      serviceMessage: env.message,
      requestId,
      details: env.details?.length ? env.details : undefined,
    };
    return new ResponseError(BridgeErrorCodes.ServiceError, env.message ?? e.message, data);
  }

  const err = e as { name?: string; message?: string; code?: string };
  if (err?.name !== undefined && IDENTITY_ERRORS.has(err.name)) {
    // Entra ID's own code (AADSTS7000215, …) when the identity provider refused.
    const aadsts = entraErrorCode(err.message);
    return new ResponseError(BridgeErrorCodes.AuthenticationFailed, err.message ?? "Authentication failed.", {
      category: "AuthenticationError",
      errorId: aadsts ?? err.name,
      serviceCode: aadsts,
    });
  }
  if (err?.name === "AbortError") {
    return new ResponseError(BridgeErrorCodes.RequestCancelled, "The request was cancelled.", {
      category: "OperationStopped",
      errorId: "RequestCancelled",
    });
  }
  const net = networkCode(e);
  if (net) {
    return new ResponseError(BridgeErrorCodes.NetworkError, err.message ?? String(e), {
      category: "ConnectionError",
      errorId: net,
    });
  }
  return new ResponseError(BridgeErrorCodes.Internal, err?.message ?? String(e), {
    category: "NotSpecified",
    errorId: "InternalError",
  });
}
