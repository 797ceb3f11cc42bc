import type { Progress } from "../engine/progress.js";
import { cyan, dim, duration, green, preview, red, yellow } from "./format.js";

/** Prints an engine's progress as lines a person can follow. `only` limits it to some runs. */
export function printProgress(
  write: (line: string) => void,
  only?: (runId: string) => boolean,
): (p: Progress) => void {
  return (p) => {
    if (only && !only(p.runId)) return;
    const id = "stepId" in p ? p.stepId : "";
    switch (p.type) {
      case "run.started":
        write(dim(`  ${p.runId} · ${p.workflow} · executing (lease epoch ${p.epoch})`));
        break;
      case "step.started":
        write(`  ${cyan("▸")} ${id}${p.attempt > 1 ? dim(` (attempt ${p.attempt})`) : ""}`);
        break;
      case "step.replayed":
        write(`  ${dim("↺")} ${id} ${dim("served from the journal")}`);
        break;
      case "step.ended":
        if (p.status === "completed") {
          const out = p.output === undefined ? "" : dim(` → ${preview(p.output)}`);
          write(`  ${green("✓")} ${id} ${dim(duration(p.durationMs))}${out}`);
        } else {
          write(`  ${red("✗")} ${id} ${dim(duration(p.durationMs))} ${red(p.error?.message ?? "failed")}`);
        }
        break;
      case "step.retrying":
        write(
          `  ${yellow("↻")} ${id} attempt ${p.attempt} failed: ${p.error.message}; retrying at ${new Date(p.retryAt).toISOString()}`,
        );
        break;
      case "step.waiting":
        write(
          `  ${yellow("…")} ${id} ${p.event ? `waiting for event "${p.event}"` : p.kind === "invoke" ? "waiting for a child run" : "sleeping"}` +
            (p.until ? dim(` until ${new Date(p.until).toISOString()}`) : ""),
        );
        break;
      case "run.needs_attention":
        write(`  ${yellow("!")} ${p.reason}`);
        break;
      case "run.retrying":
        write(
          `  ${yellow("↻")} run failed (${p.error.message}); retrying at ${new Date(p.runAt).toISOString()}`,
        );
        break;
      case "run.lease_lost":
        write(`  ${red("!")} stopped: ${p.reason}`);
        break;
      case "run.ended":
      case "run.waiting":
      case "step.progress":
        break;
    }
  };
}
