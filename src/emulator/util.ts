/**
 * Small helpers shared by the emulator modules (ids, encodings, date formats).
 */
import { randomBytes, randomUUID } from "crypto";

export function newGuid(): string {
  return randomUUID();
}

export function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString("base64url");
}

export function fromBase64url(text: string): Buffer {
  return Buffer.from(text, "base64url");
}

export function randomBase64(bytes: number): string {
  return randomBytes(bytes).toString("base64");
}

/** A secret in the shape Entra ID generates for app passwords: `xxx8Q~` + 34 characters (40 in all). */
export function newClientSecretValue(): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-.~";
  const pick = (n: number): string => {
    const bytes = randomBytes(n);
    let out = "";
    for (let i = 0; i < n; i++) out += alphabet[bytes[i] % alphabet.length];
    return out;
  };
  return pick(3) + "8Q~" + pick(34);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, "0");

/** `2019-05-13 21:24:25Z`: the form Entra ID uses in `timestamp` and in error descriptions. */
export function entraTimestamp(d: Date = new Date()): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}Z`
  );
}

/** .NET's invariant `DateTime.ToString()` (`M/d/yyyy h:mm:ss tt`), in UTC, as ARM prints token expiry times. */
export function dotNetGeneralDate(d: Date): string {
  const h24 = d.getUTCHours();
  const h12 = h24 % 12 === 0 ? 12 : h24 % 12;
  return (
    `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ` +
    `${h12}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${h24 < 12 ? "AM" : "PM"}`
  );
}

/** `20190513T212425Z`, as used in `x-ms-routing-request-id` and ARM diagnostic messages. */
export function compactUtc(d: Date = new Date()): string {
  return (
    `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T` +
    `${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}${pad(d.getUTCSeconds())}Z`
  );
}

export function isGuid(text: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(text);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Compares two ISO date api-versions (`2019-01-01` < `2021-08-01` < `2024-05-01`); previews sort by date. */
export function apiVersionAtLeast(apiVersion: string, minimum: string): boolean {
  return apiVersion.slice(0, 10) >= minimum.slice(0, 10);
}
