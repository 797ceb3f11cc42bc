import { appendFileSync } from "node:fs";
import { workflow } from "../../src/engine/workflow.js";

/**
 * The chaos test's workflows. Every step body appends one line to the execution log
 * (CAIRN_CHAOS_LOG) before doing anything else and returns the token it wrote, so the checker can
 * tell, for each committed step, whether any execution began after the one that was committed.
 */
export interface Execution {
  /** run id */
  r: string;
  /** step id */
  s: string;
  /** token, returned as the step's output */
  t: string;
  /** worker pid */
  p: number;
  /** wall-clock ms when the body began */
  at: number;
}

let executions = 0;

function execute(runId: string, stepId: string): string {
  const log = process.env.CAIRN_CHAOS_LOG;
  if (!log) throw new Error("CAIRN_CHAOS_LOG is not set: the chaos workflows need an execution log");
  const token = `${process.pid}.${++executions}.${Math.random().toString(36).slice(2, 8)}`;
  const line: Execution = { r: runId, s: stepId, t: token, p: process.pid, at: Date.now() };
  // One write(2) with O_APPEND: lines from every worker interleave whole, in the order they ran.
  appendFileSync(log, JSON.stringify(line) + "\n");
  return token;
}

/** A step body that logs its execution, takes a few ms (so kills land inside steps), returns its token. */
function body(runId: string, stepId: string): () => Promise<{ t: string; at: number }> {
  return async () => {
    const t = execute(runId, stepId);
    const at = Date.now();
    await new Promise((r) => setTimeout(r, 20 + Math.floor(Math.random() * 180)));
    return { t, at };
  };
}

export const steps = workflow("chaos.steps", async ({ step, runId }) => {
  const tokens: string[] = [];
  for (let i = 1; i <= 6; i++) tokens.push((await step.run(`s${i}`, body(runId, `s${i}`))).t);
  return tokens;
});

export const sleeper = workflow("chaos.sleep", async ({ step, runId, input }) => {
  const { sleepMs } = input as { sleepMs: number };
  const before = await step.run("before", body(runId, "before"));
  await step.sleep("nap", sleepMs);
  const after = await step.run("after", body(runId, "after"));
  return { before: before.at, after: after.at, sleepMs };
});

export const waiter = workflow("chaos.event", async ({ step, runId }) => {
  await step.run("before", body(runId, "before"));
  const event = await step.waitForEvent<{ runId: string; token: string }>("go", {
    event: "chaos.go",
    match: { "data.runId": runId },
  });
  await step.run("after", body(runId, "after"));
  return { token: event?.data.token ?? null };
});

export const child = workflow("chaos.child", async ({ step, runId }) => {
  await step.run("c1", body(runId, "c1"));
  await step.run("c2", body(runId, "c2"));
  return "child done";
});

export const parent = workflow("chaos.parent", async ({ step, runId }) => {
  await step.run("before", body(runId, "before"));
  const invoked = await step.invoke("child", child, {});
  const started = await step.start("spawn", child, {});
  await step.run("after", body(runId, "after"));
  return { invoked, started: started.runId };
});

export const gated = workflow("chaos.approval", async ({ step, runId }) => {
  await step.run("before", body(runId, "before"));
  const decision = await step.waitForApproval("ok", { title: `chaos ${runId}` });
  if (decision.status === "approved") await step.run("apply", body(runId, "apply"));
  return { status: decision.status, by: decision.by };
});

export const chaosWorkflows = [steps, sleeper, waiter, child, parent, gated];
