/**
 * The control API's answers (`/_emulator/…`), shared by control.ts and the routes it delegates to
 * (entra/userControl.ts): JSON, never cached, errors as {"error":{"code","message"}}.
 */
import { EmulatorResponse, jsonResponse } from "./http";

export const noStore = { "Cache-Control": "no-store" };

export function ok(body: unknown): EmulatorResponse {
  return jsonResponse(200, body, noStore);
}

export function bad(message: string): EmulatorResponse {
  return jsonResponse(400, { error: { code: "BadRequest", message } }, noStore);
}

export function notFound(message: string): EmulatorResponse {
  return jsonResponse(404, { error: { code: "NotFound", message } }, noStore);
}

export function notAllowed(method: string): EmulatorResponse {
  return jsonResponse(405, { error: { code: "MethodNotAllowed", message: `Method '${method}' is not supported here.` } }, noStore);
}
