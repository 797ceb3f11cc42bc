/**
 * A run's redactor: every secret value resolved for the run is registered here, and tool
 * results, errors, progress and log lines pass through it before they are journaled, streamed,
 * logged or shown to the model. A value becomes its placeholder, `{{credential:NAME}}`.
 */
export class Redactor {
  /** Each form a value may take (raw, URL- and JSON-escaped, base64), longest first. */
  private forms: { text: string; label: string }[] = [];

  /** Registers a secret value under `name`; values under 4 characters are too short to find safely. */
  add(value: string, name: string): void {
    if (value.length < 4) return;
    const label = placeholder(name);
    const variants = new Set([
      value,
      encodeURIComponent(value),
      JSON.stringify(value).slice(1, -1),
      Buffer.from(value, "utf8").toString("base64"),
      Buffer.from(value, "utf8").toString("base64url"),
    ]);
    for (const text of variants) {
      if (!this.forms.some((f) => f.text === text)) this.forms.push({ text, label });
    }
    this.forms.sort((a, b) => b.text.length - a.text.length);
  }

  get size(): number {
    return this.forms.length;
  }

  text(s: string): string {
    let out = s;
    for (const f of this.forms) if (out.includes(f.text)) out = out.split(f.text).join(f.label);
    return out;
  }

  /** A JSON-like value with every string (keys too) redacted; other values as they are. */
  value<T>(v: T): T {
    if (this.forms.length === 0) return v;
    return this.deep(v, 0) as T;
  }

  /** The error as it may be stored: message, stack and causes redacted; name and code kept. */
  error(err: unknown): unknown {
    if (this.forms.length === 0) return err;
    if (!(err instanceof Error)) return typeof err === "string" ? this.text(err) : this.value(err);
    const out = new Error(
      this.text(err.message),
      err.cause === undefined ? undefined : { cause: this.error(err.cause) },
    );
    out.name = err.name;
    out.stack = err.stack === undefined ? undefined : this.text(err.stack);
    for (const [k, v] of Object.entries(err)) {
      if (k !== "cause") (out as unknown as Record<string, unknown>)[k] = this.value(v);
    }
    // A Cairn error stays one (its code and whether it may be retried), whatever copy made it.
    for (const sym of Object.getOwnPropertySymbols(err)) {
      (out as unknown as Record<symbol, unknown>)[sym] = (err as unknown as Record<symbol, unknown>)[sym];
    }
    return out;
  }

  private deep(v: unknown, depth: number): unknown {
    if (typeof v === "string") return this.text(v);
    if (depth > 64 || v === null || typeof v !== "object") return v;
    if (Array.isArray(v)) return v.map((x) => this.deep(x, depth + 1));
    if (v instanceof Date) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[this.text(k)] = this.deep(x, depth + 1);
    return out;
  }
}

/** What a tool holds instead of a credential's value. */
export function placeholder(name: string): string {
  return `{{credential:${name}}}`;
}
