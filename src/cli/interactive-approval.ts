import { createInterface } from "node:readline/promises";
import { decideApproval, isToolApprovalRequest } from "../agent/tool-approval.js";
import type { ApprovalRecord } from "../store/records.js";
import { deciderName } from "./commands/approvals.js";
import type { CliContext } from "./engine-context.js";
import { bold, cyan, dim, green, red, yellow } from "./format.js";

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
  let decided = false;
  try {
    for (const a of pending) {
      showRequest(a);
      for (;;) {
        const answer = (await rl.question(`${bold("Approve?")} [y]es · [n]o · [e]dit arguments · [l]ater: `))
          .trim()
          .toLowerCase();
        try {
          if (answer === "y" || answer === "yes") {
            await decideApproval(ctx.engine, ctx.agents, a.id, { approve: true, by: deciderName(undefined) });
            console.log(green("  approved"));
          } else if (answer === "n" || answer === "no") {
            const reason =
              (await rl.question("  Why? (the agent is told, so it can adapt): ")).trim() ||
              "rejected at the terminal";
            await decideApproval(ctx.engine, ctx.agents, a.id, {
              approve: false,
              by: deciderName(undefined),
              reason,
            });
            console.log(red("  rejected"));
          } else if (answer === "e" || answer === "edit") {
            const text = await rl.question("  Arguments as JSON: ");
            await decideApproval(ctx.engine, ctx.agents, a.id, {
              approve: true,
              by: deciderName(undefined),
              args: JSON.parse(text) as unknown,
            });
            console.log(green("  approved with your arguments"));
          } else if (answer === "l" || answer === "later") {
            later.add(a.id);
            printHint(a);
            break;
          } else {
            continue;
          }
          decided = true;
          break;
        } catch (err) {
          console.log(red(`  ${(err as Error).message}`));
        }
      }
    }
  } finally {
    rl.close();
  }
  return decided;
}

function showRequest(a: ApprovalRecord): void {
  console.log("");
  console.log(`${yellow("⏸")} ${bold(a.title)} ${dim(`(${a.id})`)}`);
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
export function printHint(a: ApprovalRecord): void {
  console.log(`${yellow("⏸")} waiting for approval ${bold(a.id)}: ${a.title}`);
  const req = a.request;
  if (isToolApprovalRequest(req)) console.log(dim(`  ${req.tool}(${JSON.stringify(req.args)})`));
  console.log(
    dim(
      `  approve: cairn approve ${a.id}    reject: cairn reject ${a.id} --reason TEXT    then: cairn worker`,
    ),
  );
}
