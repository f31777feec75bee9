/**
 * The wire contract is written once, in src/protocol.ts: every method the module calls must be
 * declared there and served by the server's method table; the notification methods reach the
 * module only through the generated table (module/Private/Protocol.generated.ps1).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { AllMethods, ARM_RESOURCE_ID_KINDS, NOTIFICATION_METHODS } from "../../src/protocol";
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

test("the module reads the notification methods from the generated table, never as literals", () => {
  const generated = fs.readFileSync(path.join(ROOT, "module", "Private", "Protocol.generated.ps1"), "utf8");
  const methods = Object.entries(NOTIFICATION_METHODS);
  expect(methods.length).toBe(4);
  for (const [kind, method] of methods) expect(generated).toContain(`'${kind}' = '${method}'`);
  for (const dir of [path.join(ROOT, "module", "Public"), path.join(ROOT, "module", "Private")]) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ps1") && !f.endsWith(".generated.ps1"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const [, method] of methods) expect([file, text.includes(method)]).toEqual([file, false]);
    }
  }
  // The client writes them by kind, from the table the module hands it (module/Private/Window.ps1).
  const client = fs.readFileSync(path.join(ROOT, "module", "Client", "CallWindow.cs"), "utf8");
  for (const [kind] of methods) {
    expect(client).toContain(`Method == _methods.${kind}`);
    expect(client).toContain(`table["${kind}"]`);
  }
  expect(fs.readFileSync(path.join(ROOT, "module", "Private", "Window.ps1"), "utf8")).toContain("[AzTokenBridge.Client.NotificationMethods]::new($script:NotificationMethods)");
});

test("the module asks arm/parseResourceId only for declared kinds, and reads no resource id itself", () => {
  const kinds = new Set<string>();
  for (const dir of [path.join(ROOT, "module", "Public"), path.join(ROOT, "module", "Private")]) {
    for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ps1") && !f.endsWith(".generated.ps1"))) {
      const text = fs.readFileSync(path.join(dir, file), "utf8");
      for (const m of text.matchAll(/kind = '([^']+)'/g)) kinds.add(m[1]);
      // ARM paths are the server's (src/azure/resourceId.ts): no pattern of one in the module.
      expect([file, /\/?resourceGroups\/|\/providers\//i.test(text.replace(/^\s*#.*$/gm, ""))]).toEqual([file, false]);
    }
  }
  expect([...kinds].sort()).toEqual([...ARM_RESOURCE_ID_KINDS].sort());
});
