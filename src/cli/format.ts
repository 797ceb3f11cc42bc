// eslint-disable-next-line no-control-regex -- matching the colour codes this file writes
const ANSI = /\x1b\[\d+m/g;
const useColor = process.stdout.isTTY === true && process.env.NO_COLOR === undefined;
const paint = (code: number) => (text: string) => (useColor ? `\x1b[${code}m${text}\x1b[0m` : text);
export const dim = paint(2);
export const bold = paint(1);
export const green = paint(32);
export const red = paint(31);
export const yellow = paint(33);
export const cyan = paint(36);

export function statusText(status: string): string {
  switch (status) {
    case "completed":
      return green(status);
    case "failed":
    case "cancelled":
      return red(status);
    case "needs-attention":
    case "waiting":
    case "retrying":
      return yellow(status);
    default:
      return cyan(status);
  }
}

export function duration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "";
  if (ms < 1) return "<1ms";
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s`;
  return `${Math.floor(ms / 3_600_000)}h${Math.round((ms % 3_600_000) / 60_000)}m`;
}

export function time(ms: number | null | undefined): string {
  return ms === null || ms === undefined
    ? ""
    : new Date(ms)
        .toISOString()
        .replace("T", " ")
        .replace(/\.\d+Z$/, "Z");
}

/** A short one-line preview of a JSON value. */
export function preview(value: unknown, max = 60): string {
  if (value === undefined) return "";
  const text = JSON.stringify(value) ?? "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** A cost in USD as a person reads it: "$0", "$0.000123", "$0.0457", "$1.24". */
export function cost(usd: number): string {
  if (usd === 0) return "$0";
  if (usd < 0.000001) return "<$0.000001";
  if (usd < 1) return `$${Number(usd.toPrecision(3)).toFixed(6).replace(/0+$/, "")}`;
  return `$${usd.toFixed(2)}`;
}

/** Text as a person reads it, on one line: line breaks and runs of spaces become one space. */
export function oneLine(text: string, max = 60): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Left-aligned columns; ANSI colour codes do not count towards widths. */
export function table(rows: string[][]): string {
  const visible = (s: string) => s.replace(ANSI, "").length;
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visible(cell))));
  return rows
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell + " ".repeat((widths[i] ?? 0) - visible(cell))))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + "\n");
}
