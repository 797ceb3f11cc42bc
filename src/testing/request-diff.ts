import { canonicalJson } from "../shared/canonical-hash.js";

/** At most this many differences are listed: the first ones say what changed. */
const MAX_LISTED = 12;
const MAX_TEXT = 160;

interface Difference {
  path: string;
  recorded: unknown;
  now: unknown;
}

/** True when two recorded requests are the same (key order aside). */
export function sameRequest(a: unknown, b: unknown): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

/**
 * The differences between a recorded model request and the one made now, one per line, each
 * named by where it is: `messages[1] (user) content[0].text`, `tools "post" description`,
 * `temperature`; an added or removed message, tool or parameter is named as such.
 */
export function describeRequestChange(
  recorded: Record<string, unknown>,
  now: Record<string, unknown>,
): string {
  const diffs: Difference[] = [];
  walk(recorded, now, [], diffs);
  const lines = diffs.slice(0, MAX_LISTED).map((d) => {
    const where = readablePath(d.path, recorded, now);
    if (d.recorded === undefined) return `  ${where}: added in the request now: ${show(d.now)}`;
    if (d.now === undefined) return `  ${where}: in the recording, missing now (was ${show(d.recorded)})`;
    const [was, is] = window(d.recorded, d.now);
    return `  ${where}:\n    - recorded: ${was}\n    + now:      ${is}`;
  });
  if (diffs.length > MAX_LISTED) lines.push(`  … and ${diffs.length - MAX_LISTED} more differences`);
  return lines.join("\n");
}

function walk(a: unknown, b: unknown, path: (string | number)[], out: Difference[]): void {
  if (canonicalJson(a) === canonicalJson(b)) return;
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(a[i], b[i], [...path, i], out);
    return;
  }
  if (isObject(a) && isObject(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[k], b[k], [...path, k], out);
    return;
  }
  out.push({ path: encodePath(path), recorded: a, now: b });
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function encodePath(path: (string | number)[]): string {
  return JSON.stringify(path);
}

/** `["prompt",1,"content",0,"text"]` → `messages[1] (user) content[0].text`. */
function readablePath(
  encoded: string,
  recorded: Record<string, unknown>,
  now: Record<string, unknown>,
): string {
  const path = JSON.parse(encoded) as (string | number)[];
  const [head, index, ...rest] = path;
  const tail = (parts: (string | number)[]) =>
    parts.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
  if (head === "prompt" && typeof index === "number") {
    const message = ((now.prompt as unknown[] | undefined)?.[index] ??
      (recorded.prompt as unknown[] | undefined)?.[index]) as { role?: string } | undefined;
    const role = message?.role ? ` (${message.role})` : "";
    return `messages[${index}]${role}${rest.length ? ` ${tail(rest)}` : ""}`;
  }
  if (head === "tools" && typeof index === "number") {
    const tool = ((now.tools as unknown[] | undefined)?.[index] ??
      (recorded.tools as unknown[] | undefined)?.[index]) as { name?: string } | undefined;
    return `tools[${index}]${tool?.name ? ` "${tool.name}"` : ""}${rest.length ? ` ${tail(rest)}` : ""}`;
  }
  return tail(path) || "the request";
}

/** Two strings from shortly before where they first differ, so a long prompt's change shows. */
function window(a: unknown, b: unknown): [string, string] {
  if (typeof a !== "string" || typeof b !== "string") return [show(a), show(b)];
  let p = 0;
  while (p < a.length && p < b.length && a[p] === b[p]) p++;
  const from = p > 40 ? p - 30 : 0;
  const cut = (s: string) => (from > 0 ? `…${show(s.slice(from))}` : show(s));
  return [cut(a), cut(b)];
}

function show(v: unknown): string {
  const text = v === undefined ? "nothing" : JSON.stringify(v);
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT)}… (${text.length} chars)` : text;
}
