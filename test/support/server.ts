/**
 * The packaged server spawned as the module spawns it, with vscode-jsonrpc's own client on the
 * other end of its stdio.
 */
import { ChildProcess, spawn } from "node:child_process";
import { createMessageConnection, MessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { SERVER_BINARY } from "./paths";

export interface ServerProcess {
  child: ChildProcess;
  connection: MessageConnection;
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  dispose(): Promise<void>;
}

export function spawnServer(env: Record<string, string | undefined> = {}): ServerProcess {
  const child = spawn(SERVER_BINARY, [], { stdio: ["pipe", "pipe", "pipe"], env: { ...process.env, ...env } });
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );
  const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
  connection.listen();
  return {
    child,
    connection,
    stderr: () => err,
    exited,
    async dispose() {
      connection.dispose();
      child.stdin!.end();
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}
