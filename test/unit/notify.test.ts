/**
 * The per-request Notifier (src/rpc/notify.ts): every notification names its request, trace lines
 * are redacted (signed URLs' query values, JWTs), progress is clamped and not repeated, and nothing
 * is sent once the request is answered.
 */
import { DebugNotification, NOTIFICATION_METHODS, ProgressNotification, VerboseNotification, WarningNotification } from "../../src/protocol";
import { Notifier, redactTrace } from "../../src/rpc/notify";

function recording(): { notify: Notifier; sent: Array<{ method: string; params: any }> } { // eslint-disable-line @typescript-eslint/no-explicit-any
  const sent: Array<{ method: string; params: any }> = []; // eslint-disable-line @typescript-eslint/no-explicit-any
  return { notify: new Notifier(42, (method, params) => void sent.push({ method, params })), sent };
}

test("each kind goes out under its declared method, with the request's id", () => {
  const { notify, sent } = recording();
  notify.progress({ activity: "A", status: "S", currentOperation: "C", percent: 12.6 });
  notify.warning("look");
  notify.verbose("v");
  notify.debug("d");
  expect(sent).toEqual([
    { method: ProgressNotification.method, params: { requestId: 42, activity: "A", status: "S", currentOperation: "C", percent: 13 } },
    { method: WarningNotification.method, params: { requestId: 42, message: "look" } },
    { method: VerboseNotification.method, params: { requestId: 42, message: "v" } },
    { method: DebugNotification.method, params: { requestId: 42, message: "d" } },
  ]);
  expect(new Set(sent.map((s) => s.method))).toEqual(new Set(Object.values(NOTIFICATION_METHODS)));
});

test("trace lines are redacted: query values but api-version, and JWTs", () => {
  const jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
  const url = "https://127.0.0.1:1/x/operationStatuses/op?api-version=2023-01-01-preview&t=1&s=secret-signature&h=hash";
  const { notify, sent } = recording();
  notify.verbose(`polling ${url} with ${jwt}`);
  notify.debug(`token ${jwt}`);
  const text = JSON.stringify(sent);
  expect(text).not.toContain("secret-signature");
  expect(text).not.toContain(jwt);
  expect(sent[0].params.message).toBe(
    "polling https://127.0.0.1:1/x/operationStatuses/op?api-version=2023-01-01-preview&t=REDACTED&s=REDACTED&h=REDACTED with ***",
  );
  expect(redactTrace("plain text stays")).toBe("plain text stays");
});

test("progress: percent clamped to 0–100, the same record twice in a row sent once", () => {
  const { notify, sent } = recording();
  notify.progress({ activity: "A", status: "S", percent: 150 });
  notify.progress({ activity: "A", status: "S", percent: 150 });
  notify.progress({ activity: "A", status: "S", percent: -3 });
  notify.progress({ activity: "A", status: "S" });
  expect(sent.map((s) => s.params.percent)).toEqual([100, 0, undefined]);
});

test("nothing is sent after close (the request's answer), and a failing send is not the handler's problem", () => {
  const { notify, sent } = recording();
  notify.close();
  notify.warning("late");
  notify.progress({ activity: "A", status: "S" });
  expect(sent).toEqual([]);
  const broken = new Notifier(1, () => {
    throw new Error("connection gone");
  });
  expect(() => broken.warning("x")).not.toThrow();
});
