import http from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { Engine } from "../../src/engine/engine.js";
import { silentLogger } from "../../src/shared/logger.js";
import { SqliteJournal } from "../../src/store/sqlite/sqlite-journal.js";
import { closeServer, listenOnLoopback } from "../helpers.js";
import { Project } from "./project.js";

const CONFIG = `import { agent, defineConfig, scriptedModel, promptText, tool } from "cairn-runtime";
import { z } from "zod";

const pay = tool({
  description: "Pays a vendor",
  input: z.object({ vendor: z.string(), amount: z.number() }),
  needsApproval: true,
  sideEffect: true,
  idempotent: true,
  execute: async (args, ctx) => {
    const res = await fetch(process.env.PAYMENTS_URL!, { method: "POST", body: JSON.stringify({ ...args, key: ctx.idempotencyKey }) });
    return await res.json();
  },
});
const model = scriptedModel({
  name: "payer",
  respond: (p) => (promptText(p).includes('"ok":true') ? { text: "Paid." } : { text: "Paying.", toolCalls: [{ name: "pay", args: { vendor: "ACME", amount: 75 } }] }),
});
export default defineConfig({ agents: [agent({ name: "payer", instructions: "You pay.", model, tools: { pay } })] });
`;

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe("an approved side effect happens exactly once across processes", () => {
  it("request made, process SIGKILLed, decision later, resumed by new processes: one charge", async () => {
    const charges: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = "";
      req.on("data", (d: Buffer) => (body += d.toString()));
      req.on("end", () => {
        charges.push(JSON.parse(body));
        res.end(JSON.stringify({ ok: true }));
      });
    });
    const port = await listenOnLoopback(server);
    closers.push(() => closeServer(server));
    const env = { PAYMENTS_URL: `http://127.0.0.1:${port}/charge` };

    const p = new Project(CONFIG);
    const killed = await p.runAndKill(
      ["run", "payer", "pay ACME"],
      /approve\.pay waiting for a person's approval/,
      { env },
    );
    expect(killed.signal).toBe("SIGKILL");
    const runId = /run (run_\w+)/.exec(killed.stdout)![1]!;

    // Later, in another process (here: this one), someone approves. On the real clock: a decision
    // stamped hours ahead would wake a run that had reached "waiting" hours ahead too, out of reach
    // of the workers below (whether the kill lands before or after that commit is a race).
    const journal = new SqliteJournal({ path: p.store.slice("sqlite:".length) });
    const engine = new Engine({ journal, workflows: [], logger: silentLogger });
    const [approval] = await journal.listApprovals("default", { status: "pending" });
    expect(approval?.runId).toBe(runId);
    await engine.decide(approval!.id, { approve: true, by: "sam" });
    await journal.close();

    for (let i = 0; i < 3; i++) await p.run(["worker", "--once"], env);
    const shown = await p.json<{ run: { status: string } }>(["runs", "show", runId]);
    expect(shown.run.status).toBe("completed");
    expect(charges).toEqual([{ vendor: "ACME", amount: 75, key: `${runId}:tool.pay` }]);
  }, 60_000);
});
