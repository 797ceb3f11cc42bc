import type { Progress } from "../engine/progress.js";
import { cost, cyan, dim, duration, green, preview, red, yellow } from "./format.js";

export interface Output {
  /** Writes text as is (streamed model tokens). */
  write(text: string): void;
}

export const stdout: Output = { write: (text) => void process.stdout.write(text) };

/** A model step's output, as far as the printer cares. */
interface ModelTurnLike {
  usage?: { input: number; output: number };
  cost?: number | null;
  toolCalls?: { name: string; input: unknown }[];
  resent?: boolean;
}

/**
 * Prints an engine's progress as a person wants to follow it: each step as it starts and ends,
 * a model's tokens as they stream, and steps served from the journal marked as such. `only`
 * limits it to some runs.
 */
export function printProgress(out: Output, only?: (runId: string) => boolean): (p: Progress) => void {
  let streaming: string | undefined;
  const line = (text: string) => {
    if (streaming !== undefined) {
      out.write("\n");
      streaming = undefined;
    }
    out.write(text + "\n");
  };
  return (p) => {
    if (only && !only(p.runId)) return;
    switch (p.type) {
      case "run.started":
        line(dim(`  ${p.runId} · ${p.workflow} · executing (lease epoch ${p.epoch})`));
        break;
      case "step.started":
        line(`  ${cyan("▸")} ${p.stepId}${p.attempt > 1 ? dim(` (attempt ${p.attempt})`) : ""}`);
        break;
      case "step.progress":
        if (p.data.type === "text-delta" && typeof p.data.text === "string") {
          if (streaming !== p.stepId) {
            if (streaming !== undefined) out.write("\n");
            out.write("    ");
            streaming = p.stepId;
          }
          out.write(dim(p.data.text.replace(/\n/g, "\n    ")));
        }
        break;
      case "step.replayed":
        line(`  ${dim("↺")} ${p.stepId} ${dim("served from the journal")}`);
        break;
      case "step.ended":
        if (p.status === "completed")
          line(`  ${green("✓")} ${p.stepId} ${dim(duration(p.durationMs))}${describeOutput(p.output)}`);
        else
          line(
            `  ${red("✗")} ${p.stepId} ${dim(duration(p.durationMs))} ${red(p.error?.message ?? "failed")}`,
          );
        break;
      case "step.retrying":
        line(
          `  ${yellow("↻")} ${p.stepId} attempt ${p.attempt} failed: ${p.error.message}; retrying at ${new Date(p.retryAt).toISOString()}`,
        );
        break;
      case "step.waiting":
        line(
          `  ${yellow("…")} ${p.stepId} ${waitingFor(p)}` +
            (p.until ? dim(` until ${new Date(p.until).toISOString()}`) : ""),
        );
        break;
      case "run.needs_attention":
        line(`  ${yellow("!")} ${p.reason}`);
        break;
      case "run.retrying":
        line(
          `  ${yellow("↻")} run failed (${p.error.message}); retrying at ${new Date(p.runAt).toISOString()}`,
        );
        break;
      case "run.lease_lost":
        line(`  ${red("!")} stopped: ${p.reason}`);
        break;
      case "run.ended":
      case "run.waiting":
        if (streaming !== undefined) line("");
        break;
    }
  };
}

function waitingFor(p: Extract<Progress, { type: "step.waiting" }>): string {
  if (p.event) return `waiting for event "${p.event}"`;
  if (p.kind === "invoke") return "waiting for a child run";
  if (p.kind === "approval") return "waiting for a person's approval";
  return "sleeping";
}

/** A step's result in a few words: for a model call its tokens, cost and tool calls. */
function describeOutput(output: unknown): string {
  if (output === undefined) return "";
  const turn = output as ModelTurnLike;
  if (
    typeof output === "object" &&
    output !== null &&
    turn.usage !== undefined &&
    Array.isArray(turn.toolCalls)
  ) {
    const parts = [`${turn.usage.input + turn.usage.output} tokens`];
    // A scripted (or free) model's $0 says nothing worth a column.
    if (typeof turn.cost === "number" && turn.cost > 0) parts.push(cost(turn.cost));
    if (turn.resent) parts.push(yellow("re-sent after a crash"));
    const calls = turn.toolCalls.map((c) => `${c.name}(${preview(c.input, 50)})`).join(", ");
    return dim(` · ${parts.join(" · ")}`) + (calls ? dim(` → ${calls}`) : "");
  }
  return dim(` → ${preview(output)}`);
}
