// Prints the benchmark's figures as a plain-text table. Measures nothing.
import type { Figure } from "./support.js";
import { fmt } from "./support.js";

export function printTable(figures: readonly Figure[]): void {
  const rows = figures.map((f) => [
    f.section,
    f.metric,
    fmt(f.value),
    f.unit,
    f.ok === undefined ? "" : f.ok ? "ok" : "MISS",
    f.note ?? "",
  ]);
  const header = ["section", "metric", "value", "unit", "target", "notes"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]!) : i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w, i) => "-".repeat(i === widths.length - 1 ? Math.min(w, 40) : w)).join("  "));
  let section = "";
  for (const r of rows) {
    if (r[0] === section) r[0] = "";
    else section = r[0]!;
    console.log(line(r));
  }
}
