import { createHash } from "node:crypto";

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== "object" || v === null || Array.isArray(v)) return v;
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    );
  });
}

/** A stable hash of a JSON value: what an approval is bound to. */
export function hashJson(value: unknown): string {
  return createHash("sha256")
    .update(canonicalJson(value) ?? "undefined")
    .digest("hex");
}
