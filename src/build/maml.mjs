/**
 * The module's help: one Markdown page per cmdlet in docs/help/<Cmdlet>.md (the seeds' layout, as
 * platyPS writes it) → one MAML file, module/en-US/AzTokenBridge-help.xml, which Get-Help reads for
 * every function carrying `# .ExternalHelp AzTokenBridge-help.xml` (module/Public/*.ps1).
 * Called by src/build/build.mjs (step "help"). The pages are the only source of the help: this
 * file only converts, and refuses a page whose SYNTAX block and parameter blocks disagree.
 *
 * A page:
 *   --- front matter (`online version: <url>` becomes the first related link, Get-Help -Online) ---
 *   # <Cmdlet>
 *   ## SYNOPSIS · ## SYNTAX (`### <Set>` [+ " (Default)"] then a code block, or one code block)
 *   ## DESCRIPTION · ## EXAMPLES (`### <title>`, ```powershell code, ```output output, text)
 *   ## PARAMETERS (`### -<Name>`, text, then one ```yaml block per group of sets: Type, Parameter Sets,
 *      Aliases, Accepted values, Required, Position, Default value, Accept pipeline input,
 *      Accept wildcard characters; `### CommonParameters` is left to PowerShell)
 *   ## INPUTS / ## OUTPUTS (`### <type>` then text) · ## NOTES · ## RELATED LINKS ([text](url))
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { marked } from "marked";

const NS =
  'xmlns:maml="http://schemas.microsoft.com/maml/2004/10" xmlns:command="http://schemas.microsoft.com/maml/dev/command/2004/10" ' +
  'xmlns:dev="http://schemas.microsoft.com/maml/dev/2004/10" xmlns:MSHelp="http://msdn.microsoft.com/mshelp"';

/** XML text/attribute escaping; characters XML 1.0 cannot carry are dropped. */
export function xmlEscape(s) {
  return String(s)
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

const decode = (s) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, "&");

/** Plain text of inline tokens (emphasis and code marks dropped, a link as its text). */
function inline(tokens, raw) {
  if (!tokens) return decode(raw ?? "");
  return tokens
    .map((t) => {
      if (t.tokens) return inline(t.tokens, t.text);
      if (t.type === "br") return "\n";
      if (t.type === "html") return /^<!--/.test(t.raw) ? "" : t.raw;
      return decode(t.text ?? t.raw ?? "");
    })
    .join("");
}

/** Block tokens → paragraphs of text. Soft line breaks join with a space; code keeps its lines. */
function paras(tokens) {
  const out = [];
  for (const t of tokens) {
    if (t.type === "paragraph" || t.type === "text" || t.type === "heading") out.push(inline(t.tokens, t.text).replace(/[ \t]*\n[ \t]*/g, " ").trim());
    else if (t.type === "list") {
      for (const item of t.items) out.push(`- ${paras(item.tokens).join(" ")}`);
    } else if (t.type === "code") out.push(t.text);
    else if (t.type === "blockquote") out.push(...paras(t.tokens));
  }
  return out.filter((p) => p !== "");
}

/** Splits tokens at headings of `depth`: [{ title, tokens }]. Tokens before the first are under title null. */
function sections(tokens, depth) {
  const out = [{ title: null, tokens: [] }];
  for (const t of tokens) {
    if (t.type === "heading" && t.depth === depth) out.push({ title: inline(t.tokens, t.text).trim(), tokens: [] });
    else out[out.length - 1].tokens.push(t);
  }
  return out;
}

function frontMatter(md) {
  const m = /^---\r?\n([\s\S]*?)\r?\n---\r?\n/.exec(md);
  if (!m) return { meta: {}, body: md };
  const meta = {};
  for (const line of m[1].split(/\r?\n/)) {
    const i = line.indexOf(":");
    if (i > 0) meta[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { meta, body: md.slice(m[0].length) };
}

const YAML_KEYS = {
  "type": "type",
  "parameter sets": "sets",
  "aliases": "aliases",
  "accepted values": "accepted",
  "required": "required",
  "position": "position",
  "default value": "defaultValue",
  "accept pipeline input": "pipeline",
  "accept wildcard characters": "wildcard",
};

function parseYamlBlock(text, where) {
  const b = {};
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim()) continue;
    const i = line.indexOf(":");
    const key = YAML_KEYS[line.slice(0, i).trim().toLowerCase()];
    if (i < 0 || !key) throw new Error(`${where}: unknown line in the parameter block: ${JSON.stringify(line)}`);
    b[key] = line.slice(i + 1).trim();
  }
  for (const k of ["type", "sets", "required", "position", "defaultValue", "pipeline", "wildcard"]) {
    if (b[k] === undefined) throw new Error(`${where}: the parameter block has no '${Object.keys(YAML_KEYS).find((y) => YAML_KEYS[y] === k)}'`);
  }
  const list = (s) => (s ? s.split(",").map((x) => x.trim()).filter(Boolean) : []);
  return {
    ...b,
    sets: list(b.sets),
    aliases: list(b.aliases),
    accepted: list(b.accepted),
    required: /^true$/i.test(b.required),
  };
}

