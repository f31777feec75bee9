/**
 * Control API for the user flows (userFlows.ts), under /_emulator/entra/. Lets tests and the demo
 * run every user flow without a browser:
 *
 *   GET  /_emulator/entra/users                          demo users [{userPrincipalName, displayName, objectId, tenantId, interactionRequired}]
 *   PUT  /_emulator/entra/users/{upn}/interaction-required
 *                                                        {"code": 50076 | 50078 | 50079 | null}: refresh tokens from sign-ins
 *                                                        made before now fail with that MFA error; a new interactive
 *                                                        sign-in satisfies it; null clears it
 *   GET  /_emulator/entra/device-codes                   device codes, newest first: {userCode, clientId, scope, status,
 *                                                        createdAt, expiresAt, user?} (never the device_code)
 *   POST /_emulator/entra/device-codes/approve           {userCode?, user?, decline?}: approves (or declines) the code
 *                                                        with that user code, else the newest pending one, as `user`
 *                                                        (default: the first demo user) → {userCode, status, user}
 *   PUT  /_emulator/entra/device-codes/interval          {"seconds": N} (1…60): the polling interval told to clients (default 5)
 *   POST /_emulator/entra/browser-login                  {url, user?, decline?}: what a browser does with an authorization
 *                                                        URL: /authorize as `user` (default: the first demo user), then
 *                                                        the code (or error=access_denied with decline) delivered to the
 *                                                        loopback redirect URI (GET with the query, or POST for
 *                                                        form_post) → {redirectUri, responseMode, user, error, loopbackStatus}
 *   POST /_emulator/entra/refresh-tokens/expire          {user?}: refresh tokens (all, or that user's) are expired
 *                                                        (AADSTS700082 on their next use) → {expired: N}
 *   POST /_emulator/entra/refresh-tokens/revoke          {user?}: refresh tokens issued so far (all, or that user's) are
 *                                                        revoked, as a password reset does (AADSTS50173) → {revoked: N}
 */
import type { Directory } from "../directory";
import { EmulatorResponse, jsonResponse, parseJsonBody, RequestContext } from "../http";
import { bad, noStore, notAllowed, notFound, ok } from "../controlResponses";
import { isPlainObject } from "../util";
import type { UserFlows } from "./userFlows";


export async function handleUserControl(ctx: RequestContext, route: string[], flows: UserFlows, directory: Directory): Promise<EmulatorResponse> {
  // route: the segments after /_emulator/entra
  const [a, b, c] = route.map((s) => s.toLowerCase());
  const m = ctx.method;
  const body = (): Record<string, unknown> | string => {
    const parsed = parseJsonBody(ctx);
    if (!parsed.ok) return `The body is not valid JSON: ${parsed.error}`;
    const v = parsed.value === undefined ? {} : parsed.value;
    return isPlainObject(v) ? v : "The body must be a JSON object.";
  };
  const str = (v: Record<string, unknown>, name: string): string | undefined | null => {
    const x = v[name];
    if (x === undefined || x === null) return undefined;
    return typeof x === "string" && x !== "" ? x : null;
  };

  if (a === "users" && route.length === 1) {
    if (m !== "GET") return notAllowed(m);
    return ok(
      directory.listUsers().map((u) => ({
        userPrincipalName: u.userPrincipalName,
        displayName: u.displayName,
        objectId: u.objectId,
        tenantId: u.tenantId,
        interactionRequired: u.interactionRequired?.code ?? null,
      })),
    );
  }
  if (a === "users" && c === "interaction-required" && route.length === 3) {
    if (m !== "PUT") return notAllowed(m);
    const user = directory.findUser(route[1]);
    if (!user) return notFound(`No user '${route[1]}'.`);
    const v = body();
    if (typeof v === "string") return bad(v);
    if (v.code === null) {
      delete user.interactionRequired;
      return ok({ user: user.userPrincipalName, interactionRequired: null });
    }
    if (v.code !== 50076 && v.code !== 50078 && v.code !== 50079) return bad("'code' must be 50076, 50078, 50079 or null.");
    user.interactionRequired = { code: v.code, since: Date.now() };
    return ok({ user: user.userPrincipalName, interactionRequired: v.code });
  }
  if (a === "device-codes" && route.length === 1) {
    if (m !== "GET") return notAllowed(m);
    return ok(flows.listDeviceCodes());
  }
  if (a === "device-codes" && b === "approve" && route.length === 2) {
    if (m !== "POST") return notAllowed(m);
    const v = body();
    if (typeof v === "string") return bad(v);
    const userCode = str(v, "userCode");
    const user = str(v, "user");
    if (userCode === null || user === null) return bad("'userCode' and 'user' must be non-empty strings.");
    const r = flows.decideDeviceCode(userCode, user, v.decline === true);
    if (!r.ok) return jsonResponse(r.status, { error: { code: r.status === 404 ? "NotFound" : "BadRequest", message: r.message } }, noStore);
    return ok({ userCode: r.record.userCode, status: r.record.status, user: r.record.signIn?.user.userPrincipalName ?? null });
  }
  if (a === "device-codes" && b === "interval" && route.length === 2) {
    if (m !== "PUT") return notAllowed(m);
    const v = body();
    if (typeof v === "string") return bad(v);
    if (!(typeof v.seconds === "number" && Number.isInteger(v.seconds) && v.seconds >= 1 && v.seconds <= 60)) return bad("'seconds' must be an integer from 1 to 60.");
    flows.deviceCodeIntervalSeconds = v.seconds;
    return ok({ seconds: v.seconds });
  }
  if (a === "browser-login" && route.length === 1) {
    if (m !== "POST") return notAllowed(m);
    const v = body();
    if (typeof v === "string") return bad(v);
    const url = str(v, "url");
    const user = str(v, "user");
    if (!url || user === null) return bad("'url' must be the authorization URL; 'user' a user principal name.");
    const r = await flows.browserLogin(url, user, v.decline === true);
    if (!r.ok) return jsonResponse(r.status, { error: { code: r.status === 404 ? "NotFound" : "BadRequest", message: r.message } }, noStore);
    return ok(r.body);
  }
  if (a === "refresh-tokens" && b === "expire" && route.length === 2) {
    if (m !== "POST") return notAllowed(m);
    const v = body();
    if (typeof v === "string") return bad(v);
    const user = str(v, "user");
    if (user === null) return bad("'user' must be a non-empty string.");
    return ok({ expired: flows.expireRefreshTokens(user) });
  }
  if (a === "refresh-tokens" && b === "revoke" && route.length === 2) {
    if (m !== "POST") return notAllowed(m);
    const v = body();
    if (typeof v === "string") return bad(v);
    const user = str(v, "user");
    if (user === null) return bad("'user' must be a non-empty string.");
    return ok({ revoked: flows.revokeRefreshTokens(user) });
  }
  return notFound(`No control endpoint '${ctx.method} ${ctx.rawPath}'.`);
}




