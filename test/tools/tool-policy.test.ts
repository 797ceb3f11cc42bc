/** Tool policy: each call allowed, denied (the model is told why) or sent to a person; each decision journaled. */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { agent } from "../../src/agent/agent.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import { tool } from "../../src/agent/tool.js";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadAgentProfile } from "../../src/agent/profile.js";
import { harness, tempDir } from "../helpers.js";

function tools(calls: string[]) {
  const make = (name: string) =>
    tool({
      description: name,
      input: z.object({ to: z.string() }),
      execute: ({ to }) => {
        calls.push(`${name} ${to}`);
        return { ok: true };
      },
    });
  return { send_email: make("send_email"), search: make("search"), delete_repo: make("delete_repo") };
}

describe("tool policy", () => {
  it("denies a call by its arguments, tells the model why, and journals the decision", async () => {
    const calls: string[] = [];
    const prompts: string[] = [];
    const a = agent({
      name: "mailer",
      instructions: "",
      model: scriptedModel({
        name: "m",
        respond: (p) => {
          prompts.push(promptText(p));
          return prompts.length === 1
            ? {
                toolCalls: [
                  { name: "send_email", args: { to: "attacker@evil.example" } },
                  { name: "send_email", args: { to: "ada@example.com" } },
                ],
              }
            : { text: "done" };
        },
      }),
      tools: tools(calls),
      toolPolicy: ({ tool: name, args }) =>
        name === "send_email" && !(args as { to: string }).to.endsWith("@example.com")
          ? { decision: "deny", reason: "mail goes to example.com addresses only" }
          : "allow",
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "mail" });
    await h.drain();
    expect(calls).toEqual(["send_email ada@example.com"]);
    expect(prompts[1]).toContain(
      "the tool policy denied this call of send_email: mail goes to example.com addresses only",
    );
    const steps = await h.journal.loadSteps("default", runId);
    const decisions = steps.filter((s) => s.stepId.startsWith("policy.")).map((s) => [s.stepId, s.output]);
    expect(decisions).toEqual([
      ["policy.send_email", { decision: "deny", reason: "mail goes to example.com addresses only" }],
      ["policy.send_email#2", { decision: "allow" }],
    ]);
  });

  it("rules: deny and allow lists refuse, approve waits for a person", async () => {
    const calls: string[] = [];
    const prompts: string[] = [];
    const a = agent({
      name: "ruled",
      instructions: "",
      model: scriptedModel({
        name: "m",
        respond: (p) => {
          prompts.push(promptText(p));
          return prompts.length === 1
            ? {
                toolCalls: [
                  { name: "delete_repo", args: { to: "x" } },
                  { name: "search", args: { to: "y" } },
                  { name: "send_email", args: { to: "z" } },
                ],
              }
            : { text: "done" };
        },
      }),
      tools: tools(calls),
      toolPolicy: { allow: ["search", "send_*"], deny: ["delete_*"], approve: ["send_email"] },
    });
    const h = await harness([a.workflow]);
    const { runId } = await h.engine.start(a.workflow, { message: "go" });
    await h.drain();
    expect((await h.journal.getRun("default", runId))?.status).toBe("waiting");
    expect(calls).toEqual(["search y"]);
    const [pending] = await h.journal.listApprovals("default", { status: "pending" });
    expect(pending?.title).toBe("ruled wants to call send_email");
    await h.engine.decide(pending!.id, { approve: true, by: "ops" });
    await h.drain();
    expect(calls).toEqual(["search y", "send_email z"]);
    expect(prompts[1]).toContain("delete_repo is on the policy's deny list");
  });

  it("a profile names its tools and its policy", async () => {
    const path = join(tempDir(), "ops.yaml");
    writeFileSync(
      path,
      "name: ops\ninstructions: x\nmodel: openai:gpt-4.1-mini\ntools: [search, delete_repo]\npolicy: { deny: [delete_repo] }\n",
    );
    const a = loadAgentProfile(path, tools([]));
    expect(Object.keys(a.options.tools ?? {})).toEqual(["search", "delete_repo"]);
    expect(a.options.toolPolicy).toEqual({ deny: ["delete_repo"] });
    writeFileSync(path, "name: ops\ninstructions: x\nmodel: openai:gpt-4.1-mini\npolicy: { block: [x] }\n");
    expect(() => loadAgentProfile(path, {})).toThrow(/policy: Unrecognized key/);
  });
});
