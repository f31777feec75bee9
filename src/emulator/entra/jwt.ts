/**
 * Minimal compact JWS (RS256) signing and parsing with Node's crypto.
 */
import { createSign, createVerify, KeyObject } from "crypto";
import { base64url, fromBase64url, isPlainObject } from "../util";

export type JwtClaims = Record<string, unknown>;

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: JwtClaims;
  signingInput: string;
  signature: Buffer;
}

export function signJwtRs256(header: Record<string, unknown>, payload: JwtClaims, key: KeyObject): string {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const signature = createSign("RSA-SHA256").update(signingInput).sign(key);
  return `${signingInput}.${base64url(signature)}`;
}

/** Parses a compact JWS without verifying it. Returns undefined when it is not a well-formed JWT. */
export function decodeJwt(token: string): DecodedJwt | undefined {
  const parts = token.split(".");
  if (parts.length !== 3 || parts.some((p) => !/^[A-Za-z0-9_-]*$/.test(p)) || parts[0] === "" || parts[1] === "") {
    return undefined;
  }
  try {
    const header: unknown = JSON.parse(fromBase64url(parts[0]).toString("utf8"));
    const payload: unknown = JSON.parse(fromBase64url(parts[1]).toString("utf8"));
    if (!isPlainObject(header) || !isPlainObject(payload)) return undefined;
    return { header, payload, signingInput: `${parts[0]}.${parts[1]}`, signature: fromBase64url(parts[2]) };
  } catch {
    return undefined;
  }
}

export function verifyRs256(decoded: DecodedJwt, key: KeyObject): boolean {
  if (decoded.header.alg !== "RS256") return false;
  try {
    return createVerify("RSA-SHA256").update(decoded.signingInput).verify(key, decoded.signature);
  } catch {
    return false;
  }
}
