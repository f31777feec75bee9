/**
 * Bad input (issue E): at least 1,000 generated cases across every cmdlet and parameter set
 * (test/support/fuzz.ps1), each ending in a correct result or a clear PowerShell error; no server
 * crash, no hang. The cases are seeded, so a failure names a case that can be run again.
 */
import * as path from "node:path";
import { EmulatorProcess, useEmulator } from "../support/emulator";
import { MODULE_MANIFEST, ROOT } from "../support/paths";
import { runPs } from "../support/pwsh";

let emulator: EmulatorProcess;

useEmulator((e) => (emulator = e));
beforeAll(async () => {
  await emulator.control("PUT", "/acr/operations", { reset: true, durationMs: 0, retryAfterSeconds: 0 });
});

test("1,000 generated bad-input cases: results or clear errors, no server crash, no hang", async () => {
  const r = await runPs(`& '${path.join(ROOT, "test", "support", "fuzz.ps1")}' -Manifest '${MODULE_MANIFEST}' -Cases 1000`, {
    json: true,
    timeoutMs: 900_000,
    env: { ...emulator.env, AZTOKENBRIDGE_SERVER: undefined, AZTOKENBRIDGE_BROWSER: "none" },
  });
  expect(r.errors).toEqual([]);
  const { Summary: summary, Problems: problems } = r.objects.at(-1);
  // Shown on failure: which cases, with what.
  expect(problems).toEqual([]);
  expect(summary.Cases).toBe(1000);
  expect(summary.Hangs).toBe(0);
  expect(summary.ServerRestarts).toBe(0);
  expect(summary.Unclear).toBe(0);
  expect(summary.WrongOutput).toBe(0);
  // Both kinds of ending occur: the generator is not only producing input that fails to bind.
  expect(summary.Results).toBeGreaterThan(50);
  expect(summary.ClearErrors).toBeGreaterThan(300);
}, 960_000);
