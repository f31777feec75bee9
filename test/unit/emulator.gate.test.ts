import { Gate, parseGateSpec } from "../../src/emulator/gate";

const settled = async (p: Promise<unknown>) => {
  let done = false;
  void p.then(() => (done = true));
  await new Promise((r) => setImmediate(r));
  return done;
};

test("a gate holds matching requests until `count` are held, then releases them together", async () => {
  const gate = new Gate({ path: "/token$", count: 3, timeoutMs: 60_000 });
  expect(gate.matches("/users/x/token")).toBe(true);
  expect(gate.matches("/users/x")).toBe(false);
  const signal = new AbortController().signal;
  const a = gate.enter(signal);
  const b = gate.enter(signal);
  expect(await settled(a)).toBe(false);
  expect(await settled(b)).toBe(false);
  const c = gate.enter(signal);
  expect(await settled(c)).toBe(true);
  expect(await settled(a)).toBe(true);
  expect(await settled(b)).toBe(true);
  expect(gate.largestGroup).toBe(3);
  const d = gate.enter(signal); // the next group starts empty
  expect(await settled(d)).toBe(false);
  gate.releaseAll();
  expect(await settled(d)).toBe(true);
  expect(gate.largestGroup).toBe(3); // a smaller group later does not lower it
});

test("a group that does not fill goes after timeoutMs; an aborted request leaves the group", async () => {
  jest.useFakeTimers({ doNotFake: ["setImmediate"] });
  try {
    const gate = new Gate({ path: ".", count: 3, timeoutMs: 1000 });
    const gone = new AbortController();
    const left = gate.enter(gone.signal);
    gone.abort();
    await expect(left).resolves.toBeUndefined();
    const a = gate.enter(new AbortController().signal);
    const b = gate.enter(new AbortController().signal);
    jest.advanceTimersByTime(999);
    expect(await settled(a)).toBe(false);
    jest.advanceTimersByTime(1);
    await expect(Promise.all([a, b])).resolves.toEqual([undefined, undefined]);
    expect(gate.largestGroup).toBe(2); // the one that left is not counted
  } finally {
    jest.useRealTimers();
  }
});

test("the control body is checked", () => {
  expect(parseGateSpec({ path: "/token$", count: 8 })).toEqual({ ok: true, spec: { path: "/token$", count: 8, timeoutMs: 5000 } });
  expect(parseGateSpec({ path: "(", count: 8 }).ok).toBe(false);
  expect(parseGateSpec({ path: "x", count: 0 }).ok).toBe(false);
  expect(parseGateSpec({ path: "x", count: 2, timeoutMs: -1 }).ok).toBe(false);
  expect(parseGateSpec(null).ok).toBe(false);
});
