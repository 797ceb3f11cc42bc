import { parseArgs } from "node:util";
import { toMs } from "../shared/duration.js";
import { ErrorCode, InputError } from "../shared/errors.js";

/**
 * One flag of a command: its kind decides how its value is checked, so every command gets the
 * same validation and the docs can say what each flag takes.
 */
export type FlagDef = { help: string } & (
  | { type: "boolean"; short?: string }
  /** `multiple`: the flag may be given several times (`--output a=1 --output b=2`). */
  | { type: "string"; value: string; multiple?: true }
  | { type: "int"; value: string; min: number; max: number }
  /** A bare number is seconds; "500ms", "30s", "5m", "1h" also do. */
  | { type: "duration"; value: string; maxMs: number }
  | { type: "json"; value: string }
  | { type: "enum"; value: string; values: readonly string[] }
);

export type FlagDefs = Record<string, FlagDef>;

/** Flags every command accepts. */
export const GLOBAL_FLAGS: FlagDefs = {
  config: {
    type: "string",
    value: "PATH",
    help: "the config file (default ./cairn.config.ts, also .mts, .js, .mjs)",
  },
  store: {
    type: "string",
    value: "URL",
    help: "the store (overrides $CAIRN_STORE; default sqlite:.cairn/cairn.db)",
  },
  json: { type: "boolean", help: "machine-readable output" },
  help: { type: "boolean", short: "h", help: "show the command's usage" },
};

/**
 * Splits the global flags written before the command (`cairn --json runs ls`) from the rest:
 * they are parsed with the command's own, as if written after it. Stops at the first word that
 * is not one (the command), and at `--help`, which shows the main usage there.
 */
export function leadingGlobalFlags(argv: string[]): { flags: string[]; rest: string[] } {
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    const name = arg.startsWith("--") ? arg.slice(2).split("=", 1)[0]! : "";
    const def = name === "help" ? undefined : GLOBAL_FLAGS[name];
    if (def === undefined) break;
    if (def.type === "boolean" || arg.includes("=")) i += 1;
    else {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith("-"))
        throw new UsageError(
          `--${name} needs a value: cairn --${name} ${def.type === "string" ? def.value : "VALUE"} COMMAND`,
        );
      i += 2;
    }
  }
  return { flags: argv.slice(0, i), rest: argv.slice(i) };
}

/** Deepest JSON a flag takes: deeper values cannot be stored (and would overflow the stack). */
export const MAX_JSON_DEPTH = 100;

/** A JSON flag's value, boxed so that `null` stays `null` and a missing flag stays missing. */
export interface JsonValue {
  value: unknown;
}

/** A command's arguments, checked against its flag definitions. */
export class Parsed {
  constructor(
    readonly positionals: string[],
    private readonly values: Map<string, string | boolean | number | JsonValue | string[]>,
  ) {}

  has(name: string): boolean {
    return this.values.has(name);
  }
  flag(name: string): boolean {
    return this.values.get(name) === true;
  }
  string(name: string): string | undefined {
    const v = this.values.get(name);
    return typeof v === "string" ? v : undefined;
  }
  /** An `int` flag, or a `duration` flag in ms. */
  number(name: string): number | undefined {
    const v = this.values.get(name);
    return typeof v === "number" ? v : undefined;
  }
  json(name: string): JsonValue | undefined {
    const v = this.values.get(name);
    return typeof v === "object" && !Array.isArray(v) ? v : undefined;
  }
  /** Every value of a `multiple` flag, in the order given. */
  list(name: string): string[] {
    const v = this.values.get(name);
    return Array.isArray(v) ? v : [];
  }
}

/**
 * Parses a command's arguments: an unknown flag, a missing value or a value of the wrong kind
 * is a usage error naming the flag and what it takes.
 */
export function parse(command: string, argv: string[], flags: FlagDefs): Parsed {
  const all = { ...GLOBAL_FLAGS, ...flags };
  const options: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }> = {};
  for (const [name, def] of Object.entries(all)) {
    options[name] = {
      type: def.type === "boolean" ? "boolean" : "string",
      ...(def.type === "boolean" && def.short ? { short: def.short } : {}),
      ...(def.type === "string" && def.multiple ? { multiple: true } : {}),
    };
  }
  let raw: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true; strict: true }>>;
  try {
    raw = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(
      `cairn ${command}: ${(err as Error).message.replace(/\. To specify a positional.*$/s, "").replace(/\s*\n\s*/g, " ")}`,
    );
  }
  const values = new Map<string, string | boolean | number | JsonValue | string[]>();
  for (const [name, v] of Object.entries(raw.values)) {
    if (v === undefined) continue;
    values.set(name, Array.isArray(v) ? v.map(String) : check(`--${name}`, all[name]!, v));
  }
  return new Parsed(raw.positionals, values);
}

function check(flag: string, def: FlagDef, v: string | boolean): string | boolean | number | JsonValue {
  if (typeof v === "boolean") return v;
  switch (def.type) {
    case "boolean":
    case "string":
      return v;
    case "int": {
      const n = /^\s*\d+\s*$/.test(v) ? Number(v) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < def.min || n > def.max)
        throw new UsageError(
          `${flag} takes a whole number from ${def.min} to ${def.max.toLocaleString("en-US")}, not "${v}"`,
        );
      return n;
    }
    case "duration": {
      let ms: number;
      try {
        ms = /^\s*\d+(\.\d+)?\s*$/.test(v) ? Number(v) * 1000 : toMs(v);
      } catch {
        ms = Number.NaN;
      }
      if (!Number.isFinite(ms) || ms > def.maxMs)
        throw new UsageError(
          `${flag} takes a duration such as 90 (seconds), 30s, 5m or 1h (at most ${describeMs(def.maxMs)}), not "${v}"`,
        );
      return ms;
    }
    case "json":
      return { value: parseJson(flag, v) };
    case "enum":
      if (!def.values.includes(v))
        throw new UsageError(`${flag} takes one of ${def.values.join(", ")}; not "${v}"`);
      return v;
  }
}

function parseJson(flag: string, text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(
      `${flag} is not valid JSON (${(err as Error).message}); for example ${flag} '{"id": 1}'`,
    );
  }
  const depth = jsonDepth(value);
  if (depth > MAX_JSON_DEPTH)
    throw new UsageError(
      `${flag} is nested ${depth} levels deep (objects and arrays inside each other); at most ${MAX_JSON_DEPTH} levels are accepted: flatten it`,
    );
  return value;
}

/** How deep objects and arrays nest in a parsed JSON value; iterative, so any depth is measured. */
export function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    max = Math.max(max, d + 1);
    for (const child of Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}

function describeMs(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  return `${ms / 1000}s`;
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends InputError {
  constructor(message: string) {
    super(ErrorCode.InvalidInput, message);
    this.name = "UsageError";
  }
}
