/**
 * stdout belongs to the protocol. Before anything else runs, the real stdout is captured for the
 * message writer and every other way of writing to stdout (console.log and friends, a library
 * calling process.stdout.write) is sent to stderr instead.
 *
 * The message writer writes each message's header and body separately; the protocol stream gathers
 * what is written within one turn of the event loop and writes it to the pipe at once, so a message
 * (and answers completed together) reaches the module in one write: one system call here, one
 * wake-up of the module's reader there.
 */
import { Writable } from "node:stream";

export function claimStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  let queued: Buffer[] = [];
  let scheduled = false;
  const flush = (): void => {
    scheduled = false;
    const data = queued.length === 1 ? queued[0] : Buffer.concat(queued);
    queued = [];
    write(data);
  };
  const protocolOut = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      queued.push(chunk);
      if (!scheduled) {
        scheduled = true;
        // After the promise jobs of this turn, so the body written after its header is awaited joins it.
        setImmediate(flush);
      }
      callback();
    },
  });
  const toStderr = (...args: unknown[]) => (process.stderr.write as (...a: unknown[]) => boolean)(...args);
  stdout.write = toStderr as typeof stdout.write;
  for (const m of ["log", "info", "debug", "trace", "dir", "table"] as const) {
    // eslint-disable-next-line no-console
    (console as unknown as Record<string, unknown>)[m] = console.error;
  }
  return protocolOut;
}
