/**
 * ARM's bearer-token check: header format, signature (emulator key), lifetime, audience.
 * The tenant check needs the subscription, so arm.ts does it after routing.
 *
 * Error codes and message texts follow what ARM answers publicly (quoted in many bug reports):
 *   AuthenticationFailed                "Authentication failed. The 'Authorization' header is missing."
 *   AuthenticationFailed                "Authentication failed. The 'Authorization' header is provided in an invalid format."
 *   InvalidAuthenticationToken          "The access token is invalid."
 *   ExpiredAuthenticationToken          "The access token expiry UTC time '…' is earlier than current UTC time '…'."
 *   InvalidAuthenticationTokenAudience  "The access token has been obtained for wrong audience or resource '…'. It should
 *                                        exactly match with one of the allowed audiences '…','…'."
 * apim.md does not record ARM authentication failures; these texts are not from a recorded exchange.
 * A token revoked through the control API (POST /_emulator/tokens/revoke: a revoked session, a
 * signing key no longer trusted) is answered as an invalid one, InvalidAuthenticationToken: the
 * emulator's choice (real ARM answers CAE-capable clients a claims challenge instead).
 */
import { ARM_AUDIENCES } from "../directory";
import type { JwtClaims } from "../entra/jwt";
import type { TokenService } from "../entra/tokens";
import { header, RequestContext } from "../http";
import { dotNetGeneralDate } from "../util";

/** Tolerated clock skew for exp/nbf, as in .NET's token validation default. */
export const CLOCK_SKEW_SECONDS = 300;

export type ArmAuthResult =
  | { ok: true; claims: JwtClaims; tenantId: string }
  | { ok: false; code: string; message: string; /** WWW-Authenticate error_description */ description: string };

export function authenticateArmRequest(ctx: RequestContext, tokens: TokenService, nowMs: number = Date.now()): ArmAuthResult {
  const auth = header(ctx, "authorization");
  if (auth === undefined || auth.trim() === "") {
    return {
      ok: false,
      code: "AuthenticationFailed",
      message: "Authentication failed. The 'Authorization' header is missing.",
      description: "The authentication failed because of missing 'Authorization' header.",
    };
  }
  const m = /^Bearer\s+(\S+)\s*$/i.exec(auth);
  if (!m) {
    return {
      ok: false,
      code: "AuthenticationFailed",
      message: "Authentication failed. The 'Authorization' header is provided in an invalid format.",
      description: "The authentication failed because of invalid format of 'Authorization' header.",
    };
  }
  const invalid = { ok: false as const, code: "InvalidAuthenticationToken", message: "The access token is invalid.", description: "The access token is invalid." };
  const verdict = tokens.validate(m[1]);
  if (!verdict.ok) return invalid;
  const claims = verdict.claims;
  const tid = claims.tid;
  const exp = claims.exp;
  if (typeof tid !== "string" || typeof exp !== "number") return invalid;
  if (claims.iss !== `https://sts.windows.net/${tid}/`) return invalid;

  const now = nowMs / 1000;
  if (exp + CLOCK_SKEW_SECONDS < now) {
    const message =
      `The access token expiry UTC time '${dotNetGeneralDate(new Date(exp * 1000))}' is earlier than current UTC time ` +
      `'${dotNetGeneralDate(new Date(nowMs))}'.`;
    return { ok: false, code: "ExpiredAuthenticationToken", message, description: message };
  }
  if (typeof claims.nbf === "number" && claims.nbf - CLOCK_SKEW_SECONDS > now) {
    const message =
      `The access token is not yet valid. Its 'nbf' UTC time '${dotNetGeneralDate(new Date(claims.nbf * 1000))}' is later than ` +
      `current UTC time '${dotNetGeneralDate(new Date(nowMs))}'.`;
    return { ok: false, code: "InvalidAuthenticationToken", message, description: message };
  }
  const aud = typeof claims.aud === "string" ? claims.aud : "";
  if (!ARM_AUDIENCES.includes(aud)) {
    const message =
      `The access token has been obtained for wrong audience or resource '${aud}'. It should exactly match with one of the allowed audiences ` +
      ARM_AUDIENCES.map((a) => `'${a}'`).join(",") +
      ".";
    return { ok: false, code: "InvalidAuthenticationTokenAudience", message, description: message };
  }
  return { ok: true, claims, tenantId: tid };
}
