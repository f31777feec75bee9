/**
 * A gate for answers (PUT /_emulator/gate): answers to requests whose path matches are held until
 * `count` of them are held at once, then all are released together; a group that does not fill
 * within `timeoutMs` of its first request is released as it is. Tests use it to see how many
 * requests a client keeps in flight without relying on timing: with a gate of N, a client that
 * keeps N in flight fills a group (`largestGroup` becomes N: N requests were held at one moment, an
 * event, not a reading of timestamps), and the request log never shows more than N answers
 * overlapping (a client that sent N + 1 would show N + 1). Latency, if set, comes after the gate.
 */
export interface GateSpec {
  /** Regular expression matched against the request path (without the query). */
  path: string;
  count: number;
  timeoutMs: number;
}

export class Gate {
  private readonly pattern: RegExp;
  private waiting: (() => void)[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The most requests released together so far: how many this gate has seen held at once. */
  largestGroup = 0;

  constructor(readonly spec: GateSpec) {
    this.pattern = new RegExp(spec.path);
  }

  matches(path: string): boolean {
    return this.pattern.test(path);
  }

  /** Resolves when this request's group is released, or at once when `signal` aborts. */
  enter(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (signal.aborted) return resolve();
      const release = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        this.waiting = this.waiting.filter((w) => w !== release);
        resolve();
      };
      signal.addEventListener("abort", onAbort, { once: true });
      this.waiting.push(release);
      if (this.waiting.length >= this.spec.count) this.releaseAll();
      else this.timer ??= setTimeout(() => this.releaseAll(), this.spec.timeoutMs);
    });
  }

  /** Releases every held request (also when the gate is removed). */
  releaseAll(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.waiting;
    this.waiting = [];
    this.largestGroup = Math.max(this.largestGroup, group.length);
    for (const release of group) release();
  }
}

/** Checks a PUT /_emulator/gate body. */
export function parseGateSpec(value: unknown): { ok: true; spec: GateSpec } | { ok: false; message: string } {
  const v = value as Record<string, unknown>;
  const usage = 'The body must be {"path": "<regular expression>", "count": N (1…1000), "timeoutMs": T (1…600000)}.';
  if (!v || typeof v !== "object" || typeof v.path !== "string" || v.path === "") return { ok: false, message: usage };
  try {
    new RegExp(v.path);
  } catch {
    return { ok: false, message: `'path' is not a regular expression. ${usage}` };
  }
  const count = v.count;
  const timeoutMs = v.timeoutMs ?? 5000;
  if (!(typeof count === "number" && Number.isInteger(count) && count >= 1 && count <= 1000)) return { ok: false, message: usage };
  if (!(typeof timeoutMs === "number" && Number.isInteger(timeoutMs) && timeoutMs >= 1 && timeoutMs <= 600_000)) return { ok: false, message: usage };
  return { ok: true, spec: { path: v.path, count, timeoutMs } };
}
