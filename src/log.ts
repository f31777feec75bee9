/**
 * The server's log. Never on stdout (that is the protocol): on stderr, which the module drains and
 * keeps the last lines of for its error messages, and, when AZTOKENBRIDGE_LOG_FILE names a file,
 * appended to it too (created with mode 0600; an existing file others can access, a symbolic link
 * or anything but a regular file of this user is refused, see openLogFile). A problem with these
 * settings is logged at error as "AZTOKENBRIDGE_…: …": the module shows such lines as warnings.
 *
 *   AZTOKENBRIDGE_LOG_LEVEL   error | warning (default) | info | verbose, read when the server starts
 *   AZTOKENBRIDGE_LOG_FILE    a file to append every line to, with a time stamp and the process id
 *
 * What each level adds:
 *   error     failures of the transport itself
 *   warning   malformed messages and what was answered to them
 *   info      server start and exit; the Azure SDK's info and warnings (sign-in chain, retries,
 *             its HTTP requests and responses); msal's warnings
 *   verbose   one line per request (id, method, outcome or error code, duration); the Azure SDK's
 *             verbose log; msal-node's log at its most detailed level, PII logging off.
 * The Azure SDK's HTTP log (@azure/logger, logPolicy) redacts header and query values off its
 * allow list and logs no bodies; query values in any URL of an SDK or msal line are redacted here
 * too (redactUrlQueries).
 *
 * Nothing is ever logged from a request's params or a result (they carry secrets): the request
 * lines name the method and the error code only. Each entry is one line (newlines folded).
 */
import * as fs from "node:fs";
import { format } from "node:util";

export type LogLevel = "error" | "warning" | "info" | "verbose";
const RANK: Record<LogLevel, number> = { error: 0, warning: 1, info: 2, verbose: 3 };
export const LOG_LEVELS = Object.keys(RANK) as LogLevel[];

export interface Log {
  readonly level: LogLevel;
  readonly file: string | undefined;
  enabled(level: LogLevel): boolean;
  write(level: LogLevel, message: string): void;
  error(message: string): void;
  warning(message: string): void;
  info(message: string): void;
  verbose(message: string): void;
}

function oneLine(message: string): string {
  return message.replace(/\s*\r?\n\s*/g, " ").trimEnd();
}

function makeLog(level: LogLevel, fd: number | undefined, file: string | undefined): Log {
  const write = (at: LogLevel, message: string) => {
    if (RANK[at] > RANK[level]) return;
    const text = oneLine(message);
    process.stderr.write(`[aztokenbridge] ${at}: ${text}\n`);
    if (fd !== undefined) {
      try {
        fs.writeSync(fd, `${new Date().toISOString()} ${process.pid} ${at}: ${text}\n`);
      } catch {
        /* a full disk must not end the server */
      }
    }
  };
  return {
    level,
    file,
    enabled: (at) => RANK[at] <= RANK[level],
    write,
    error: (m) => write("error", m),
    warning: (m) => write("warning", m),
    info: (m) => write("info", m),
    verbose: (m) => write("verbose", m),
  };
}

let current: Log = makeLog("warning", undefined, undefined);
let currentFd: number | undefined;

/** The server's log (stderr only, at warning, until configureLog runs). */
export function log(): Log {
  return current;
}

/**
 * Opens the log file, refusing one others could read (as ssh refuses a private key file others can
 * read): appended; created 0600 (whatever the umask) when it does not exist. An existing file is
 * used only when it is a regular file (not a symbolic link: O_NOFOLLOW, where the platform has it;
 * not a FIFO or a device), owned by this user, with no permission for group or others. A refused
 * file is closed at once and nothing is written to it; the problem names the file and the reason.
 */
function openLogFile(file: string): { fd?: number; problem?: string } {
  const c = fs.constants;
  const posix = process.platform !== "win32";
  // O_NOFOLLOW: a symbolic link as the last component fails (ELOOP) instead of being followed.
  // O_NONBLOCK: opening a FIFO does not wait for a reader (it is refused below).
  const noFollow = posix ? (c.O_NOFOLLOW ?? 0) | (c.O_NONBLOCK ?? 0) : 0;
  const refused = (reason: string) => ({
    problem: `AZTOKENBRIDGE_LOG_FILE: refused the log file ${file}: ${reason}. Nothing is logged to it; the log goes to stderr only.`,
  });
  let fd: number | undefined;
  try {
    let created = false;
    if (!posix) {
      // No O_NOFOLLOW on Windows: refuse a link found before the open (best effort).
      const st = fs.lstatSync(file, { throwIfNoEntry: false });
      if (st?.isSymbolicLink()) return refused("it is a symbolic link");
    }
    try {
      fd = fs.openSync(file, c.O_WRONLY | c.O_APPEND | c.O_CREAT | c.O_EXCL | noFollow, 0o600);
      created = true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      fd = fs.openSync(file, c.O_WRONLY | c.O_APPEND | noFollow);
    }
    if (created) {
      if (posix) fs.fchmodSync(fd, 0o600);
      return { fd };
    }
    const st = fs.fstatSync(fd);
    let reason: string | undefined;
    if (!st.isFile()) reason = "it is not a regular file";
    else if (posix) {
      const uid = process.getuid?.();
      const mode = st.mode & 0o777;
      if (uid !== undefined && st.uid !== uid) reason = `it is owned by another user (uid ${st.uid}), not by this one (uid ${uid})`;
      else if ((mode & 0o077) !== 0) {
        reason = `its mode is ${mode.toString(8).padStart(3, "0")}: others than its owner can access it (make it private with chmod 600, or name a new file)`;
      }
    }
    if (reason !== undefined) {
      fs.closeSync(fd);
      return refused(reason);
    }
    return { fd };
  } catch (e) {
    if (fd !== undefined) fs.closeSync(fd);
    const code = (e as NodeJS.ErrnoException).code;
    // Linux says ELOOP for a link under O_NOFOLLOW; some BSDs say EMLINK.
    if (posix && (code === "ELOOP" || code === "EMLINK")) return refused("it is a symbolic link");
    if (code === "ENXIO") return refused("it is not a regular file");
    return { problem: `AZTOKENBRIDGE_LOG_FILE: cannot open the log file ${file}: ${(e as Error).message}. The log goes to stderr only.` };
  }
}

