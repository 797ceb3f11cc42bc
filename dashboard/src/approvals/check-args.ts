import { z } from "zod";

// The page's CSP allows no eval: zod must not try its compiled parsers (the refusal is logged).
z.config({ jitless: true });

/**
 * Checks edited arguments against the tool's JSON Schema (as the API gives it), so a person sees
 * what is wrong before sending; the server checks them again with the tool's own schema.
 * Returns the problems, one per line ("caption: Too big: …"), or none.
 */
export function checkArgs(schema: Record<string, unknown> | undefined, value: unknown): string[] {
  if (schema === undefined) return [];
  let validator: z.ZodType;
  try {
    validator = z.fromJSONSchema(schema);
  } catch {
    // A schema zod cannot read back: the server's check is the only one.
    return [];
  }
  const result = validator.safeParse(value);
  if (result.success) return [];
  return result.error.issues.map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message));
}
