/**
 * The OData `$filter` subset API Management accepts on collection GETs, e.g.
 *   name eq 'integration'        startswith(firstName, 'Ad')      contains(email, 'contoso')
 *   state eq 'blocked' and (lastName ne 'Vance' or not endswith(email, '.net'))
 *   substringof('ad', lastName)  registrationDate ge 2019-05-20T00:00:00Z
 *
 * Operators: eq ne gt ge lt le; functions: contains, startswith, endswith, substringof; and / or / not,
 * parentheses. String comparison is case-insensitive (inference: APIM's store compares
 * case-insensitively, the recorded `lastName eq 'ps1559'` filter does not tell). Which fields can be
 * filtered is decided by the caller (a map of field name → value getter).
 */

export type FieldValue = string | null | undefined;
export type FieldMap<T> = Record<string, (item: T) => FieldValue>;
export type Predicate<T> = (item: T) => boolean;

export class FilterError extends Error {}

type Token =
  | { kind: "ident"; text: string }
  | { kind: "string"; text: string }
  | { kind: "literal"; text: string }
  | { kind: "punct"; text: "(" | ")" | "," };

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < input.length) {
    const c = input[i];
    if (/\s/.test(c)) {
      i++;
    } else if (c === "(" || c === ")" || c === ",") {
      tokens.push({ kind: "punct", text: c });
      i++;
    } else if (c === "'") {
      let text = "";
      i++;
      for (;;) {
        if (i >= input.length) throw new FilterError("unterminated string literal");
        if (input[i] === "'") {
          if (input[i + 1] === "'") {
            text += "'";
            i += 2;
            continue;
          }
          i++;
          break;
        }
        text += input[i++];
      }
      tokens.push({ kind: "string", text });
    } else if (/[A-Za-z_$]/.test(c)) {
      const m = /^[A-Za-z_$][A-Za-z0-9_.$]*/.exec(input.slice(i))!;
      tokens.push({ kind: "ident", text: m[0] });
      i += m[0].length;
    } else if (/[0-9-]/.test(c)) {
      const m = /^[0-9][0-9A-Za-z:.+\-]*|^-[0-9][0-9.]*/.exec(input.slice(i));
      if (!m) throw new FilterError(`unexpected character '${c}'`);
      tokens.push({ kind: "literal", text: m[0] });
      i += m[0].length;
    } else {
      throw new FilterError(`unexpected character '${c}'`);
    }
  }
  return tokens;
}

const COMPARISONS = ["eq", "ne", "gt", "ge", "lt", "le"];
const FUNCTIONS = ["contains", "startswith", "endswith", "substringof"];

/** Parses `$filter` into a predicate over T; throws FilterError for anything it does not accept. */
export function compileFilter<T>(text: string, fields: FieldMap<T>): Predicate<T> {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token | undefined => tokens[pos];
  const isWord = (t: Token | undefined, w: string): boolean => t?.kind === "ident" && t.text.toLowerCase() === w;
  const expectPunct = (p: string): void => {
    const t = tokens[pos++];
    if (!(t?.kind === "punct" && t.text === p)) throw new FilterError(`expected '${p}'`);
  };
  const field = (): ((item: T) => FieldValue) => {
    const t = tokens[pos++];
    if (t?.kind !== "ident") throw new FilterError("expected a field name");
    const key = Object.keys(fields).find((k) => k.toLowerCase() === t.text.toLowerCase());
    if (!key) throw new FilterError(`field '${t.text}' cannot be filtered`);
    return fields[key];
  };
  const value = (): string => {
    const t = tokens[pos++];
    if (t?.kind === "string" || t?.kind === "literal") return t.text;
    if (t?.kind === "ident" && ["null", "true", "false"].includes(t.text.toLowerCase())) return t.text.toLowerCase();
    throw new FilterError("expected a value");
  };

  const primary = (): Predicate<T> => {
    const t = peek();
    if (t?.kind === "punct" && t.text === "(") {
      pos++;
      const inner = orExpr();
      expectPunct(")");
      return inner;
    }
    if (t?.kind === "ident" && FUNCTIONS.includes(t.text.toLowerCase()) && tokens[pos + 1]?.text === "(") {
      const fn = t.text.toLowerCase();
      pos += 2;
      let get: (item: T) => FieldValue;
      let needle: string;
      if (fn === "substringof") {
        needle = value().toLowerCase();
        expectPunct(",");
        get = field();
      } else {
        get = field();
        expectPunct(",");
        needle = value().toLowerCase();
      }
      expectPunct(")");
      return (item) => {
        const v = (get(item) ?? "").toLowerCase();
        if (fn === "startswith") return v.startsWith(needle);
        if (fn === "endswith") return v.endsWith(needle);
        return v.includes(needle);
      };
    }
    const get = field();
    const op = tokens[pos++];
    if (!(op?.kind === "ident" && COMPARISONS.includes(op.text.toLowerCase()))) throw new FilterError("expected a comparison operator");
    const rhs = value();
    const operator = op.text.toLowerCase();
    return (item) => compare(get(item), rhs, operator);
  };
  const unary = (): Predicate<T> => {
    if (isWord(peek(), "not")) {
      pos++;
      const inner = unary();
      return (item) => !inner(item);
    }
    return primary();
  };
  const andExpr = (): Predicate<T> => {
    let left = unary();
    while (isWord(peek(), "and")) {
      pos++;
      const l = left;
      const r = unary();
      left = (item) => l(item) && r(item);
    }
    return left;
  };
  const orExpr = (): Predicate<T> => {
    let left = andExpr();
    while (isWord(peek(), "or")) {
      pos++;
      const l = left;
      const r = andExpr();
      left = (item) => l(item) || r(item);
    }
    return left;
  };

  if (tokens.length === 0) throw new FilterError("empty filter");
  const predicate = orExpr();
  if (pos !== tokens.length) throw new FilterError("unexpected text after the expression");
  return predicate;
}

function compare(actual: FieldValue, expected: string, op: string): boolean {
  if (expected === "null") {
    const isNull = actual === null || actual === undefined;
    return op === "eq" ? isNull : op === "ne" ? !isNull : false;
  }
  if (actual === null || actual === undefined) return op === "ne";
  // Dates compare as instants when both sides parse as ISO dates.
  const a = Date.parse(actual);
  const b = Date.parse(expected);
  let c: number;
  if (/^\d{4}-\d{2}-\d{2}/.test(actual) && /^\d{4}-\d{2}-\d{2}/.test(expected) && !Number.isNaN(a) && !Number.isNaN(b)) {
    c = a === b ? 0 : a < b ? -1 : 1;
  } else {
    const x = actual.toLowerCase();
    const y = expected.toLowerCase();
    c = x === y ? 0 : x < y ? -1 : 1;
  }
  switch (op) {
    case "eq": return c === 0;
    case "ne": return c !== 0;
    case "gt": return c > 0;
    case "ge": return c >= 0;
    case "lt": return c < 0;
    default: return c <= 0;
  }
}