/** Reads AZTOKENBRIDGE_LOG_LEVEL and AZTOKENBRIDGE_LOG_FILE (the server's environment at start). */
export function configureLog(env: NodeJS.ProcessEnv = process.env): Log {
  const problems: string[] = [];
  const asked = (env.AZTOKENBRIDGE_LOG_LEVEL ?? "").trim().toLowerCase();
  let level: LogLevel = "warning";
  if (asked !== "") {
    if ((LOG_LEVELS as string[]).includes(asked)) level = asked as LogLevel;
    else problems.push(`AZTOKENBRIDGE_LOG_LEVEL '${env.AZTOKENBRIDGE_LOG_LEVEL}' is not one of ${LOG_LEVELS.join(", ")}; using warning`);
  }
  const file = env.AZTOKENBRIDGE_LOG_FILE?.trim() || undefined;
  let fd: number | undefined;
  if (file) {
    const opened = openLogFile(file);
    fd = opened.fd;
    if (opened.problem) problems.push(opened.problem);
  }
  if (currentFd !== undefined) fs.closeSync(currentFd);
  currentFd = fd;
  current = makeLog(level, fd, fd === undefined ? undefined : file);
  // At error, shown at every level. The module shows lines about AZTOKENBRIDGE_* settings to the
  // user as warnings (module/Private/Processes.ps1).
  for (const p of problems) current.error(p);
  return current;
}

/**
 * @azure/logger's levels are ours (the namespace of an SDK line ends with its level), except its
 * warnings, which are about how the SDK is used ("The baseUri option … has been deprecated" at
 * every ARM client): info here, so that the default level keeps stderr quiet.
 */
function sdkLevel(first: unknown): LogLevel {
  const m = /^azure:[^ ]*:(error|warning|info|verbose)\b/.exec(String(first));
  const level = (m?.[1] as LogLevel | undefined) ?? "verbose";
  return level === "warning" ? "info" : level;
}

const ALLOWED_QUERY = new Set(["api-version"]);
const URL_WITH_QUERY = /(https?:\/\/[^\s"'<>?#]*\?)([^\s"'<>#]*)/g;

/**
 * Query values of every URL in a line, except api-version, replaced by REDACTED: the SDK's own
 * sanitizer does this for the request line, but not everywhere (core-lro's verbose log prints an
 * operation's status URL whole, and ARM signs those: `&s=<signature>&h=<hash>`).
 */
export function redactUrlQueries(text: string): string {
  return text.replace(URL_WITH_QUERY, (_all, base: string, query: string) =>
    base +
    query
      .split("&")
      .map((pair) => {
        const eq = pair.indexOf("=");
        if (eq < 0) return pair;
        const name = pair.slice(0, eq);
        return ALLOWED_QUERY.has(name.toLowerCase()) ? pair : `${name}=REDACTED`;
      })
      .join("&"),
  );
}

/**
 * Routes the Azure SDK's log (@azure/logger, shared by core-rest-pipeline, identity and the ARM
 * clients) into this log, at this log's level. Its logPolicy already redacts every header and
 * query value not on its allow list (Authorization, cookies, keys: "REDACTED") and logs no bodies.
 */
export function routeAzureSdkLog(azureLogger: { AzureLogger: { log: (...args: unknown[]) => void }; setLogLevel(level?: LogLevel): void }): void {
  azureLogger.AzureLogger.log = (...args: unknown[]) => {
    const level = sdkLevel(args[0]);
    if (current.enabled(level)) current.write(level, redactUrlQueries(format(...args)));
  };
  azureLogger.setLogLevel(current.level);
}

/** msal-node's LogLevel enum (passed in, so that this file does not load msal). */
export interface MsalLogLevels {
  Error: number;
  Warning: number;
  Info: number;
  Verbose: number;
  Trace: number;
}

/**
 * loggerOptions for an msal-node app: its log at this log's level (at verbose, msal's Trace, its
 * most detailed; its warnings at info), PII logging off, and any line msal flags as holding PII
 * dropped all the same.
 */
export function msalLoggerOptions(levels: MsalLogLevels): {
  logLevel: number;
  piiLoggingEnabled: false;
  loggerCallback: (level: number, message: string, containsPii: boolean) => void;
} {
  // msal's warnings are notices about normal answers ("No client info in response" on every
  // client-credentials token): info here, so that the default level keeps stderr quiet.
  const ours: Record<number, LogLevel> = {
    [levels.Error]: "error",
    [levels.Warning]: "info",
    [levels.Info]: "info",
    [levels.Verbose]: "verbose",
    [levels.Trace]: "verbose",
  };
  const level = current.level;
  const logLevel = { error: levels.Error, warning: levels.Error, info: levels.Info, verbose: levels.Trace }[level];
  return {
    logLevel,
    piiLoggingEnabled: false,
    loggerCallback: (at, message, containsPii) => {
      if (containsPii) return;
      const level = ours[at] ?? "verbose";
      if (current.enabled(level)) current.write(level, `msal: ${redactUrlQueries(message)}`);
    },
  };
}
