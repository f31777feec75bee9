/**
 * The variables the server reads are listed once, in src/protocol.ts: SESSION_VARIABLES (sent with
 * every call) and SERVER_START_VARIABLES (what the server process is started with). A variable the
 * server code reads but neither list names would silently be missing at run time.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { SERVER_START_VARIABLES, SESSION_VARIABLES } from "../../src/protocol";
import { isSessionVariable } from "../../src/azure/settings";
import { ROOT } from "../support/paths";

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === "emulator" || e.name === "build" ? [] : sourceFiles(p);
    return e.name.endsWith(".ts") ? [p] : [];
  });
}

const matches = (list: readonly string[], name: string) =>
  list.some((n) => (n.endsWith("*") ? name.toUpperCase().startsWith(n.slice(0, -1).toUpperCase()) : n.toUpperCase() === name.toUpperCase()));

test("every environment variable the server reads is a session variable or one it is started with", () => {
  const read = new Set<string>();
  for (const file of sourceFiles(path.join(ROOT, "src"))) {
    const text = fs.readFileSync(file, "utf8");
    for (const m of text.matchAll(/\benv(?:\?)?\.([A-Z][A-Z0-9_]+)\b/g)) read.add(m[1]);
    for (const m of text.matchAll(/\benv\[\s*"([A-Z][A-Z0-9_]+)"\s*\]/g)) read.add(m[1]);
  }
  expect(read.size).toBeGreaterThan(15);
  const unlisted = [...read].filter((name) => !isSessionVariable(name) && !matches(SERVER_START_VARIABLES, name));
  expect(unlisted).toEqual([]);
});

test("session variables are matched by exact name or by a listed prefix, and no session variable is also given at start but the server's own settings", () => {
  expect(isSessionVariable("AZURE_CLIENT_SECRET")).toBe(true);
  expect(isSessionVariable("AZURE_CORE_OUTPUT")).toBe(true);
  expect(isSessionVariable("AZURE_STORAGE_KEY")).toBe(false);
  expect(isSessionVariable("AZURE_OPENAI_API_KEY")).toBe(false);
  expect(isSessionVariable("azure_client_secret")).toBe(false);
  const both = Object.keys(SESSION_VARIABLES).filter((n) => matches(SERVER_START_VARIABLES, n.replace(/\*$/, "")));
  expect(both.every((n) => n.startsWith("AZTOKENBRIDGE_"))).toBe(true);
  // Secrets are never shown by -Debug.
  for (const n of ["AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PASSWORD", "IDENTITY_HEADER", "MSI_SECRET"]) expect(SESSION_VARIABLES[n].visible).toBe(false);
});
