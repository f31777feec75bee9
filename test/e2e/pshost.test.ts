/**
 * The project's PowerShell host (test/pshost) behaves like `pwsh -NoProfile -NonInteractive`:
 * formatting through Out-Default with module views, errors and streams written like pwsh, exit codes,
 * Ctrl+C stopping the pipeline with finally blocks run, and the JSON records the other e2e tests use.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertHostBuilt, PSHOST, runPs, runPsArgs, spawnPs } from "../support/pshost";

// A tiny script module with a table view of its own, in a temp directory.
let modRoot: string;
let manifest: string;

const MODULE_PSM1 = `
function Get-Widget {
  [CmdletBinding()]
  param()
  foreach ($i in 1..3) {
    $o = [pscustomobject]@{ Name = "widget$i"; Size = $i * 10; Secret = 'not-in-the-view' }
    $o.PSObject.TypeNames.Insert(0, 'PsHostTest.Widget')
    $PSCmdlet.WriteObject($o)
  }
}
`;

const MODULE_FORMAT = `<?xml version="1.0" encoding="utf-8"?>
<Configuration>
  <ViewDefinitions>
    <View>
      <Name>PsHostTest.Widget</Name>
      <ViewSelectedBy><TypeName>PsHostTest.Widget</TypeName></ViewSelectedBy>
      <TableControl>
        <TableHeaders>
          <TableColumnHeader><Label>WidgetName</Label><Width>14</Width></TableColumnHeader>
          <TableColumnHeader><Label>DoubleSize</Label><Width>10</Width><Alignment>Right</Alignment></TableColumnHeader>
        </TableHeaders>
        <TableRowEntries>
          <TableRowEntry>
            <TableColumnItems>
              <TableColumnItem><PropertyName>Name</PropertyName></TableColumnItem>
              <TableColumnItem><ScriptBlock>$_.Size * 2</ScriptBlock></TableColumnItem>
            </TableColumnItems>
          </TableRowEntry>
        </TableRowEntries>
      </TableControl>
    </View>
  </ViewDefinitions>
</Configuration>
`;

const MODULE_PSD1 = `@{
  RootModule = 'PsHostTest.psm1'
  ModuleVersion = '1.0.0'
  GUID = '6f0f3c52-8a3e-4f4e-9d52-3f7d7d0b1c11'
  FunctionsToExport = @('Get-Widget')
  CmdletsToExport = @()
  AliasesToExport = @()
  FormatsToProcess = @('PsHostTest.format.ps1xml')
}
`;

const lines = (text: string) => text.split("\n").map((l) => l.replace(/\r$/, ""));

beforeAll(() => {
  // Fails every test with "... Run `npm run build` first." when the host is missing.
  assertHostBuilt();
  modRoot = fs.mkdtempSync(path.join(os.tmpdir(), "pshost-modules-"));
  const dir = path.join(modRoot, "PsHostTest");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "PsHostTest.psm1"), MODULE_PSM1);
  fs.writeFileSync(path.join(dir, "PsHostTest.format.ps1xml"), MODULE_FORMAT);
  manifest = path.join(dir, "PsHostTest.psd1");
  fs.writeFileSync(manifest, MODULE_PSD1);
});

afterAll(() => {
  if (modRoot) fs.rmSync(modRoot, { recursive: true, force: true });
});

describe("pshost: formatting through Out-Default", () => {
  test("renders [pscustomobject]s as a table with column headers, without ANSI escapes", async () => {
    const r = await runPs(`
      [pscustomobject]@{ Name = 'alpha'; Count = 1 }
      [pscustomobject]@{ Name = 'beta'; Count = 22 }
    `);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const header = out.findIndex((l) => /^Name\s+Count$/.test(l.trimEnd()));
    expect(header).toBeGreaterThanOrEqual(0);
    expect(out[header + 1]).toMatch(/^-{4}\s+-{5}/);
    expect(out[header + 2]).toMatch(/^alpha\s+1$/);
    expect(out[header + 3]).toMatch(/^beta\s+22$/);
    expect(r.stdout).not.toContain("\x1b");
  });

  test("uses the table view from an imported module's .format.ps1xml", async () => {
    const r = await runPs(`Import-Module $env:PSHOST_TEST_MANIFEST; Get-Widget`, { env: { PSHOST_TEST_MANIFEST: manifest } });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = lines(r.stdout);
    const header = out.findIndex((l) => /^WidgetName\s+DoubleSize$/.test(l.trimEnd()));
    expect(header).toBeGreaterThanOrEqual(0);
    // Column 1 is 14 wide, column 2 right-aligned in 10: the script block's value, not the property.
    expect(out[header + 2]).toBe(`${"widget1".padEnd(14)} ${"20".padStart(10)}`);
    expect(out[header + 4]).toBe(`${"widget3".padEnd(14)} ${"60".padStart(10)}`);
    expect(r.stdout).not.toMatch(/Secret|not-in-the-view/);
  });

  test("autoloads a module from $env:PSModulePath", async () => {
    const r = await runPs(`Get-Widget; (Get-Module).Name -join ','`, {
      env: { PSModulePath: modRoot },
    });
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^WidgetName\s+DoubleSize/m);
    expect(r.stdout).toMatch(/^PsHostTest$/m);
  });

  test("-Width sets the width tables are fitted to", async () => {
    const script = `[pscustomobject]@{ A = 'a' * 50; B = 'b' * 50 }`;
    const narrow = await runPs(script, { width: 40 });
    const wide = await runPs(script);
    expect(narrow.code).toBe(0);
    expect(Math.max(...lines(narrow.stdout).map((l) => l.trimEnd().length))).toBeLessThanOrEqual(40);
    expect(narrow.stdout).toContain("…");
    // Default when redirected: 120, which fits both columns whole (50 + 1 + 50).
    expect(wide.stdout).toContain("a".repeat(50));
    expect(wide.stdout).toContain("b".repeat(50));
    expect(wide.stdout).not.toContain("…");
  });
});

describe("pshost: streams and errors", () => {
  const advanced = `
    function Test-Streams {
      [CmdletBinding()]
      param()
      $PSCmdlet.WriteVerbose('verbose-line')
      $PSCmdlet.WriteWarning('warning-line')
      $ex = [System.InvalidOperationException]::new('raw exception text')
      $er = [System.Management.Automation.ErrorRecord]::new($ex, 'PsHostTest.Failed', [System.Management.Automation.ErrorCategory]::InvalidOperation, 'the-target')
      $er.ErrorDetails = [System.Management.Automation.ErrorDetails]::new('friendly details text')
      $PSCmdlet.WriteError($er)
      $PSCmdlet.WriteObject('after-the-error')
    }
  `;

  test("verbose only with -Verbose, prefixed 'VERBOSE: '; warnings prefixed 'WARNING: '", async () => {
    const quiet = await runPs(`${advanced}\nTest-Streams 2>$null`);
    const loud = await runPs(`${advanced}\nTest-Streams -Verbose 2>$null`);
    expect(lines(loud.stdout)).toContain("VERBOSE: verbose-line");
    expect(lines(loud.stdout)).toContain("WARNING: warning-line");
    expect(loud.stdout.indexOf("VERBOSE: verbose-line")).toBeLessThan(loud.stdout.indexOf("WARNING: warning-line"));
    expect(quiet.stdout).not.toContain("verbose-line");
    expect(lines(quiet.stdout)).toContain("WARNING: warning-line");
  });

  test("a non-terminating error is written to stderr (ErrorDetails first), the script goes on, -File exits 0", async () => {
    const r = await runPs(`${advanced}\nTest-Streams\n'end-of-script'`);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("friendly details text");
    expect(r.stderr).not.toContain("raw exception text");
    expect(r.stderr).toMatch(/Test-Streams/);
    expect(r.stdout).not.toContain("friendly details text");
    expect(lines(r.stdout)).toEqual(expect.arrayContaining(["after-the-error", "end-of-script"]));
  });

  test("`throw` exits 1 with the message on stderr", async () => {
    const r = await runPs(`'before'\nthrow 'kaboom-42'\n'not-reached'`);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("kaboom-42");
    expect(r.stdout).toContain("before");
    expect(r.stdout).not.toContain("not-reached");
    expect(r.stdout).not.toContain("kaboom-42");
  });

  test("`exit 3` exits 3", async () => {
    const r = await runPs(`'x'\nexit 3\n'not-reached'`);
    expect(r.code).toBe(3);
    expect(r.stdout).not.toContain("not-reached");
  });

  test("-File binds named, switch and positional arguments to param()", async () => {
    const r = await runPs(`param([string]$Name, [switch]$Flag, [int]$Count, [string]$Rest)\n"Name=$Name Flag=$Flag Count=$Count Rest=$Rest"`, {
      args: ["-Name", "bob", "-Flag", "-Count:7", "positional"],
    });
    expect(r.stderr).toBe("");
    expect(r.stdout.trim()).toBe("Name=bob Flag=True Count=7 Rest=positional");
  });

  test("1..4 | ForEach-Object -Parallel runs in parallel runspaces", async () => {
    const r = await runPs(
      `1..4 | ForEach-Object -Parallel { [System.Threading.Thread]::Sleep(300); [pscustomobject]@{ V = $_ * 2; R = [runspace]::DefaultRunspace.InstanceId.ToString() } } -ThrottleLimit 4`,
      { json: true },
    );
    expect(r.errors).toEqual([]);
    expect(r.objects.map((o) => o.V).sort()).toEqual([2, 4, 6, 8]);
    expect(new Set(r.objects.map((o) => o.R)).size).toBeGreaterThan(1);
  });
});

describe("pshost: -OutputFormat Json", () => {
  test("objects carry type names and serialized property values", async () => {
    const r = await runPs(
      `
      $o = [pscustomobject]@{
        Name    = 'n1'
        Count   = 42
        Ratio   = 0.5
        On      = $true
        Nothing = $null
        When    = [datetime]::new(2024, 5, 6, 7, 8, 9, [System.DateTimeKind]::Utc)
        Local   = [datetime]::new(2024, 5, 6, 7, 8, 9, [System.DateTimeKind]::Unspecified)
        Day     = [System.DayOfWeek]::Friday
        Span    = [timespan]::FromMinutes(90)
        Secret  = [System.Security.SecureString]::new()
        List    = @(1, 'two')
        Map     = @{ k = 'v' }
      }
      $o.PSObject.TypeNames.Insert(0, 'PsHostTest.Thing')
      $o
      `,
      { json: true },
    );
    expect(r.code).toBe(0);
    expect(r.errors).toEqual([]);
    const rec = r.records.find((x) => x.kind === "object");
    expect(rec.typeNames[0]).toBe("PsHostTest.Thing");
    const v = r.objects[0];
    expect(v.$typeNames[0]).toBe("PsHostTest.Thing");
    expect(v).toMatchObject({ Name: "n1", Count: 42, Ratio: 0.5, On: true, Nothing: null, List: [1, "two"], Map: { k: "v" } });
    expect(v.When).toEqual({ $type: "System.DateTime", value: "2024-05-06T07:08:09.0000000Z", kind: "Utc" });
    expect(v.Local).toEqual({ $type: "System.DateTime", value: "2024-05-06T07:08:09.0000000", kind: "Unspecified" });
    expect(v.Day).toEqual({ $type: "System.DayOfWeek", value: "Friday" });
    expect(v.Span).toEqual({ $type: "System.TimeSpan", value: "01:30:00" });
    expect(v.Secret).toEqual({ $type: "System.Security.SecureString" });
  });

  test("errors, verbose, warnings and information become records", async () => {
    const r = await runPs(
      `
      function Test-Json {
        [CmdletBinding()]
        param()
        $PSCmdlet.WriteVerbose('v-msg')
        $PSCmdlet.WriteWarning('w-msg')
        $PSCmdlet.WriteInformation('i-msg', [string[]]@('tag1'))
        $er = [System.Management.Automation.ErrorRecord]::new([System.TimeoutException]::new('raw timeout'), 'PsHostTest.Timeout', [System.Management.Automation.ErrorCategory]::OperationTimeout, 'tgt')
        $er.ErrorDetails = [System.Management.Automation.ErrorDetails]::new('service says no')
        $PSCmdlet.WriteError($er)
      }
      Test-Json -Verbose -InformationAction Continue
      throw 'fatal-one'
      `,
      { json: true },
    );
    expect(r.code).toBe(1);
    const kinds = r.records.map((x) => x.kind);
    expect(kinds).toEqual(["verbose", "warning", "information", "error", "error"]);
    expect(r.records[0].message).toBe("v-msg");
    expect(r.records[1].message).toBe("w-msg");
    expect(r.records[2]).toMatchObject({ message: "i-msg", tags: ["tag1"] });
    expect(r.errors[0]).toMatchObject({
      message: "service says no",
      errorDetails: "service says no",
      exceptionMessage: "raw timeout",
      exceptionType: "System.TimeoutException",
      fullyQualifiedErrorId: "PsHostTest.Timeout,Test-Json",
      category: "OperationTimeout",
      categoryReason: "TimeoutException",
      targetObject: "tgt",
      terminating: false,
    });
    expect(r.errors[1]).toMatchObject({ message: "fatal-one", terminating: true });
    expect(r.errors[1].rendered).toContain("fatal-one");
  });
});

describe("pshost: command line", () => {
  test("-Command - reads the script from stdin", async () => {
    const r = await runPsArgs(["-NoProfile", "-NonInteractive", "-Command", "-"], { stdin: `"from-stdin: " + (6 * 7)\nexit 5\n` });
    expect(r.stdout).toContain("from-stdin: 42");
    expect(r.code).toBe(5);
  });

  test("-Command exits 1 when $? is false at the end, else 0", async () => {
    const failed = await runPsArgs(["-NoProfile", "-Command", "Test-NoSuchCommand"]);
    const recovered = await runPsArgs(["-NoProfile", "-Command", "Test-NoSuchCommand; 'fine'"]);
    expect(failed.code).toBe(1);
    expect(failed.stderr).toContain("Test-NoSuchCommand");
    expect(recovered.code).toBe(0);
    expect(recovered.stdout).toContain("fine");
  });

  test("a bad command line or a missing -File exits 64", async () => {
    const bad = await runPsArgs(["-NoSuchSwitch"]);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain("Usage: pshost");
    const missing = await runPsArgs(["-NoProfile", "-File", path.join(os.tmpdir(), "pshost-does-not-exist.ps1")]);
    expect(missing.code).toBe(64);
    expect(missing.stderr).toContain("pshost-does-not-exist.ps1");
  });
});

describe("pshost: signals", () => {
  const loop = `
    try {
      [Console]::Out.WriteLine('loop-started')
      while ($true) { [System.Threading.Thread]::Sleep(50) }
    }
    finally {
      [Console]::Out.WriteLine('finally-marker')
      $Host.UI.WriteLine('host-finally-marker')
    }
    'not-reached'
  `;

  test("SIGINT stops the pipeline: finally blocks run, exit code 1", async () => {
    const p = spawnPs(loop, { timeoutMs: 20_000 });
    await p.waitForOutput("loop-started");
    const sent = Date.now();
    p.child.kill("SIGINT");
    const r = await p.result;
    expect(Date.now() - sent).toBeLessThan(5_000);
    expect(r.signal).toBeNull();
    expect(r.code).toBe(1);
    expect(lines(r.stdout)).toEqual(expect.arrayContaining(["finally-marker", "host-finally-marker"]));
    expect(r.stdout).not.toContain("not-reached");
  });

  test("SIGTERM stops the pipeline too, then exits 143", async () => {
    const p = spawnPs(loop, { timeoutMs: 20_000 });
    await p.waitForOutput("loop-started");
    p.child.kill("SIGTERM");
    const r = await p.result;
    expect(r.code).toBe(143);
    expect(lines(r.stdout)).toContain("finally-marker");
  });
});

test("PSHOST points into test/pshost/out", () => {
  expect(PSHOST).toMatch(/test[\\/]pshost[\\/]out[\\/]pshost(\.exe)?$/);
});
