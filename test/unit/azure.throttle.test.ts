/** The ARM throttle (src/azure/throttle.ts): its key, Retry-After reading and holds (clock passed in). */
import {
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  HttpClient,
  PipelineRequest,
  PipelineResponse,
} from "@azure/core-rest-pipeline";
import { RETRY } from "../../src/azure/retry";
import { clearThrottleHolds, heldFor, holdUntil, MAX_RETRY_AFTER_MS, retryAfterMs, throttleKey, throttlePolicies } from "../../src/azure/throttle";
import { configureLog } from "../../src/log";

const headers = (h: Record<string, string>) => ({ get: (n: string) => h[n.toLowerCase()] });

afterEach(() => clearThrottleHolds());

test("one key per scheme, host and subscription (case-insensitive), whatever the rest of the path", () => {
  const a = throttleKey("https://management.azure.com/subscriptions/9E22/resourceGroups/x/providers/y?api-version=1");
  expect(a).toBe("https://management.azure.com/subscriptions/9e22");
  expect(throttleKey("https://Management.Azure.com/subscriptions/9e22/other")).toBe(a);
  expect(throttleKey("https://management.azure.com/subscriptions/other-sub/x")).not.toBe(a);
  expect(throttleKey("https://127.0.0.1:4443/subscriptions/9e22/x")).toBe("https://127.0.0.1:4443/subscriptions/9e22");
  expect(throttleKey("https://management.azure.com/providers/Microsoft.Resources/operations")).toBe("https://management.azure.com");
});

test("Retry-After: milliseconds headers first, then seconds or an HTTP date; none or unreadable: undefined", () => {
  expect(retryAfterMs(headers({ "retry-after": "2" }))).toBe(2000);
  expect(retryAfterMs(headers({ "retry-after": "2", "retry-after-ms": "150" }))).toBe(150);
  expect(retryAfterMs(headers({ "x-ms-retry-after-ms": "300" }))).toBe(300);
  const now = Date.parse("2026-01-01T00:00:00Z");
  expect(retryAfterMs(headers({ "retry-after": "Thu, 01 Jan 2026 00:00:05 GMT" }), now)).toBe(5000);
  expect(retryAfterMs(headers({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }), now)).toBe(0);
  expect(retryAfterMs(headers({}))).toBeUndefined();
  expect(retryAfterMs(headers({ "retry-after": "soon" }))).toBeUndefined();
});

test("a hold lasts until its time; the later of two holds wins; an expired hold is forgotten", () => {
  holdUntil("k", 1000);
  holdUntil("k", 800);
  expect(heldFor("k", 500)).toBe(500);
  holdUntil("k", 1500);
  expect(heldFor("k", 500)).toBe(1000);
  expect(heldFor("other", 500)).toBe(0);
  expect(heldFor("k", 1500)).toBe(0);
  holdUntil("k", 1200);
  expect(heldFor("k", 1000)).toBe(200);
});

// ----- the policies in a real pipeline (issue R, item 6) ----------------------------------------


const SUB = "https://arm.test/subscriptions/9e22";

/** A fake service: answers each request with the next of `script`'s answers for its path (200 when none is left). */
function fakeService(script: Record<string, Array<{ status: number; headers?: Record<string, string> }>>) {
  const sent: Array<{ path: string; at: number }> = [];
  const client: HttpClient = {
    async sendRequest(request: PipelineRequest): Promise<PipelineResponse> {
      const path = new URL(request.url).pathname.replace(/^\/subscriptions\/9e22/, "");
      sent.push({ path, at: Date.now() });
      const next = script[path]?.shift() ?? { status: 200 };
      return { request, status: next.status, headers: createHttpHeaders(next.headers ?? {}), bodyAsText: JSON.stringify({ error: { code: "TooManyRequests", message: "slow down" } }) };
    },
  };
  return { client, sent };
}

/** A pipeline as an ARM client has it: the SDK's retry policies with RETRY and throttlePolicies() in their places. */
function armPipeline(maxRetries: number = RETRY.maxRetries) {
  const pipeline = createPipelineFromOptions({ retryOptions: { ...RETRY, maxRetries } });
  for (const { policy, position } of throttlePolicies()) pipeline.addPolicy(policy, { afterPhase: position === "perRetry" ? "Sign" : undefined });
  return pipeline;
}

function send(pipeline: ReturnType<typeof createEmptyPipeline>, client: HttpClient, path: string, abortSignal?: AbortSignal) {
  return pipeline.sendRequest(client, createPipelineRequest({ url: `${SUB}${path}?api-version=1`, method: "GET", abortSignal }));
}

