import { parseArgs } from "node:util";
import { ErrorCode, InputError } from "../shared/errors.js";

export type FlagSpec = Record<string, { type: "string" | "boolean"; short?: string }>;

/** Flags every verb accepts. */
export const GLOBAL_FLAGS: FlagSpec = {
  config: { type: "string" },
  store: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Parses a verb's arguments; an unknown flag or a missing value is a usage error naming the verb. */
export function parse(verb: string, argv: string[], flags: FlagSpec): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...GLOBAL_FLAGS, ...flags },
      allowPositionals: true,
      strict: true,
    });
    return { values: values, positionals };
  } catch (err) {
    throw new UsageError(
      `cairn ${verb}: ${(err as Error).message.replace(/\. To specify a positional.*$/s, "")}`,
    );
  }
}

export function parseJsonFlag(flag: string, text: string | boolean | undefined): unknown {
  if (text === undefined || typeof text === "boolean") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new UsageError(
      `${flag} is not valid JSON (${(err as Error).message}); for example ${flag} '{"id": 1}'`,
    );
  }
}

export function parsePositiveInt(flag: string, text: string | boolean | undefined, fallback: number): number {
  if (text === undefined || typeof text === "boolean") return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`${flag} must be a whole number >= 1, not "${text}"`);
  return n;
}

/** A mistake in how the command was called: exit code 2. */
export class UsageError extends InputError {
  constructor(message: string) {
    super(ErrorCode.InvalidInput, message);
    this.name = "UsageError";
  }
}
