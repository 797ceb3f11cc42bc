/**
 * Skills: folders with a SKILL.md in the Agent Skills format. A run lists them in its
 * instructions, loads one on demand, and sees its files read-only at /skills; the folder can be
 * edited while Cairn runs: a new run sees the change, a run in flight keeps its version (pinned
 * by hash in its journal), even when it resumes in another process.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../../src/agent/agent.js";
import type { ScriptedReply } from "../../../src/agent/scripted-model.js";
import { promptText, scriptedModel } from "../../../src/agent/scripted-model.js";
import { tool } from "../../../src/agent/tool.js";
import { decideApproval } from "../../../src/agent/tool-approval.js";
import { workspaceTools } from "../../../src/tools/workspace-tools.js";
import { workspaceStoreOf } from "../../../src/store/workspace-store-of.js";
import { harness, tempDir } from "../../helpers.js";
import { workspaceRoot } from "../support.js";

const pause = tool({
  description: "Waits for a person",
  input: z.object({}),
  needsApproval: true,
  execute: () => ({ resumed: true }),
});

function writeSkill(dir: string, version: string): void {
  mkdirSync(join(dir, "csv-report", "scripts"), { recursive: true });
  writeFileSync(
    join(dir, "csv-report", "SKILL.md"),
    `---\nname: csv-report\ndescription: Summarises CSV files (${version})\n---\n# CSV reports\nUse scripts/report.sh (${version}).\n`,
  );
  writeFileSync(join(dir, "csv-report", "scripts", "report.sh"), `echo "report ${version}"\n`);
}

/** The same script for every run, by how many tool results its conversation holds. */
function respond(prompt: Parameters<Parameters<typeof scriptedModel>[0]["respond"]>[0]): ScriptedReply {
  const results = prompt.filter((m) => m.role === "tool").length;
  const steps: ScriptedReply[] = [
    { toolCalls: [{ name: "load_skill", args: { name: "csv-report" } }] },
    {
      toolCalls: [
        { name: "exec", args: { command: "bash /skills/csv-report/scripts/report.sh; touch /skills/x" } },
      ],
    },
    { toolCalls: [{ name: "pause", args: {} }] },
    { toolCalls: [{ name: "load_skill", args: { name: "csv-report" } }] },
    { text: "Done." },
  ];
  return steps[results] ?? { text: "Done." };
}

describe("skills", () => {
  it("a skill edited while a run is in flight applies to the next run only", async () => {
    const skills = tempDir("cairn-skills-");
    writeSkill(skills, "v1");
    const systems: { run: string; system: string }[] = [];
    const model = scriptedModel({
      name: "skilled",
      respond: (prompt) => {
        const system = prompt.find((m) => m.role === "system");
        systems.push({
          run: /run (one|two)/.exec(promptText(prompt))?.[0] ?? "?",
          system: system && typeof system.content === "string" ? system.content : "",
        });
        return respond(prompt);
      },
    });
    const a = agent({
      name: "analyst",
      instructions: "You analyse data.",
      model,
      tools: { ...workspaceTools({ root: workspaceRoot(), skills }), pause },
    });
    const h = await harness([a.workflow]);
    const one = await h.engine.start(a.workflow, { message: "run one" });
    await h.drain();
    expect((await h.journal.getRun("default", one.runId))?.status).toBe("waiting");

    // Edited while run one waits, and a skill added.
    writeSkill(skills, "v2");
    mkdirSync(join(skills, "new-skill"));
    writeFileSync(
      join(skills, "new-skill", "SKILL.md"),
      "---\nname: new-skill\ndescription: Brand new\n---\nHi.\n",
    );

    const two = await h.engine.start(a.workflow, { message: "run two" });
    await h.drain();
    for (const approval of await h.journal.listApprovals("default", { status: "pending", runId: one.runId }))
      await decideApproval(h.engine, new Map([["analyst", a]]), approval.id, { approve: true, by: "ada" });
    await h.drain();
    expect((await h.journal.getRun("default", one.runId))?.status).toBe("completed");

    const outputs = async (runId: string) =>
      Object.fromEntries(
        (await h.journal.loadSteps("default", runId)).map((s) => [s.stepId, s.output]),
      ) as Record<
        string,
        { instructions?: string; description?: string; stdout?: string; stderr?: string; files?: string[] }
      >;
    const first = await outputs(one.runId);
    expect(first["tool.load_skill"]).toMatchObject({
      name: "csv-report",
      description: "Summarises CSV files (v1)",
      instructions: "# CSV reports\nUse scripts/report.sh (v1).",
      files: ["scripts/report.sh"],
      location: "/skills/csv-report",
    });
    expect(first["tool.exec"]?.stdout).toBe("report v1\n");
    expect(first["tool.exec"]?.stderr).toMatch(/touch: cannot touch '\/skills\/x': Read-only file system/);
    // After the edit, the run in flight still loads the version it started with.
    expect(first["tool.load_skill#2"]).toMatchObject({ description: "Summarises CSV files (v1)" });
    const second = await outputs(two.runId);
    expect(second["tool.load_skill"]).toMatchObject({ description: "Summarises CSV files (v2)" });
    expect(second["tool.exec"]?.stdout).toBe("report v2\n");

    // Its instructions list the skills it started with, on every model call.
    const oneSystems = systems.filter((s) => s.run === "run one").map((s) => s.system);
    expect(oneSystems.length).toBe(5);
    for (const s of oneSystems) {
      expect(s).toContain("You analyse data.\n\n## Skills");
      expect(s).toContain("- csv-report: Summarises CSV files (v1)");
      expect(s).not.toContain("new-skill");
    }
    const twoSystems = systems.filter((s) => s.run === "run two").map((s) => s.system);
    expect(twoSystems[0]).toContain("- csv-report: Summarises CSV files (v2)\n- new-skill: Brand new");

    // The version is recorded by hash with the run's first step.
    const store = workspaceStoreOf(h.journal);
    const pinOne = await store.latestPin("default", one.runId, "skills");
    const pinTwo = await store.latestPin("default", two.runId, "skills");
    expect(pinOne?.stepId).toBe("tools.prepare");
    expect(pinOne?.root).toMatch(/^[0-9a-f]{64}$/);
    expect(pinTwo?.root).not.toBe(pinOne?.root);
  });
});
