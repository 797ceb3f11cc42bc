import { createInterface } from "node:readline/promises";
import type { Interface } from "node:readline/promises";
import { decideApproval, isToolApprovalRequest } from "../agent/tool-approval.js";
import type { ApprovalRecord } from "../store/records.js";
import { deciderName } from "./commands/approvals.js";
import type { CliContext } from "./engine-context.js";
import { bold, cyan, dim, green, red, yellow } from "./format.js";
import { Stopped } from "./stopped.js";

/** Asking needs a person at a terminal: both ends attached to a TTY and no --json. */
export function canAsk(ctx: CliContext): boolean {
  return !ctx.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
}

/**
 * Shows each pending request and asks for a decision at the terminal. Returns whether anything
 * was decided; "later" leaves a request pending, and the run waits for it durably.
 */
export async function askApprovals(
  ctx: CliContext,
  pending: ApprovalRecord[],
  later: Set<string>,
): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const ask = asker(rl, pending);
  let decided = false;
  try {
    for (const a of pending) {
      showRequest(a);
      for (;;) {
        const answer = (await ask(`${bold("Approve?")} [y]es · [n]o · [e]dit arguments · [l]ater: `))
          .trim()
          .toLowerCase();
        try {
          if (answer === "y" || answer === "yes") {
            await decideApproval(ctx.engine, ctx.agents, a.id, { approve: true, by: deciderName(undefined) });
            console.log(green("  approved"));
          } else if (answer === "n" || answer === "no") {
            const reason =
              (await ask("  Why? (the agent is told, so it can adapt): ")).trim() ||
              "rejected at the terminal";
            await decideApproval(ctx.engine, ctx.agents, a.id, {
              approve: false,
              by: deciderName(undefined),
              reason,
            });
            console.log(red("  rejected"));
          } else if (answer === "e" || answer === "edit") {
            const text = await ask("  Arguments as JSON: ");
            await decideApproval(ctx.engine, ctx.agents, a.id, {
              approve: true,
              by: deciderName(undefined),
              args: JSON.parse(text) as unknown,
            });
            console.log(green("  approved with your arguments"));
          } else if (answer === "l" || answer === "later") {
            later.add(a.id);
            printHint(a, pending);
            break;
          } else {
            continue;
          }
          decided = true;
          break;
        } catch (err) {
          if (err instanceof Stopped) throw err;
          console.log(red(`  ${(err as Error).message}`));
        }
      }
    }
  } finally {
    rl.close();
  }
  return decided;
}

/**
 * `rl.question`, but Ctrl-C or Ctrl-D (end of input) stops the command with one line saying the
 * run waits and how to decide later, rather than a stack trace or a silent exit.
 */
function asker(rl: Interface, pending: ApprovalRecord[]): (prompt: string) => Promise<string> {
  const abort = new AbortController();
  let how: "interrupt" | "eof" | undefined;
  rl.on("SIGINT", () => {
    how ??= "interrupt";
    abort.abort();
  });
  rl.on("close", () => {
    how ??= "eof";
    abort.abort();
  });
  return async (prompt) => {
    try {
      if (how === undefined) return await rl.question(prompt, { signal: abort.signal });
    } catch (err) {
      if (how === undefined) throw err;
    }
    process.stdout.write("\n");
    const [first] = pending;
    const more = pending.length > 1 ? ` (and ${pending.length - 1} more: cairn approvals ls)` : "";
    throw new Stopped(
      `${how === "interrupt" ? "interrupted" : "no answer (end of input)"} at the approval prompt; ` +
        `run ${first?.runId ?? ""} waits for a decision, holding no process. Decide later: ` +
        `cairn approve ${first?.id ?? "ID"} or cairn reject ${first?.id ?? "ID"} --reason TEXT${more}, then cairn worker`,
      how === "interrupt" ? 130 : 0,
    );
  };
}

function showRequest(a: ApprovalRecord): void {
  console.log("");
  console.log(
    `${yellow("⏸")} ${bold(a.title)} ${dim(`(${a.id}${a.batchId ? `, batch ${a.batchId}` : ""})`)}`,
  );
  const req = a.request;
  if (isToolApprovalRequest(req)) {
    if (req.message) console.log(`  ${dim("why ")}${req.message}`);
    console.log(
      `  ${dim("call")} ${cyan(req.tool)}(${JSON.stringify(req.args, null, 2).replace(/\n/g, "\n  ")})`,
    );
  } else {
    console.log(`  ${JSON.stringify(req, null, 2).replace(/\n/g, "\n  ")}`);
  }
  if (a.dueAt !== null) console.log(dim(`  expires ${new Date(a.dueAt).toISOString()}`));
}

/** How to decide later, from anywhere: the run waits durably meanwhile. */
export function printHint(a: ApprovalRecord, pending: ApprovalRecord[] = [a]): void {
  console.log(`${yellow("⏸")} waiting for approval ${bold(a.id)}: ${a.title}`);
  const req = a.request;
  if (isToolApprovalRequest(req)) console.log(dim(`  ${req.tool}(${JSON.stringify(req.args)})`));
  console.log(
    dim(
      `  approve: cairn approve ${a.id}    reject: cairn reject ${a.id} --reason TEXT    then: cairn worker`,
    ),
  );
  if (a.batchId !== null && pending.filter((p) => p.batchId === a.batchId).length > 1)
    console.log(
      dim(
        `  batch ${a.batchId}: the calls of one model turn; all at once: cairn approve --batch ${a.batchId}`,
      ),
    );
}
