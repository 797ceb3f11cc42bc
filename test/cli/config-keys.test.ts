import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

interface Shown {
  run: { status: string; error: { message: string } | null };
  usage: { cost: number | null };
}

describe("messages that name a config key name one that exists", () => {
  it("a payload over the ceiling names maxPayloadBytes, which the config accepts", async () => {
    const p = new Project(`import { defineConfig, workflow } from "cairn-runtime";
const big = workflow("big", async ({ step }) => step.run("make", () => "x".repeat(5000)));
export default defineConfig({ workflows: [big], maxPayloadBytes: 2000 });
`);
    const r = await p.run(["run", "big"]);
    const runId = /run (run_\w+)/.exec(r.stdout)![1]!;
    const shown = await p.json<Shown>(["runs", "show", runId]);
    expect(shown.run.status).toBe("failed");
    expect(shown.run.error?.message).toContain("raise maxPayloadBytes (in cairn.config.ts");
    expect(shown.run.error?.message).not.toContain("storage.");
  }, 30_000);

  it("prices in the config price an agent's model calls", async () => {
    const agentConfig = (
      prices: string,
    ) => `import { defineConfig, agent, scriptedModel } from "cairn-runtime";
const model = scriptedModel({ name: "echo", respond: () => ({ text: "ok", usage: { input: 12, output: 3 } }) });
export default defineConfig({ agents: [agent({ name: "echo", instructions: "Echo.", model })]${prices} });
`;
    const unpriced = new Project(agentConfig(""));
    const before = /run (run_\w+)/.exec((await unpriced.run(["run", "echo", "hi"])).stdout)![1]!;
    const shownBefore = await unpriced.run(["runs", "show", before]);
    expect(shownBefore.stdout).toContain("add one under prices in cairn.config.ts");

    const p = new Project(agentConfig(`, prices: { "scripted:echo": { input: 1000000, output: 2000000 } }`));
    const runId = /run (run_\w+)/.exec((await p.run(["run", "echo", "hi"])).stdout)![1]!;
    // 12 input tokens at $1 each and 3 output tokens at $2 each (prices are per million).
    expect((await p.json<Shown>(["runs", "show", runId])).usage.cost).toBe(18);
    expect((await p.run(["runs", "show", runId])).stdout).toMatch(/usage\s+15 tokens .* · \$18\.00 · /);
  }, 60_000);
});
