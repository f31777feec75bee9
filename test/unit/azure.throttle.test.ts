/** The ARM throttle (src/azure/throttle.ts): its key, Retry-After reading and holds (clock passed in). */
import { clearThrottleHolds, heldFor, holdUntil, retryAfterMs, throttleKey } from "../../src/azure/throttle";

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