/** One page → the command's model. Throws on a page that does not follow the layout. */
export function parsePage(md, file) {
  const { meta, body } = frontMatter(md);
  const tokens = marked.lexer(body);
  const top = sections(tokens, 1);
  if (top.length !== 2) throw new Error(`${file}: one '# <Cmdlet>' heading expected`);
  const name = top[1].title;
  if (path.basename(file, ".md") !== name) throw new Error(`${file}: the page is named for ${name}`);
  const parts = {};
  for (const s of sections(top[1].tokens, 2).slice(1)) parts[s.title.toUpperCase()] = s.tokens;
  for (const required of ["SYNOPSIS", "SYNTAX", "DESCRIPTION", "EXAMPLES", "PARAMETERS", "INPUTS", "OUTPUTS", "NOTES", "RELATED LINKS"]) {
    if (!parts[required]) throw new Error(`${file}: no '## ${required}' section`);
  }

  // PARAMETERS: `### -Name`, its text, then its yaml blocks.
  const parameters = [];
  for (const s of sections(parts.PARAMETERS, 3).slice(1)) {
    if (s.title === "CommonParameters") continue;
    if (!s.title.startsWith("-")) throw new Error(`${file}: parameter heading '${s.title}' does not start with '-'`);
    const pname = s.title.slice(1);
    const blocks = s.tokens.filter((t) => t.type === "code" && t.lang === "yaml").map((t) => parseYamlBlock(t.text, `${file} -${pname}`));
    if (!blocks.length) throw new Error(`${file}: -${pname} has no yaml block`);
    parameters.push({ name: pname, description: paras(s.tokens.filter((t) => !(t.type === "code" && t.lang === "yaml"))), blocks });
  }
  const byName = new Map(parameters.map((p) => [p.name.toLowerCase(), p]));

  // SYNTAX: `### Set` + code, or one code block. The order and the shown type names come from here.
  const syntax = [];
  const syntaxSections = sections(parts.SYNTAX, 3);
  const unnamed = syntaxSections[0].tokens.filter((t) => t.type === "code");
  const sets = unnamed.length ? [{ set: null, code: unnamed[0].text }] : [];
  for (const s of syntaxSections.slice(1)) {
    const code = s.tokens.find((t) => t.type === "code");
    if (!code) throw new Error(`${file}: syntax set ${s.title} has no code block`);
    sets.push({ set: s.title.replace(/\s*\(Default\)\s*$/i, ""), code: code.text });
  }
  if (!sets.length) throw new Error(`${file}: the SYNTAX section has no code block`);
  const shownType = new Map();
  for (const { set, code } of sets) {
    const text = code.replace(/\s+/g, " ").trim();
    if (!text.startsWith(`${name} `)) throw new Error(`${file}: syntax${set ? ` ${set}` : ""} does not start with ${name}`);
    const items = [];
    const re = /(\[)?-(\w+)(?: <([^>]+)>)?(\])?/g;
    let m;
    const rest = text.slice(name.length);
    while ((m = re.exec(rest))) {
      const [, open, pname, type, close] = m;
      if (!!open !== !!close) throw new Error(`${file}: syntax${set ? ` ${set}` : ""}: unbalanced brackets around -${pname}`);
      const p = byName.get(pname.toLowerCase());
      if (!p) throw new Error(`${file}: syntax${set ? ` ${set}` : ""} names -${pname}, which PARAMETERS does not describe`);
      const block = set === null ? p.blocks[0] : p.blocks.find((b) => b.sets.includes("(All)") || b.sets.includes(set));
      if (!block) throw new Error(`${file}: -${pname} has no yaml block for the set ${set}`);
      if (block.required === !!open) throw new Error(`${file}: syntax${set ? ` ${set}` : ""} shows -${pname} as ${open ? "optional" : "required"}, its yaml block says Required: ${block.required}`);
      if (type) shownType.set(p.name, type);
      items.push({ parameter: p, block, type: type ?? null });
    }
    syntax.push({ set, items });
  }
  for (const p of parameters) {
    if (!syntax.some((s) => s.items.some((i) => i.parameter === p))) throw new Error(`${file}: -${p.name} is in no syntax block`);
  }

  const examples = sections(parts.EXAMPLES, 3)
    .slice(1)
    .map((s) => ({
      title: s.title,
      code: s.tokens.filter((t) => t.type === "code" && t.lang !== "output").map((t) => t.text.replace(/^<!--.*?-->\s*\n?/gm, "").trimEnd()),
      output: s.tokens.filter((t) => t.type === "code" && t.lang === "output").map((t) => t.text.trimEnd()),
      remarks: paras(s.tokens.filter((t) => t.type !== "code")),
    }));
  if (!examples.length) throw new Error(`${file}: no example`);

  const typed = (tokens) =>
    sections(tokens, 3)
      .slice(1)
      .map((s) => ({ type: s.title, description: paras(s.tokens) }));

  const links = [];
  if (meta["online version"]) links.push({ text: "Online Version:", uri: meta["online version"] });
  const walkLinks = (tokens) => {
    for (const t of tokens) {
      if (t.type === "link") links.push({ text: inline(t.tokens, t.text), uri: t.href });
      else if (t.tokens) walkLinks(t.tokens);
      else if (t.items) for (const it of t.items) walkLinks(it.tokens);
    }
  };
  walkLinks(parts["RELATED LINKS"]);

  return {
    name,
    synopsis: paras(parts.SYNOPSIS).join(" "),
    description: paras(parts.DESCRIPTION),
    syntax,
    parameters,
    shownType,
    examples,
    inputs: typed(parts.INPUTS),
    outputs: typed(parts.OUTPUTS),
    notes: paras(parts.NOTES),
    links,
  };
}

