/**
 * API Management shared-access tokens, compact form (what `POST …/users/{userId}/token` returns):
 *
 *   {uid}&{yyyyMMddHHmm}&{base64(HMAC-SHA512(key = UTF-8 bytes of the key string,
 *                                            data = uid + "\n" + yyyy-MM-ddTHH:mm:00.0000000Z))}
 *
 * The expiry is the requested one in UTC, truncated (not rounded) to the minute (apim.md §1.4, §4.3).
 * The key string is used as-is: the base64 text is NOT decoded (apim.md §4.2).
 * Test vector (apim.md §4.3): key pXeTVcmdbU9X…O1jdQ==, uid integration, expiry 2018-08-02 05:00 UTC →
 *   integration&201808020500&djdXZ3p7GmXg93sbMAbrvN1PIqhqXi4P7KAu2qCBq18Zt1HFz8khkFgEhDKfnNxLlbseOB4iSszZ57dDCorGLQ==
 */
import { createHmac } from "crypto";

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** The same instant with seconds and milliseconds dropped (UTC). */
export function truncateToMinute(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 60_000) * 60_000);
}

/** `yyyyMMddHHmm` in UTC: the middle part of the token. */
export function compactExpiry(d: Date): string {
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}`;
}

/** `yyyy-MM-ddTHH:mm:00.0000000Z`: .NET's round-trip ("O") format of the truncated expiry, as signed. */
export function signedExpiry(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:00.0000000Z`
  );
}

/** base64(HMAC-SHA512(utf8(key), uid + "\n" + signedExpiry(truncated expiry))). */
export function userTokenSignature(uid: string, expiry: Date, key: string): string {
  const data = `${uid}\n${signedExpiry(truncateToMinute(expiry))}`;
  return createHmac("sha512", Buffer.from(key, "utf8")).update(data, "utf8").digest("base64");
}

/** The compact token `uid&yyyyMMddHHmm&signature`. */
export function userToken(uid: string, expiry: Date, key: string): string {
  const minute = truncateToMinute(expiry);
  return `${uid}&${compactExpiry(minute)}&${userTokenSignature(uid, minute, key)}`;
}
