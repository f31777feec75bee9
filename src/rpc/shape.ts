/**
 * A small declarative checker for JSON values, typed against the TypeScript interfaces it checks.
 *
 * `obj<T>({...})` must list every property of T, each with a checker of the property's type, and
 * marks T's optional properties with `opt(...)`: when src/protocol.ts changes an interface, the
 * shape table (src/rpc/params.ts) stops compiling until it follows. Parsing returns a copy that
 * holds only the declared properties (an optional property given as null is treated as absent),
 * so a handler never sees a value of another type or a field it does not know.
 *
 * Hand-written (about 150 lines) rather than a schema library: none is a dependency, and the
 * checks needed here are types only (values are the services' validation, with their own errors).
 */

/** Where a value is wrong and what was expected: "context.env.AZURE_CLIENT_ID", "a string", "a number". */
export interface ShapeProblem {
  path: string;
  expected: string;
  got: string;
}

export class ShapeError extends Error {
  constructor(readonly problem: ShapeProblem) {
    super(
      problem.got === "nothing"
        ? `${problem.path} is missing: it must be ${problem.expected}`
        : `${problem.path} must be ${problem.expected}, got ${problem.got}`,
    );
    this.name = "ShapeError";
  }
}

export type ShapeKind = "string" | "number" | "boolean" | "array" | "dict" | "object";

export interface Shape<T> {
  /** What the value must be, as words: "a string", "an object", "an array of strings". */
  readonly expected: string;
  /** For tests that generate values from the table: the kind, and what it holds. */
  readonly kind: ShapeKind;
  readonly item?: Shape<unknown>;
  readonly fields?: Readonly<Record<string, Shape<unknown> | Optional<unknown>>>;
  /** A copy of `value` with only the declared parts; throws ShapeError. */
  parse(value: unknown, path: string): T;
  /** Phantom: makes Shape covariant in T, so a checker of a wider type does not fit a narrower field. */
  readonly __type?: T;
}

/** Marks an optional property: absent or null is accepted (and left out of the copy). */
export interface Optional<T> {
  readonly optional: Shape<T>;
}

/** The JSON kind of a value, for messages: "a string", "a number", "null", "an array", "an object". */
export function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "an array";
  switch (typeof value) {
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "a boolean";
    case "object":
      return "an object";
    default:
      return typeof value;
  }
}

function fail(path: string, expected: string, value: unknown): never {
  throw new ShapeError({ path, expected, got: kindOf(value) });
}

function primitive<T>(kind: ShapeKind, expected: string, test: (v: unknown) => boolean): Shape<T> {
  return {
    kind,
    expected,
    parse(value, path) {
      if (!test(value)) fail(path, expected, value);
      return value as T;
    },
  };
}

/** A string. For a field whose type is a union of string literals, only the type is checked here
 * (`str<"Primary" | "Secondary">()`): the value is the service validation's, which names the
 * PowerShell parameter and the accepted values. */
export function str<T extends string = string>(): Shape<T> {
  return primitive<T>("string", "a string", (v) => typeof v === "string");
}

export const num: Shape<number> = primitive<number>("number", "a number", (v) => typeof v === "number" && Number.isFinite(v));
export const bool: Shape<boolean> = primitive<boolean>("boolean", "a boolean (true or false)", (v) => typeof v === "boolean");

export function opt<T>(shape: Shape<T>): Optional<T> {
  return { optional: shape };
}

export function arr<T>(item: Shape<T>): Shape<T[]> {
  const expected = `an array of ${item.expected.replace(/^an? /, "")}s`;
  return {
    kind: "array",
    item: item as Shape<unknown>,
    expected,
    parse(value, path) {
      if (!Array.isArray(value)) fail(path, expected, value);
      return value.map((v, i) => item.parse(v, `${path}[${i}]`));
    },
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** An object used as a map: any keys, every value of one shape. */
export function dict<T>(value: Shape<T>): Shape<Record<string, T>> {
  const expected = `an object whose values are ${value.expected.replace(/^an? /, "")}s`;
  return {
    kind: "dict",
    item: value as Shape<unknown>,
    expected,
    parse(v, path) {
      if (!isPlainObject(v)) fail(path, expected, v);
      const out: Record<string, T> = Object.create(null);
      for (const key of Object.keys(v)) out[key] = value.parse(v[key], path === "" ? key : `${path}.${key}`);
      return out;
    },
  };
}

/** `{} extends Pick<T, K>` is true exactly when K is an optional property of T. */
export type Fields<T> = {
  [K in keyof T]-?: {} extends Pick<T, K> ? Optional<Exclude<T[K], undefined>> : Shape<T[K]>;
};

/** An object with these properties; properties not declared are left out of the copy. */
export function obj<T>(fields: Fields<T>): Shape<T> {
  const entries = Object.entries(fields) as [string, Shape<unknown> | Optional<unknown>][];
  return {
    kind: "object",
    fields: Object.fromEntries(entries),
    expected: "an object",
    parse(value, path) {
      if (!isPlainObject(value)) fail(path, "an object", value);
      const out: Record<string, unknown> = {};
      for (const [key, field] of entries) {
        const at = path === "" ? key : `${path}.${key}`;
        const v = Object.hasOwn(value, key) ? value[key] : undefined;
        if ("optional" in field) {
          if (v !== undefined && v !== null) out[key] = field.optional.parse(v, at);
        } else {
          if (v === undefined) fail(at, field.expected, v);
          out[key] = field.parse(v, at);
        }
      }
      return out as T;
    },
  };
}
