/**
 * Shared setup of the sandbox and workspace tests: a workspace root every user can reach (the
 * sandbox runs as nobody when the tests run as root), and a model that follows a script of tool
 * calls so the real agent loop drives the real tools.
 */
import { chmodSync, chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import type { ScriptedReply } from "../../src/agent/scripted-model.js";
import type { Tool } from "../../src/agent/tool.js";
import type { WorkflowContext } from "../../src/engine/workflow.js";
import { workflow } from "../../src/engine/workflow.js";
import { promptText, scriptedModel } from "../../src/agent/scripted-model.js";
import { tempDir } from "../helpers.js";

/** A temporary folder the sandbox's user can reach (mkdtemp makes it 0700). */
export function reachableDir(prefix = "cairn-ws-"): string {
  const dir = tempDir(prefix);
  chmodSync(dir, 0o755);
  return dir;
}

export function workspaceRoot(): string {
  return join(reachableDir(), "workspaces");
}

/** A scripted model that answers with `replies` in order and records every prompt it saw. */
export function listModel(replies: ScriptedReply[]) {
  let i = 0;
  const prompts: string[] = [];
  const systems: string[] = [];
  const model = scriptedModel({
    name: "list",
    respond: (prompt) => {
      prompts.push(promptText(prompt));
      const system = prompt.find((m) => m.role === "system");
      systems.push(system && typeof system.content === "string" ? system.content : "");
      const r = replies[i++];
      if (!r) throw new Error("the script ran out of replies");
      return r;
    },
  });
  return { model, calls: () => i, prompts, systems };
}

/** A tool call of a scripted reply. */
export function call(name: string, args: unknown): ScriptedReply {
  return { text: "", toolCalls: [{ name, args }] };
}

/** A workspace folder for runSandboxed: reachable, and owned by the sandbox's user when we are root. */
export function sandboxDir(): string {
  const dir = join(reachableDir("cairn-sbx-"), "ws");
  mkdirSync(dir);
  if (process.getuid?.() === 0) chownSync(dir, 65534, 65534);
  return dir;
}

export interface CallResult {
  ok?: unknown;
  error?: string;
  code?: string;
}

/**
 * A workflow that makes tool calls as the agent loop does, each its own step with the tool's
 * context, and returns what each gave back or the error it threw. A `plant` entry runs a function
 * as a step instead (to change the folder between calls, as something outside might).
 */
export function callsWorkflow(
  tools: Record<string, Tool>,
  plants: Record<string, (runId: string) => void> = {},
) {
  return workflow("calls", async (ctx: WorkflowContext<{ tool: string; args?: unknown }[]>) => {
    const results: CallResult[] = [];
    for (const c of ctx.input) {
      const plant = plants[c.tool];
      if (plant) {
        await ctx.step.run(`plant.${c.tool}`, () => plant(ctx.runId));
        continue;
      }
      const t = tools[c.tool];
      if (!t) throw new Error(`no tool ${c.tool}`);
      try {
        const ok = await ctx.step.run(
          `tool.${c.tool}`,
          (s) =>
            t.execute(t.input.parse(c.args ?? {}), {
              ...s,
              agent: { name: "test", user: "default", session: null },
              workspace: ctx.workspace,
              journal: ctx.journal,
              fetch: globalThis.fetch,
              credentials: {},
            }),
          { retries: 0 },
        );
        results.push({ ok });
      } catch (err) {
        results.push({ error: (err as Error).message, code: (err as { code?: string }).code });
      }
    }
    return results;
  });
}
