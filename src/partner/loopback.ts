/**
 * The browser sign-in's local side, as PartnerCenter's InteractiveUserAuthenticator does it: the
 * first free port from 8400 to 8999 on 127.0.0.1 (kept open from the probe on, so no other process
 * can take it in between), redirect URI `http://localhost:<port>/`, the system browser, and one
 * answer read from the redirect (query, or a form_post body).
 *
 * Browser: Windows `cmd /c start "" <url>`, macOS `open <url>`, elsewhere `xdg-open <url>`.
 * AZTOKENBRIDGE_BROWSER overrides it: a command line the URL is appended to, or `none` to open
 * nothing. When no browser can be started the URL is told to the user instead.
 */
import { spawn } from "node:child_process";
import * as http from "node:http";

export const PORT_FIRST = 8400;
export const PORT_LAST = 8999;

export interface LoopbackAnswer {
  code?: string;
  state?: string;
  error?: string;
  errorDescription?: string;
}

export interface Loopback {
  port: number;
  redirectUri: string;
  /** Settles with the first redirect carrying `code` or `error`. */
  answer: Promise<LoopbackAnswer>;
  close(): Promise<void>;
}

const PAGE = (title: string, text: string): string =>
  `<!DOCTYPE html><html><head><meta charset="utf-8"><title>${title}</title></head><body><p>${text}</p></body></html>`;

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Listens on the first free port of 8400–8999; `warn` gets the original's notice for each taken one, at once. */
export async function openLoopback(warn: (message: string) => void, first = PORT_FIRST, last = PORT_LAST): Promise<Loopback> {
  let settle!: (a: LoopbackAnswer) => void;
  const answer = new Promise<LoopbackAnswer>((resolve) => (settle = resolve));
  const server = http.createServer((req, res) => {
    res.setHeader("Connection", "close");
    const url = new URL(req.url ?? "/", "http://localhost");
    const take = (params: URLSearchParams) => {
      const a: LoopbackAnswer = {
        code: params.get("code") ?? undefined,
        state: params.get("state") ?? undefined,
        error: params.get("error") ?? undefined,
        errorDescription: params.get("error_description") ?? undefined,
      };
      if (!a.code && !a.error) {
        res.writeHead(404, { "Content-Type": "text/html; charset=utf-8" });
        res.end(PAGE("Not found", "Waiting for the sign-in answer."));
        return;
      }
      res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
      res.end(
        a.code
          ? PAGE("Authentication complete", "Authentication complete. You can return to the application. Feel free to close this browser tab.")
          : PAGE("Authentication failed", `Authentication failed. ${esc(a.error ?? "")}: ${esc(a.errorDescription ?? "")}`),
      );
      settle(a);
    };
    if (req.method === "POST") {
      let body = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (body += d.length + body.length > 1_000_000 ? "" : d));
      req.on("end", () => take(new URLSearchParams(body)));
    } else take(url.searchParams);
  });
  server.keepAliveTimeout = 1000;
  for (let port = first; port <= last; port++) {
    try {
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(port, "127.0.0.1", () => {
          server.off("error", reject);
          resolve();
        });
      });
      let closed: Promise<void> | undefined;
      return {
        port,
        redirectUri: `http://localhost:${port}/`,
        answer,
        close: () =>
          (closed ??= new Promise<void>((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          })),
      };
    } catch (e) {
      warn(`Port ${port} is taken with exception '${(e as Error).message}'; trying to connect to the next port.`);
    }
  }
  throw Object.assign(new Error(`No free port from ${first} to ${last} on 127.0.0.1 for the sign-in redirect.`), { code: "NoFreePort" });
}

/** Starts the system browser on `url`. Resolves false when none could be started. */
export function openBrowser(url: string, env: Record<string, string>): Promise<boolean> {
  const custom = env.AZTOKENBRIDGE_BROWSER;
  if (custom && custom.toLowerCase() === "none") return Promise.resolve(false);
  let file: string;
  let args: string[];
  if (custom) {
    const parts = custom.split(/\s+/).filter((s) => s !== "");
    file = parts[0];
    args = [...parts.slice(1), url];
  } else if (process.platform === "win32") {
    file = "cmd";
    args = ["/c", "start", '""', url.replace(/&/g, "^&")];
  } else if (process.platform === "darwin") {
    file = "open";
    args = [url];
  } else {
    file = "xdg-open";
    args = [url];
  }
  return new Promise((resolve) => {
    try {
      const child = spawn(file, args, { stdio: "ignore", detached: process.platform !== "win32", windowsVerbatimArguments: process.platform === "win32" && !custom });
      child.once("error", () => resolve(false));
      child.once("spawn", () => {
        child.unref();
        // A launcher that fails at once (xdg-open without any browser) exits non-zero quickly.
        const timer = setTimeout(() => resolve(true), 1500);
        child.once("exit", (code) => {
          clearTimeout(timer);
          resolve(code === 0);
        });
      });
    } catch {
      resolve(false);
    }
  });
}
