import type { RunSummary } from "../../store/records.js";
import type { Agent, AgentInput } from "../../agent/agent.js";
import { sendToAgent } from "../../agent/send-to-agent.js";
import type { StartOptions, StartResult } from "../../engine/engine.js";
import type { Parsed } from "../args.js";
import { UsageError } from "../args.js";
import type { CommandDef } from "../command-table.js";
import { COMMANDS, usageLine } from "../command-table.js";
import { openContext } from "../engine-context.js";
import { missingConfig } from "../load-config.js";
import type { CliContext } from "../engine-context.js";
import { bold, dim, printJson, statusText, yellow } from "../format.js";
import { follow } from "../follow-run.js";

/** How long an attached `cairn run` waits for a timer before handing the run to workers. */
const DEFAULT_FOLLOW_MS = 60_000;

/** `cairn run NAME`: starts a run of a workflow or an agent and executes it here. */
export async function runCommand(args: Parsed): Promise<number> {
  const [name, ...message] = args.positionals;
  const given = args.json("input");
  if (name === undefined) throw new UsageError(`usage: ${usageLine(runDef())}`);
  if (message.length > 0 && given !== undefined)
    throw new UsageError(
      `give the message as words or the input as --input JSON, not both (words after "${name}": "${message.join(" ")}")`,
    );
  if (args.flag("detach") && args.flag("wait-only"))
    throw new UsageError(
      "--detach leaves at once and --wait-only follows the run to its end: give one of them",
    );
  const ctx = await openContext(args);
  try {
    if (ctx.configPath === undefined && !ctx.engine.workflows.some((w) => w.id === name))
      throw missingConfig(process.cwd());
    const key = args.string("idempotency-key");
    const options = key ? { idempotencyKey: key } : {};
    const agent = ctx.agents.get(name);
    const session = args.string("session");
    const user = args.string("user");
    let started: StartResult;
    if (agent !== undefined) {
      if (message.length === 0 && given === undefined)
        throw new UsageError(`cairn run ${name} needs a message: cairn run ${name} "what you want it to do"`);
      const input = given !== undefined ? given.value : { message: message.join(" ") };
      if (typeof input !== "object" || input === null || Array.isArray(input))
        throw new UsageError(`--input for agent "${name}" is an object such as {"message": "hello"}`);
      started = await startAgent(
        ctx,
        agent,
        { ...(input as AgentInput), ...(session ? { session } : {}), ...(user ? { user } : {}) },
        options,
      );
    } else {
      if (session !== undefined || user !== undefined)
        throw new UsageError(`--session and --user are for agents; "${name}" is a workflow`);
      if (message.length > 0) {
        // Words are an agent's message; a workflow's input is JSON, and guessing its shape would be wrong.
        throw new UsageError(
          `"${name}" is a workflow, not an agent: give its input as JSON with --input, e.g. ` +
            `cairn run ${name} --input '${JSON.stringify({ message: message.join(" ") })}'`,
        );
      }
      started = await ctx.engine.start(name, given !== undefined ? given.value : {}, options);
    }
    if (args.flag("detach")) {
      if (ctx.json) printJson(started);
      else
        console.log(
          `${started.created ? "queued" : "existing"} run ${bold(started.runId)} of ${name}; \`cairn worker\` executes it`,
        );
      return 0;
    }
    const followMs = args.number("follow-for") ?? DEFAULT_FOLLOW_MS;
    const run = await follow(ctx, started.runId, followMs, {
      print: !ctx.json,
      execute: !args.flag("wait-only"),
      fromStart: started.created,
      heading: `${bold("run")} ${started.runId} ${dim(`· ${agent ? "agent" : "workflow"} ${name}`)}`,
    });
    if (ctx.json) printJson(await ctx.journal.getRun(ctx.workspace, started.runId));
    else printOutcome(run);
    return run.status === "failed" || run.status === "cancelled" || run.status === "needs-attention" ? 1 : 0;
  } finally {
    await ctx.close();
  }
}

function runDef(): CommandDef {
  return COMMANDS.find((c) => c.name === "run")!;
}

/** Starts an agent run through its session policy, and says what happened to the message. */
async function startAgent(
  ctx: CliContext,
  agent: Agent,
  input: AgentInput,
  options: StartOptions,
): Promise<StartResult> {
  const sent = await sendToAgent(ctx.engine, agent, input, options);
  if (!ctx.json && sent.outcome === "steered")
    console.log(dim(`the message joined run ${sent.runId}, in flight in this session`));
  if (!ctx.json && sent.outcome === "queued") console.log(dim(`queued behind the session's run in flight`));
  if (!ctx.json && sent.outcome === "interrupted")
    console.log(dim(`interrupted the session's run in flight; this run answers both`));
  const run = await ctx.journal.getRunSummary(ctx.workspace, sent.runId);
  return { runId: sent.runId, created: sent.outcome !== "steered", status: run?.status ?? "queued" };
}

function printOutcome(run: RunSummary): void {
  console.log(`${bold(statusText(run.status))} ${dim(run.id)}`);
  if (run.status === "completed") {
    console.log(dim(`  \`cairn runs show ${run.id}\` shows its steps and output.`));
  } else if (run.status === "waiting") {
    console.log(yellow(`  ${run.reason ?? "waiting"}`));
    console.log(
      dim(`  The run holds no process while it waits. \`cairn worker\` resumes it when it is due;`),
    );
    console.log(dim(`  \`cairn runs show ${run.id}\` shows where it is.`));
  } else if (run.status === "needs-attention") {
    console.log(yellow(`  ${run.reason ?? ""}`));
  } else if (run.status === "failed" && run.error) {
    console.log(`  ${run.error.message}`);
  }
}
