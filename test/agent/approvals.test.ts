import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import type { ToolApprovalRequest } from "../../src/agent/tool-approval.js";
import { decideApproval } from "../../src/agent/tool-approval.js";
import { Engine } from "../../src/engine/engine.js";
import { Worker } from "../../src/engine/worker.js";
import { CairnError } from "../../src/shared/errors.js";
import { silentLogger } from "../../src/shared/logger.js";
import { closeServer, harness, listenOnLoopback } from "../helpers.js";

/** A fake payments endpoint on loopback that counts the charges it receives. */
async function paymentsEndpoint() {
  const charges: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d.toString()));
    req.on("end", () => {
      charges.push(JSON.parse(body));
      res.end(JSON.stringify({ ok: true, charge: charges.length }));
    });
  });
  const url = `http://127.0.0.1:${await listenOnLoopback(server)}/charge`;
  closers.push(() => closeServer(server));
  return { url, charges };
}
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

function payingAgent(
  url: string,
  script: (text: string) => ScriptedReply,
  gate: boolean | ((a: { amount: number }) => boolean) = true,
) {
  const pay = tool({
    description: "Pays an amount to a vendor",
    input: z.object({ vendor: z.string(), amount: z.number().positive() }),
    needsApproval: gate,
    sideEffect: true,
    idempotent: true,
    execute: async (args, ctx) => {
      const res = await fetch(url, {
        method: "POST",
        body: JSON.stringify({ ...args, key: ctx.idempotencyKey }),
      });
      return await res.json();
    },
  });
  const prompts: string[] = [];
  const model = scriptedModel({
    name: "payer",
    respond: (p) => {
      const text = promptText(p);
      prompts.push(text);
      return script(text);
    },
  });
  return {
    agent: agent({ name: "payer", instructions: "You pay invoices.", model, tools: { pay } }),
    prompts,
  };
}

const payOnce = (text: string): ScriptedReply =>
  text.includes('"ok":true') || text.includes("rejected") || text.includes("expired")
    ? { text: "Done." }
    : { text: "I will pay ACME 50.", toolCalls: [{ name: "pay", args: { vendor: "ACME", amount: 50 } }] };

