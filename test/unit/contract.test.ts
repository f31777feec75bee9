/**
 * The wire contract is written once, in src/protocol.ts: every method the module calls must be
 * declared there and served by the server's method table.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AllMethods } from "../../src/protocol";
import { METHODS } from "../../src/rpc/methods";
import { ROOT } from "../support/paths";

function moduleMethods(): string[] {
  const found = new Set<string>();
  // Public cmdlets, and the Private helpers that call the server for them (module/Private/Acr.ps1).
  for (const dir of [path.join(ROOT, "module", "Public"), path.join(ROOT, "module", "Private")]) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ps1"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const m of text.matchAll(/-Method\s+'([^']+)'/g)) found.add(m[1]);
    }
  }
  return [...found].sort();
}

test("the module calls only methods declared in src/protocol.ts", () => {
  const called = moduleMethods();
  expect(called.length).toBeGreaterThanOrEqual(2);
  for (const m of called) expect(AllMethods).toContain(m);
});

test("the server serves every declared method, once", () => {
  const served = METHODS.map((m) => m.type.method).sort();
  expect(served).toEqual([...AllMethods].sort());
});