const el = (tag, text) => `<${tag}>${xmlEscape(text)}</${tag}>`;
const paraList = (items, indent) =>
  items.length ? items.map((p) => `${indent}${el("maml:para", p)}`).join("\n") : `${indent}<maml:para></maml:para>`;

function shortType(full) {
  const t = full.replace(/^System\.Nullable`1\[\[?([^,\]]+).*$/, "$1");
  return t.slice(t.lastIndexOf(".") + 1);
}

function parameterXml(cmd, p, block, { inSyntax, shown, indent }) {
  const i = indent;
  const isSwitch = /SwitchParameter$/.test(block.type);
  const typeName = shown ?? cmd.shownType.get(p.name) ?? shortType(block.type);
  // `required` is read as a boolean: the first block's, as platyPS does; where the sets differ, the
  // description says which.
  const required = block.required ? "true" : "false";
  const description = [...p.description];
  if (!inSyntax && block.accepted.length) description.push(`Accepted values: ${block.accepted.join(", ")}`);
  if (!inSyntax && new Set(p.blocks.map((b) => b.required)).size > 1) {
    const yes = p.blocks.filter((b) => b.required).flatMap((b) => b.sets);
    const no = p.blocks.filter((b) => !b.required).flatMap((b) => b.sets);
    description.push(`Required in the parameter sets ${yes.join(", ")}; optional in ${no.join(", ")}.`);
  }
  const lines = [
    `${i}<command:parameter required="${xmlEscape(required)}" variableLength="true" globbing="${/^true$/i.test(block.wildcard)}" pipelineInput="${xmlEscape(block.pipeline)}" position="${xmlEscape(block.position.toLowerCase())}" aliases="${xmlEscape(block.aliases.join(", ") || "none")}">`,
    `${i}  ${el("maml:name", p.name)}`,
    `${i}  <maml:description>`,
    paraList(description, `${i}    `),
    `${i}  </maml:description>`,
  ];
  if (!inSyntax && block.accepted.length) {
    lines.push(`${i}  <command:parameterValueGroup>`);
    for (const v of block.accepted) lines.push(`${i}    <command:parameterValue required="false" command:variableLength="false">${xmlEscape(v)}</command:parameterValue>`);
    lines.push(`${i}  </command:parameterValueGroup>`);
  }
  if (!isSwitch) lines.push(`${i}  <command:parameterValue required="true" variableLength="false">${xmlEscape(typeName)}</command:parameterValue>`);
  else if (!inSyntax) lines.push(`${i}  <command:parameterValue required="false" variableLength="false">SwitchParameter</command:parameterValue>`);
  lines.push(`${i}  <dev:type>`, `${i}    ${el("maml:name", block.type)}`, `${i}    <maml:uri />`, `${i}  </dev:type>`);
  lines.push(`${i}  ${el("dev:defaultValue", block.defaultValue)}`, `${i}</command:parameter>`);
  return lines.join("\n");
}

/** The MAML of one command. */
export function commandXml(cmd) {
  const [verb, ...noun] = cmd.name.split("-");
  const out = [];
  out.push(`  <command:command ${NS}>`);
  out.push("    <command:details>", `      ${el("command:name", cmd.name)}`, `      ${el("command:verb", verb)}`, `      ${el("command:noun", noun.join("-"))}`);
  out.push("      <maml:description>", paraList([cmd.synopsis], "        "), "      </maml:description>", "    </command:details>");
  out.push("    <maml:description>", paraList(cmd.description, "      "), "    </maml:description>");
  out.push("    <command:syntax>");
  for (const s of cmd.syntax) {
    out.push("      <command:syntaxItem>", `        ${el("maml:name", cmd.name)}`);
    for (const item of s.items) out.push(parameterXml(cmd, item.parameter, item.block, { inSyntax: true, shown: item.type, indent: "        " }));
    out.push("      </command:syntaxItem>");
  }
  out.push("    </command:syntax>");
  out.push("    <command:parameters>");
  for (const p of cmd.parameters) out.push(parameterXml(cmd, p, p.blocks[0], { inSyntax: false, indent: "      " }));
  out.push("    </command:parameters>");
  for (const [wrap, one, list] of [
    ["command:inputTypes", "command:inputType", cmd.inputs],
    ["command:returnValues", "command:returnValue", cmd.outputs],
  ]) {
    out.push(`    <${wrap}>`);
    for (const t of list) {
      out.push(`      <${one}>`, "        <dev:type>", `          ${el("maml:name", t.type)}`, "        </dev:type>");
      out.push("        <maml:description>", paraList(t.description, "          "), "        </maml:description>", `      </${one}>`);
    }
    out.push(`    </${wrap}>`);
  }
  out.push("    <maml:alertSet>", "      <maml:alert>", paraList(cmd.notes, "        "), "      </maml:alert>", "    </maml:alertSet>");
  out.push("    <command:examples>");
  for (const e of cmd.examples) {
    out.push("      <command:example>", `        ${el("maml:title", `-------------------------- ${e.title} --------------------------`)}`);
    out.push(`        ${el("dev:code", e.code.join("\n\n"))}`);
    out.push("        <dev:remarks>", paraList([...e.output, ...e.remarks], "          "), "        </dev:remarks>", "      </command:example>");
  }
  out.push("    </command:examples>");
  out.push("    <command:relatedLinks>");
  for (const l of cmd.links) {
    out.push("      <maml:navigationLink>", `        ${el("maml:linkText", l.text)}`, `        ${el("maml:uri", l.uri ?? "")}`, "      </maml:navigationLink>");
  }
  out.push("    </command:relatedLinks>");
  out.push("  </command:command>");
  return out.join("\n");
}

/** Reads every page of `docsDir` and writes the MAML file `outFile`. Returns the command names. */
export function buildHelp(docsDir, outFile) {
  const files = fs.readdirSync(docsDir).filter((f) => f.endsWith(".md")).sort();
  if (!files.length) throw new Error(`no help pages in ${docsDir}`);
  const commands = files.map((f) => parsePage(fs.readFileSync(path.join(docsDir, f), "utf8"), path.join(docsDir, f)));
  const xml = ['<?xml version="1.0" encoding="utf-8"?>', '<helpItems schema="maml" xmlns="http://msh">', ...commands.map(commandXml), "</helpItems>", ""].join("\n");
  fs.mkdirSync(path.dirname(outFile), { recursive: true });
  fs.writeFileSync(outFile, xml);
  return commands.map((c) => c.name);
}

// As a script (src/build/build.mjs runs it so): node src/build/maml.mjs <pages dir> <out.xml>
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [pages, out] = process.argv.slice(2);
  if (!pages || !out) {
    process.stderr.write("usage: node src/build/maml.mjs <pages dir> <out.xml>\n");
    process.exit(2);
  }
  try {
    buildHelp(pages, out);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
