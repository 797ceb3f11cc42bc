/**
 * A run's workspace history: the files as of any step (what a rerun from that step starts from),
 * and garbage collection of the snapshots runs no longer need.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { agent } from "../../../src/agent/agent.js";
import { workspaceStoreOf } from "../../../src/store/workspace-store-of.js";
import { gcWorkspaces } from "../../../src/tools/workspace/gc-workspaces.js";
import { restoreWorkspace } from "../../../src/tools/workspace/restore-workspace.js";
import { workspaceTools } from "../../../src/tools/workspace-tools.js";
import { harness, tempDir } from "../../helpers.js";
import { call, listModel, workspaceRoot } from "../support.js";

/** Every file under `dir` with its text, by relative path. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (abs: string, rel: string) => {
    for (const e of readdirSync(abs, { withFileTypes: true })) {
      const path = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(join(abs, e.name), path);
      else out[path] = readFileSync(join(abs, e.name), "utf8");
    }
  };
  walk(dir, "");
  return out;
}

function builder(root: string, tag: string) {
  return listModel([
    call("write_file", { path: "a.txt", content: "a1" }),
    call("exec", { command: `echo -n a2 > a.txt && mkdir -p sub && echo -n ${tag} > sub/b.txt` }),
    call("read_file", { path: "a.txt" }),
    call("write_file", { path: "c.txt", content: "shared by every run" }),
    { text: "Built." },
  ]);
}

describe("workspace history", () => {
  it("restores the files as they were after any step; steps that did not touch them change nothing", async () => {
    const root = workspaceRoot();
    const m = builder(root, "b");
    const a = agent({
      name: "builder",
      instructions: "Build.",
      model: m.model,
      tools: workspaceTools({ root }),
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "build" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("completed");
    const at = async (stepId: string) => {
      const dir = join(tempDir(), "restored");
      await restoreWorkspace(h.journal, "default", runId, stepId, dir);
      return filesOf(dir);
    };
    expect(await at("model")).toEqual({});
    expect(await at("tool.write_file")).toEqual({ "a.txt": "a1" });
    expect(await at("model#2")).toEqual({ "a.txt": "a1" });
    expect(await at("tool.exec")).toEqual({ "a.txt": "a2", "sub/b.txt": "b" });
    expect(await at("tool.read_file")).toEqual({ "a.txt": "a2", "sub/b.txt": "b" });
    expect(await at("model#5")).toEqual({ "a.txt": "a2", "sub/b.txt": "b", "c.txt": "shared by every run" });
    await expect(at("tool.nope")).rejects.toThrow(`run ${runId} has no step "tool.nope"`);
  });

  it("collects the snapshots and files of deleted runs, keeps what live runs share, and removes their folders", async () => {
    const root = workspaceRoot();
    const agents = ["one", "two"].map((tag) =>
      agent({
        name: `builder-${tag}`,
        instructions: "Build.",
        model: builder(root, tag).model,
        tools: workspaceTools({ root }),
      }),
    );
    const h = await harness(agents.map((a) => a.workflow));
    const runs: string[] = [];
    for (const a of agents) {
      const { runId } = await h.engine.start(a.workflow, { message: "build" });
      await h.drain();
      runs.push(runId);
    }
    const [one, two] = runs as [string, string];
    // Run one is deleted (as `cairn runs rm` would).
    await h.sql("DELETE FROM steps WHERE workspace = 'default' AND run_id = ?", [one]);
    await h.sql("DELETE FROM runs WHERE workspace = 'default' AND id = ?", [one]);
    h.clock.advance(1);
    const result = await gcWorkspaces(h.journal, { graceMs: 0, root });
    // Its three snapshots go, and what only they referenced: the bytes "one" (its sub/b.txt) and
    // the folders holding them (sub/, and the two roots above it); its first snapshot, the same
    // as run two's, stays.
    expect(result.pins).toBe(3);
    expect(result.objects).toBe(4);
    expect(result.folders).toBe(2); // both runs ended: their folders here go; the store keeps run two's history
    expect(existsSync(join(root, "default", one))).toBe(false);
    const dir = join(tempDir(), "two");
    await restoreWorkspace(h.journal, "default", two, "model#5", dir);
    expect(filesOf(dir)).toEqual({ "a.txt": "a2", "sub/b.txt": "two", "c.txt": "shared by every run" });
    // Collecting again finds nothing more.
    expect(await gcWorkspaces(h.journal, { graceMs: 0 })).toEqual({
      pins: 0,
      objects: 0,
      bytes: 0,
      folders: 0,
    });
    // Retention: runs that ended before a time lose their history too.
    const pruned = await gcWorkspaces(h.journal, { graceMs: 0, endedBefore: (await h.journal.now()) + 1 });
    expect(pruned.pins).toBe(3);
    expect(await workspaceStoreOf(h.journal).pinnedRoots("default")).toEqual([]);
    const left = await h.sql("SELECT COUNT(*) AS n FROM workspace_objects WHERE workspace = 'default'");
    expect(Number(left[0]!.n)).toBe(0);
  });
});
