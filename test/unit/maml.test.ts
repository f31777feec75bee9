/**
 * The help build step (src/build/maml.mjs): a page whose SYNTAX block and parameter blocks
 * disagree is refused, and text reaches the MAML escaped. Runs the step in a child Node (it is an
 * ES module, as the build is).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "../support/paths";

const MAML = pathToFileURL(path.join(ROOT, "src", "build", "maml.mjs")).href;

function page(syntax: string, required: "True" | "False", description = "The name."): string {
  return `---
online version: https://example.com/x?a=1&b=2
---

# Get-Thing

## SYNOPSIS
Gets a <thing> & more.

## SYNTAX

\`\`\`
${syntax}
\`\`\`

## DESCRIPTION
Text with "quotes" and 'apostrophes'.

## EXAMPLES

### Example 1: one
\`\`\`powershell
Get-Thing -Name a | Where-Object { $_ -lt 3 }
\`\`\`

Remarks.

## PARAMETERS

### -Name
${description}

\`\`\`yaml
Type: System.String
Parameter Sets: (All)
Aliases: N
Accepted values: a, b

Required: ${required}
Position: Named
Default value: None
Accept pipeline input: False
Accept wildcard characters: False
\`\`\`

## INPUTS

### None

## OUTPUTS

### System.String

## NOTES

## RELATED LINKS
`;
}

function build(md: string): { status: number | null; stderr: string; xml: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "aztb-maml-"));
  try {
    fs.mkdirSync(path.join(dir, "pages"));
    fs.writeFileSync(path.join(dir, "pages", "Get-Thing.md"), md);
    const out = path.join(dir, "out.xml");
    const r = spawnSync(process.execPath, ["--input-type=module", "-e", `import { buildHelp } from ${JSON.stringify(MAML)}; buildHelp(${JSON.stringify(path.join(dir, "pages"))}, ${JSON.stringify(out)});`], {
      cwd: ROOT,
      encoding: "utf8",
    });
    return { status: r.status, stderr: r.stderr, xml: fs.existsSync(out) ? fs.readFileSync(out, "utf8") : "" };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test("a page converts: escaped text, the syntax's type, aliases, accepted values, the online link", () => {
  const r = build(page("Get-Thing -Name <String> [<CommonParameters>]", "True"));
  expect(r.stderr).toBe("");
  expect(r.status).toBe(0);
  expect(r.xml).toContain("<maml:para>Gets a &lt;thing&gt; &amp; more.</maml:para>");
  expect(r.xml).toContain("<maml:para>Text with &quot;quotes&quot; and &apos;apostrophes&apos;.</maml:para>");
  expect(r.xml).toContain("<dev:code>Get-Thing -Name a | Where-Object { $_ -lt 3 }</dev:code>");
  expect(r.xml).toContain('aliases="N"');
  expect(r.xml).toContain('<command:parameterValue required="true" variableLength="false">String</command:parameterValue>');
  expect(r.xml).toContain("<maml:para>Accepted values: a, b</maml:para>");
  expect(r.xml).toContain("<maml:uri>https://example.com/x?a=1&amp;b=2</maml:uri>");
  // Nothing unescaped between tags.
  expect(r.xml.replace(/<[^>]+>/g, "")).not.toMatch(/[<>]|&(?!(amp|lt|gt|quot|apos);)/);
});

test("a SYNTAX block that shows a required parameter as optional is refused, naming it", () => {
  const r = build(page("Get-Thing [-Name <String>] [<CommonParameters>]", "True"));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/shows -Name as optional, its yaml block says Required: true/);
});

test("a SYNTAX block naming a parameter the page does not describe is refused", () => {
  const r = build(page("Get-Thing -Name <String> [-Other <Int32>] [<CommonParameters>]", "True"));
  expect(r.status).not.toBe(0);
  expect(r.stderr).toMatch(/names -Other, which PARAMETERS does not describe/);
});