const until = async (cond: () => boolean, ms = 5000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe("holds in a pipeline", () => {
  test("a held request goes on when the throttled call is cancelled: it waits for nobody", async () => {
    const { client, sent } = fakeService({ "/a": [{ status: 429, headers: { "retry-after": "60" } }] });
    const pipeline = armPipeline();
    const ac = new AbortController();
    const a = send(pipeline, client, "/a", ac.signal);
    await until(() => sent.length === 1);
    const t0 = Date.now();
    const b = send(pipeline, client, "/b");
    await new Promise((r) => setTimeout(r, 200));
    expect(sent.map((x) => x.path)).toEqual(["/a"]); // /b is held by /a's 429
    ac.abort();
    await expect(a).rejects.toMatchObject({ name: "AbortError" });
    expect((await b).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(heldFor(throttleKey(`${SUB}/x`))).toBe(0);
  }, 10_000);

  test("a held request goes on when the throttled call ends (its retries used up)", async () => {
    const { client, sent } = fakeService({ "/a": [{ status: 429, headers: { "retry-after": "60" } }] });
    const pipeline = armPipeline(0);
    const a = await send(pipeline, client, "/a");
    expect(a.status).toBe(429);
    const t0 = Date.now();
    expect((await send(pipeline, client, "/b")).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(sent.map((x) => x.path)).toEqual(["/a", "/b"]);
  }, 10_000);

  test("while the throttled call waits its Retry-After, others to the same host and subscription wait too, and are logged at verbose", async () => {
    const lines: string[] = [];
    const spy = jest.spyOn(process.stderr, "write").mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
    try {
      configureLog({ AZTOKENBRIDGE_LOG_LEVEL: "verbose" });
      const { client, sent } = fakeService({ "/a": [{ status: 429, headers: { "retry-after": "1" } }] });
      const pipeline = armPipeline();
      const a = send(pipeline, client, "/a");
      await until(() => sent.length === 1);
      const b = send(pipeline, client, "/b");
      const other = pipeline.sendRequest(client, createPipelineRequest({ url: "https://arm.test/subscriptions/other/c", method: "GET" }));
      expect((await other).status).toBe(200);
      expect((await a).status).toBe(200);
      expect((await b).status).toBe(200);
      const at = (p: string) => sent.filter((x) => x.path === p).map((x) => x.at);
      expect(at("/b")[0] - at("/a")[0]).toBeGreaterThanOrEqual(900);
      expect(at("/subscriptions/other/c")[0] - at("/a")[0]).toBeLessThan(500);
      const log = lines.join("");
      expect(log).toMatch(/verbose: throttle: GET https:\/\/arm\.test\/subscriptions\/9e22\/a: 429 with Retry-After 1\.0 s; requests to https:\/\/arm\.test\/subscriptions\/9e22 wait until then/);
      expect(log).toMatch(/verbose: throttle: GET https:\/\/arm\.test\/subscriptions\/9e22\/b waits up to (0\.\d|1\.0) s before it is sent: https:\/\/arm\.test\/subscriptions\/9e22 answered 429 to another request and asked to retry after 1\.0 s/);
      expect(log).toMatch(/verbose: throttle: GET https:\/\/arm\.test\/subscriptions\/9e22\/b waited \d\.\d s; sending it/);
      expect(log).not.toMatch(/api-version/);
    } finally {
      spy.mockRestore();
      configureLog({});
    }
  }, 10_000);

  test.each([
    ["retry-after", "86400"],
    ["retry-after", "121"],
    ["retry-after-ms", String(MAX_RETRY_AFTER_MS + 1)],
  ])("a Retry-After over 120 s (%s: %s) is not waited: the 429 is the answer at once, nobody is held", async (name, value) => {
    const { client, sent } = fakeService({ "/a": [{ status: 429, headers: { [name]: value } }] });
    const pipeline = armPipeline();
    const t0 = Date.now();
    const a = await send(pipeline, client, "/a");
    expect(a.status).toBe(429);
    expect(sent).toHaveLength(1);
    expect((await send(pipeline, client, "/b")).status).toBe(200);
    expect(Date.now() - t0).toBeLessThan(1000);
  }, 10_000);

  test("a Retry-After of exactly 120 s is still honoured (a hold while the call waits)", async () => {
    const { client, sent } = fakeService({ "/a": [{ status: 429, headers: { "retry-after": "120" } }] });
    const pipeline = armPipeline();
    const ac = new AbortController();
    const a = send(pipeline, client, "/a", ac.signal);
    await until(() => sent.length === 1);
    expect(heldFor(throttleKey(`${SUB}/a`))).toBeGreaterThan(119_000);
    ac.abort();
    await expect(a).rejects.toMatchObject({ name: "AbortError" });
    expect(heldFor(throttleKey(`${SUB}/a`))).toBe(0);
  }, 10_000);
});
