import { modelStepMeasure } from "../../agent/usage-report.js";
import type { StepView } from "../../engine/run-diff.js";
import { diffRuns } from "../../engine/run-diff.js";
import type { Parsed } from "../args.js";
import { openStore } from "../context.js";
import {
  bold,
  cost,
  dim,
  duration,
  green,
  preview,
  printJson,
  red,
  statusText,
  table,
  yellow,
} from "../format.js";
import { positionals } from "./runs.js";

/** `cairn runs diff A B`: the two runs' steps side by side, and where they first part. */
export async function runsDiffCommand(args: Parsed): Promise<number> {
  const [a, b] = positionals(args, 2, "runs diff A B") as [string, string];
  const ctx = await openStore(args, { readOnly: true });
  try {
    const d = await diffRuns(ctx.journal, ctx.workspace, a, b, modelStepMeasure);
    if (ctx.json) {
      printJson(d);
      return 0;
    }
    console.log(`${bold("A")} ${a}  ${d.a.workflow}  ${statusText(d.a.status)}`);
    console.log(`${bold("B")} ${b}  ${d.b.workflow}  ${statusText(d.b.status)}`);
    const rows = [["", "STEP", "KIND", "A", "B"].map((h) => dim(h))];
    for (const s of d.steps) {
      const mark = s.same ? dim("=") : s.stepId === d.firstDivergence ? red("≠") : yellow("≠");
      rows.push([mark, s.stepId, s.kind, side(s.a), side(s.b)]);
    }
    console.log(table(rows));
    console.log(
      d.firstDivergence === null
        ? green("the runs take the same steps with the same results")
        : `first divergence: ${bold(d.firstDivergence)}`,
    );
    return 0;
  } finally {
    await ctx.close();
  }
}

/** One run's side of a step: status, result (or error), time, tokens and cost. */
function side(v: StepView | null): string {
  if (v === null) return dim("—");
  const parts = [statusText(v.status), v.error ? red(v.error.message.slice(0, 40)) : preview(v.output, 32)];
  parts.push(dim(duration(v.durationMs)));
  if (v.attempts > 1) parts.push(dim(`×${v.attempts}`));
  if (v.tokens) parts.push(dim(`${v.tokens.input}→${v.tokens.output} tok`));
  if (v.costUsd !== undefined) parts.push(dim(cost(v.costUsd)));
  return parts.join(" ");
}
