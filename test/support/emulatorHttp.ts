/**
 * Raw HTTPS to an emulator (in-process or spawned), trusting its CA: for tests that check wire
 * details (status, headers, bodies) and for its control API under /_emulator.
 */
import * as https from "node:https";
import type { EmulatorInfo } from "../../src/emulator";
import type { RequestLogEntry } from "../../src/emulator/requestLog";

export type { EmulatorInfo } from "../../src/emulator";
export type { RequestLogEntry } from "../../src/emulator/requestLog";

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is empty or not JSON. */
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export interface EmulatorHttp {
  /** One request to `pathAndQuery` on the emulator's origin. */
  raw(method: string, pathAndQuery: string, opts?: { headers?: Record<string, string>; body?: string }): Promise<RawResponse>;
  /** A control API call: `path` is below /_emulator; `body` is sent as JSON. */
  control<T = any>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** GET /_emulator/requests. */
  requestLog(): Promise<RequestLogEntry[]>;
}

/** `agent: false` opens a connection per request (no keep-alive socket left behind). */
export function emulatorHttp(info: Pick<EmulatorInfo, "armEndpoint">, ca: string, opts: { agent?: false } = {}): EmulatorHttp {
  const raw: EmulatorHttp["raw"] = (method, pathAndQuery, req = {}) =>
    new Promise((resolve, reject) => {
      const r = https.request(new URL(pathAndQuery, info.armEndpoint), { method, ca, headers: req.headers ?? {}, ...opts }, (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (d) => (text += d));
        res.on("end", () => {
          let json: unknown;
          try {
            json = text ? JSON.parse(text) : undefined;
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      });
      r.on("error", reject);
      if (req.body !== undefined) r.write(req.body);
      r.end();
    });
  const control: EmulatorHttp["control"] = async (method, path, body) => {
    const r = await raw(method, `/_emulator${path}`, body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    return { status: r.status, body: r.json };
  };
  const requestLog = async () => (await control<RequestLogEntry[]>("GET", "/requests")).body;
  return { raw, control, requestLog };
}
