/**
 * stdout belongs to the protocol. Before anything else runs, the real stdout is captured for the
 * message writer and every other way of writing to stdout (console.log and friends, a library
 * calling process.stdout.write) is sent to stderr instead.
 */
import { Writable } from "node:stream";

export function claimStdout(): Writable {
  const stdout = process.stdout;
  const write = stdout.write.bind(stdout) as (chunk: unknown, ...rest: unknown[]) => boolean;
  const protocolOut = new Writable({
    write(chunk, _encoding, callback) {
      write(chunk, callback);
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
