import type { LanguageModelV3CallOptions } from "@ai-sdk/provider";

/** Header and field names whose values are credentials: never written to a recording. */
const SECRET_KEY =
  /^(authorization|proxy-authorization|api[-_]?key|x-api-key|x-goog-api-key|cookie|set-cookie)$/i;
/** Environment variables whose values are secrets, wherever they would appear in a recording. */
const SECRET_ENV = /(KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL)/i;

/**
 * Turns values JSON cannot hold (a Date in `response-metadata`, the bytes of a file part, a URL,
 * an Error part) into tagged JSON, so a recording reads back as the same values.
 */
export function encodeValue(value: unknown): unknown {
  if (value instanceof Date) return { $cairn: "date", value: value.toISOString() };
  if (value instanceof Uint8Array) return { $cairn: "bytes", base64: Buffer.from(value).toString("base64") };
  if (value instanceof URL) return { $cairn: "url", href: value.href };
  if (value instanceof Error) return { $cairn: "error", name: value.name, message: value.message };
  if (Array.isArray(value)) return value.map(encodeValue);
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encodeValue(v);
    return out;
  }
  return value;
}

export function decodeValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(decodeValue);
  if (typeof value !== "object" || value === null) return value;
  const v = value as Record<string, unknown>;
  switch (v.$cairn) {
    case "date":
      return new Date(String(v.value));
    case "bytes":
      return new Uint8Array(Buffer.from(String(v.base64), "base64"));
    case "url":
      return new URL(String(v.href));
    case "error": {
      const err = new Error(String(v.message));
      err.name = String(v.name);
      return err;
    }
    default:
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decodeValue(x)]));
  }
}

/**
 * Removes credentials from a value about to be recorded: fields named like a credential
 * (Authorization, api-key, cookies) are dropped, and any secret the environment holds (a variable
 * named *KEY, *TOKEN, *SECRET…) or a bearer token is replaced wherever it occurs in a string.
 */
export function scrubSecrets(value: unknown, env: Record<string, string | undefined>): unknown {
  const secrets = Object.entries(env)
    .filter(([name, v]) => SECRET_ENV.test(name) && v !== undefined && v.length >= 8)
    .map(([, v]) => v!);
  const scrub = (v: unknown): unknown => {
    if (typeof v === "string") {
      let s = v.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, "$1 [redacted]");
      for (const secret of secrets) s = s.split(secret).join("[redacted]");
      return s;
    }
    if (Array.isArray(v)) return v.map(scrub);
    if (typeof v === "object" && v !== null) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!SECRET_KEY.test(k)) out[k] = scrub(x);
      return out;
    }
    return v;
  };
  return scrub(value);
}

/**
 * What a model request is compared on: the conversation, the tools and every parameter that
 * changes the answer. Not the headers (they carry credentials) nor the abort signal.
 */
export function requestOf(options: LanguageModelV3CallOptions): Record<string, unknown> {
  const { abortSignal: _signal, headers: _headers, includeRawChunks: _raw, ...rest } = options;
  return encodeValue(rest) as Record<string, unknown>;
}
