/** Processes the tests started (servers, stand-ins, emulators): alive or gone. */
import * as fs from "node:fs";

/** Whether a process exists and is not a zombie (Linux: /proc; elsewhere: signal 0). */
export function alive(pid: number): boolean {
  if (process.platform === "linux") {
    try {
      return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, "utf8"));
    } catch {
      return false;
    }
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until none of `pids` is alive, at most `ms`; whether they are all gone. */
export async function gone(pids: number[], ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  return !pids.some(alive);
}