describe("approval gates on tools", () => {
  it("pauses before a gated call, shows what and why, and makes it exactly once after approval, across a restart", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: payer } = payingAgent(endpoint.url, payOnce);
    const h = await harness([payer.workflow]);
    const { runId } = await h.engine.start(payer.workflow, "pay the ACME invoice");
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    const [a] = await h.journal.listApprovals("default", { status: "pending" });
    expect(a?.title).toBe("payer wants to call pay");
    expect(a?.request as ToolApprovalRequest).toMatchObject({
      tool: "pay",
      args: { vendor: "ACME", amount: 50 },
      message: "I will pay ACME 50.",
    });
    expect(endpoint.charges).toHaveLength(0);

    // The process is gone; hours later, a new one decides and resumes the run.
    await h.journal.close();
    h.clock.advance(6 * 3_600_000);
    const journal = await h.reopen();
    const engine = new Engine({ journal, workflows: [payer.workflow], logger: silentLogger });
    await decideApproval(engine, new Map([["payer", payer]]), a!.id, { approve: true, by: "sam" });
    await new Worker(engine).drain();
    await new Worker(engine).drain();
    expect((await journal.getRun("default", runId))?.output).toMatchObject({ text: "Done." });
    expect(endpoint.charges).toEqual([{ vendor: "ACME", amount: 50, key: `${runId}:tool.pay` }]);
    await journal.close();
  });

  it("a rejection is feedback: the agent revises and asks again", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: payer, prompts } = payingAgent(endpoint.url, (text) => {
      if (text.includes('"ok":true')) return { text: "Paid the reduced amount." };
      if (text.includes("rejected"))
        return {
          text: "Trying 40 instead.",
          toolCalls: [{ name: "pay", args: { vendor: "ACME", amount: 40 } }],
        };
      return { toolCalls: [{ name: "pay", args: { vendor: "ACME", amount: 50 } }] };
    });
    const h = await harness([payer.workflow]);
    const agents = new Map([["payer", payer]]);
    const { runId } = await h.engine.start(payer.workflow, "pay");
    await h.drain();
    const [first] = await h.journal.listApprovals("default", { status: "pending" });
    await decideApproval(h.engine, agents, first!.id, {
      approve: false,
      by: "sam",
      reason: "too much, pay 40",
    });
    await h.drain();
    expect(prompts.at(-1)).toContain("sam rejected this call of pay: too much, pay 40");
    const [second] = await h.journal.listApprovals("default", { status: "pending" });
    expect((second?.request as ToolApprovalRequest).args).toEqual({ vendor: "ACME", amount: 40 });
    await decideApproval(h.engine, agents, second!.id, { approve: true, by: "sam" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.output).toMatchObject({
      text: "Paid the reduced amount.",
    });
    expect(endpoint.charges).toHaveLength(1);
  });

  it("an approver can edit the arguments; edits are validated against the tool's schema first", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: payer } = payingAgent(endpoint.url, payOnce);
    const h = await harness([payer.workflow]);
    const agents = new Map([["payer", payer]]);
    await h.engine.start(payer.workflow, "pay");
    await h.drain();
    const [a] = await h.journal.listApprovals("default", { status: "pending" });
    const bad = await decideApproval(h.engine, agents, a!.id, {
      approve: true,
      by: "sam",
      args: { vendor: "ACME", amount: -5 },
    }).catch((e: unknown) => e);
    expect(CairnError.is(bad, "CAIRN_INVALID_INPUT")).toBe(true);
    expect((bad as Error).message).toContain("amount");
    expect((await h.journal.getApproval("default", a!.id))?.status).toBe("pending");
    await decideApproval(h.engine, agents, a!.id, {
      approve: true,
      by: "sam",
      args: { vendor: "ACME Ltd", amount: 45 },
    });
    await h.drain();
    expect(endpoint.charges).toMatchObject([{ vendor: "ACME Ltd", amount: 45 }]);
    const decided = await h.journal.getApproval("default", a!.id);
    expect(decided).toMatchObject({
      status: "approved",
      decidedBy: "sam",
      editedArgs: { vendor: "ACME Ltd", amount: 45 },
    });
    expect((decided?.request as ToolApprovalRequest).args).toEqual({ vendor: "ACME", amount: 50 });
  });

  it("several gated calls in one response form one batch; none is lost; the run waits for all", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: payer } = payingAgent(endpoint.url, (text) =>
      text.includes('"ok":true')
        ? { text: "All paid." }
        : {
            toolCalls: [
              { name: "pay", args: { vendor: "A", amount: 1 } },
              { name: "pay", args: { vendor: "B", amount: 2 } },
            ],
          },
    );
    const h = await harness([payer.workflow]);
    const agents = new Map([["payer", payer]]);
    const { runId } = await h.engine.start(payer.workflow, "pay both");
    await h.drain();
    const batch = await h.journal.listApprovals("default", { status: "pending" });
    expect(batch).toHaveLength(2);
    expect(new Set(batch.map((a) => a.batchId)).size).toBe(1);
    await decideApproval(h.engine, agents, batch[0]!.id, { approve: true, by: "sam" });
    await h.drain();
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("waiting");
    expect(endpoint.charges).toHaveLength(1);
    await decideApproval(h.engine, agents, batch[1]!.id, { approve: true, by: "sam" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.output).toMatchObject({ text: "All paid." });
    expect(endpoint.charges.map((c) => (c as { vendor: string }).vendor).sort()).toEqual(["A", "B"]);
  });

  it("a predicate gates only the calls it picks", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: payer } = payingAgent(endpoint.url, payOnce, (args) => args.amount > 100);
    const h = await harness([payer.workflow]);
    const { runId } = await h.engine.start(payer.workflow, "pay");
    await h.drain();
    expect(await h.journal.listApprovals("default")).toHaveLength(0);
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    expect(endpoint.charges).toHaveLength(1);
  });

  it("an expired request is told to the agent as expired, not as a rejection", async () => {
    const endpoint = await paymentsEndpoint();
    const { agent: base, prompts } = payingAgent(endpoint.url, payOnce);
    const payer = agent({ ...base.options, approvals: { timeout: "1h" } });
    const h = await harness([payer.workflow]);
    const { runId } = await h.engine.start(payer.workflow, "pay");
    await h.drain();
    await h.advance(3_600_000);
    expect(prompts.at(-1)).toContain("expired without a decision");
    expect((await h.journal.getRunSummary("default", runId))?.status).toBe("completed");
    expect(endpoint.charges).toHaveLength(0);
  });
});
