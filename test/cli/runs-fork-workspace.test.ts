/**
 * `cairn runs fork` of an agent run that wrote files: the fork's workspace holds the files as of
 * the step before the fork step (what later steps wrote is absent), and the original's folder is
 * left as it was.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Project } from "./project.js";

// A scribe on a scripted model: it writes notes.txt, then a second file (other.txt when its
// instructions say so, later.txt otherwise), then lists its workspace and stops.
const CONFIG = `import { defineConfig, agent, scriptedModel, workspaceTools } from "cairn-runtime";

const model = scriptedModel({
  name: "scribe",
  respond: (prompt) => {
    const done = prompt.filter((m) => m.role === "tool").length;
    const system = prompt.find((m) => m.role === "system");
    const second = typeof system?.content === "string" && system.content.includes("other") ? "other.txt" : "later.txt";
    const calls = [
      { name: "write_file", args: { path: "notes.txt", content: "first" } },
      { name: "write_file", args: { path: second, content: "second" } },
      { name: "list_files", args: {} },
    ];
    const next = calls[done];
    return next ? { text: "", toolCalls: [next] } : { text: "Written." };
  },
});

export default defineConfig({
  agents: [agent({ name: "scribe", instructions: "Write.", model, tools: workspaceTools({ exec: false }) })],
});
`;

interface Shown {
  run: { status: string };
  steps: { stepId: string; output: unknown }[];
}

/** Every file directly in `dir` with its text. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dir).sort()) out[name] = readFileSync(join(dir, name), "utf8");
  return out;
}

describe("cairn runs fork and the run's workspace", () => {
  it("gives the fork the files as of the step before --from; the original's stay as they were", async () => {
    const p = new Project(CONFIG);
    const first = await p.run(["run", "scribe", "write"]);
    expect(first.code).toBe(0);
    const runId = /run (run_\w+)/.exec(first.stdout)![1]!;
    const workspaces = join(p.dir, ".cairn/workspaces/default");
    const originalFiles = { "later.txt": "second", "notes.txt": "first" };
    expect(filesOf(join(workspaces, runId))).toEqual(originalFiles);

    // Rerun from the model call that chose the second file, with instructions that change it.
    const fork = await p.json<{ id: string }>([
      "runs",
      "fork",
      runId,
      "--from",
      "model#2",
      "--instructions",
      "Write other.txt.",
    ]);
    expect((await p.run(["worker", "--once"])).code).toBe(0);
    const shown = await p.json<Shown>(["runs", "show", fork.id]);
    expect(shown.run.status).toBe("completed");
    const listing = shown.steps.find((s) => s.stepId === "tool.list_files")?.output as {
      entries: { path: string }[];
    };
    expect(listing.entries.map((e) => e.path)).toEqual(["/workspace/notes.txt", "/workspace/other.txt"]);
    expect(filesOf(join(workspaces, fork.id))).toEqual({ "notes.txt": "first", "other.txt": "second" });
    // The original's folder is as it was.
    expect(filesOf(join(workspaces, runId))).toEqual(originalFiles);
  }, 90_000);
});
