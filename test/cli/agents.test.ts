import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

const CONFIG = `import { defineConfig, tool } from "cairn-runtime";
import { z } from "zod";

const shout = tool({ description: "Shouts", input: z.object({ text: z.string() }), execute: ({ text }) => text.toUpperCase() });

export default defineConfig({
  profiles: ["agents/echo.yaml"],
  tools: { shout },
});
`;

describe("agents from the CLI", () => {
  it("runs a profile agent with a message, continues its session, and shows usage", async () => {
    const p = new Project(
      `import { defineConfig, agent, scriptedModel, promptText } from "cairn-runtime";
const model = scriptedModel({ name: "echo", respond: (prompt) => ({ text: "I heard: " + promptText(prompt).replace(/\\s+/g, " "), usage: { input: 12, output: 3 } }) });
export default defineConfig({ agents: [agent({ name: "echo", instructions: "Echo.", model })] });
`,
    );
    const first = await p.run(["run", "echo", "hello", "there", "--session", "s1"]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("I heard: Echo. hello there");
    const second = await p.run(["run", "echo", "again", "--session", "s1"]);
    expect(second.stdout).toContain("hello there");
    expect(second.stdout).toContain("again");
    const runId = /run (run_\w+)/.exec(second.stdout)![1]!;
    const show = await p.run(["runs", "show", runId]);
    expect(show.stdout).toMatch(/usage\s+15 tokens \(in 12, cached 0, out 3\)/);
    expect(show.stdout).toMatch(/model\s+run\s+completed/);
  }, 60_000);

  it("loads agents declared as YAML profiles, with tools from the config", async () => {
    const p = new Project(CONFIG);
    mkdirSync(join(p.dir, "agents"));
    writeFileSync(
      join(p.dir, "agents/echo.yaml"),
      "name: yaml-echo\ninstructions: Shout back.\nmodel: openai-chat:gpt-4.1-mini\ntools: [shout]\n",
    );
    const r = await p.run(["run", "yaml-echo", "hi"], { OPENAI_API_KEY: "", OPENAI_BASE_URL: "" });
    // No key in the environment: the run fails with a clear error naming the variable.
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toContain("OPENAI_API_KEY");
    writeFileSync(
      join(p.dir, "agents/echo.yaml"),
      "name: yaml-echo\ninstructions: x\nmodel: openai:x\ntools: [whisper]\n",
    );
    const bad = await p.run(["run", "yaml-echo", "hi"]);
    expect(bad.stderr).toContain('unknown tool "whisper"');
  }, 60_000);
});
