/**
 * The server's log (src/log.ts): levels, the file (0600, appended), the Azure SDK and msal routes
 * and the redaction of URL query values.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { configureLog, log, msalLoggerOptions, redactUrlQueries, routeAzureSdkLog } from "../../src/log";

let dir: string;
let stderr: string[];
let spy: jest.SpyInstance;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-logtest-"));
  stderr = [];
  spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
    stderr.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  spy.mockRestore();
  configureLog({});
  fs.rmSync(dir, { recursive: true, force: true });
});

test("default level is warning, on stderr only", () => {
  const l = configureLog({});
  expect(l.level).toBe("warning");
  l.verbose("v");
  l.info("i");
  l.warning("w\nsecond line");
  l.error("e");
  expect(stderr).toEqual(["[aztokenbridge] warning: w second line\n", "[aztokenbridge] error: e\n"]);
});

test("an unknown level is reported and warning used", () => {
  expect(configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "loud" }).level).toBe("warning");
  expect(stderr.join("")).toMatch(/AZTOKENBRIDGE_LOG_LEVEL 'loud' is not one of error, warning, info, verbose/);
  expect(configureLog({ AZTOKENBRIDGE_LOG_LEVEL: " Verbose " }).level).toBe("verbose");
});

test("the log file is created 0600 (whatever the umask) and appended to, with time and pid", () => {
  const file = path.join(dir, "server.log");
  const old = process.umask(0o000);
  try {
    configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "info", AZTOKENBRIDGE_LOG_FILE: file }).info("first");
  } finally {
    process.umask(old);
  }
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "error", AZTOKENBRIDGE_LOG_FILE: file });
  log().warning("not written");
  log().error("second");
  const lines = fs.readFileSync(file, "utf8").trim().split("\n");
  expect(lines).toHaveLength(2);
  expect(lines[0]).toMatch(new RegExp(`^\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z ${process.pid} info: first$`));
  expect(lines[1]).toMatch(/ error: second$/);
});

test("an unusable path falls back to stderr, with an error naming the file", () => {
  const l = configureLog({ AZTOKENBRIDGE_LOG_FILE: path.join(dir, "no", "such", "dir.log") });
  expect(l.file).toBeUndefined();
  expect(stderr.join("")).toMatch(/\[aztokenbridge\] error: AZTOKENBRIDGE_LOG_FILE: cannot open the log file .*dir\.log.*stderr only/);
});

describe("an existing log file others could read is refused, as ssh refuses such a key file", () => {
  const refusal = (file: string, reason: RegExp) =>
    new RegExp(`\\[aztokenbridge\\] error: AZTOKENBRIDGE_LOG_FILE: refused the log file ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: ${reason.source}.*Nothing is logged to it`);

  test.each(["644", "640", "604", "620", "602", "610", "666"])("mode %s: nothing written, the file unchanged, an error naming it and its mode", (octal) => {
    const mode = parseInt(octal, 8);
    const file = path.join(dir, "open.log");
    fs.writeFileSync(file, "before\n");
    fs.chmodSync(file, mode);
    const l = configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: file });
    l.error("secret-free but private line");
    expect(l.file).toBeUndefined();
    expect(fs.readFileSync(file, "utf8")).toBe("before\n");
    expect(fs.statSync(file).mode & 0o777).toBe(mode);
    expect(stderr.join("")).toMatch(refusal(file, new RegExp(`its mode is ${mode.toString(8)}: others than its owner can access it`)));
  });

  test("a symbolic link (to a private file, or dangling) is not followed", () => {
    const target = path.join(dir, "target.log");
    fs.writeFileSync(target, "", { mode: 0o600 });
    const link = path.join(dir, "link.log");
    fs.symlinkSync(target, link);
    const l = configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "verbose", AZTOKENBRIDGE_LOG_FILE: link });
    l.error("line");
    expect(l.file).toBeUndefined();
    expect(fs.readFileSync(target, "utf8")).toBe("");
    expect(stderr.join("")).toMatch(refusal(link, /it is a symbolic link/));

    const dangling = path.join(dir, "dangling.log");
    fs.symlinkSync(path.join(dir, "made-through-the-link.log"), dangling);
    stderr.length = 0;
    expect(configureLog({ AZTOKENBRIDGE_LOG_FILE: dangling }).file).toBeUndefined();
    expect(fs.existsSync(path.join(dir, "made-through-the-link.log"))).toBe(false);
    expect(stderr.join("")).toMatch(/refused the log file .*dangling\.log: it is a symbolic link/);
  });

  test("a FIFO is refused without waiting for a reader", () => {
    const fifo = path.join(dir, "fifo.log");
    require("node:child_process").execFileSync("mkfifo", [fifo]);
    fs.chmodSync(fifo, 0o600);
    expect(configureLog({ AZTOKENBRIDGE_LOG_FILE: fifo }).file).toBeUndefined();
    expect(stderr.join("")).toMatch(refusal(fifo, /it is not a regular file/));
  });

  test("an existing private (0600) file is appended to", () => {
    const file = path.join(dir, "private.log");
    fs.writeFileSync(file, "before\n", { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    const l = configureLog({ AZTOKENBRIDGE_LOG_FILE: file });
    expect(l.file).toBe(file);
    l.error("after");
    expect(fs.readFileSync(file, "utf8")).toMatch(/^before\n.* error: after\n$/);
    expect(stderr.join("")).not.toMatch(/refused/);
  });
});

test("Azure SDK lines are routed at their level (warnings at info), with URL query values redacted", () => {
  const fake = { AzureLogger: { log: (..._a: unknown[]) => undefined }, setLogLevel: jest.fn() };
  configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "info" });
  routeAzureSdkLog(fake);
  expect(fake.setLogLevel).toHaveBeenCalledWith("info");
  fake.AzureLogger.log("azure:core-lro:verbose op %s", "x");
  fake.AzureLogger.log("azure:core-client:warning The baseUri option is deprecated");
  fake.AzureLogger.log("azure:identity:info GET https://h/op?api-version=1&s=SIGNATURE&h=HASH done");
  expect(stderr).toEqual([
    "[aztokenbridge] info: azure:core-client:warning The baseUri option is deprecated\n",
    "[aztokenbridge] info: azure:identity:info GET https://h/op?api-version=1&s=REDACTED&h=REDACTED done\n",
  ]);
});

test("msal's log: most detailed at verbose, PII never, warnings at info", () => {
  const levels = { Error: 0, Warning: 1, Info: 2, Verbose: 3, Trace: 4 };
  configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "verbose" });
  const o = msalLoggerOptions(levels);
  expect(o).toMatchObject({ logLevel: levels.Trace, piiLoggingEnabled: false });
  o.loggerCallback(levels.Trace, "trace line", false);
  o.loggerCallback(levels.Info, "with pii", true);
  o.loggerCallback(levels.Warning, "No client info in response", false);
  expect(stderr).toEqual(["[aztokenbridge] verbose: msal: trace line\n", "[aztokenbridge] info: msal: No client info in response\n"]);
  configureLog({});
  expect(msalLoggerOptions(levels).logLevel).toBe(levels.Error);
});

test("redactUrlQueries keeps api-version and the rest of the line", () => {
  expect(redactUrlQueries(`'https://a/b?api-version=2023&t=1&c=ccc' and "http://x/?k" end`)).toBe(`'https://a/b?api-version=2023&t=REDACTED&c=REDACTED' and "http://x/?k" end`);
});
