/**
 * Shared setup of the agent crash tests: a user's project (test/cli/project.ts) whose agent
 * talks to the fake model server of the test process over "openai-chat:gpt-4.1-mini", with a
 * tool that marks its start and end in the side file and takes $TOOL_MS.
 */
import type { ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import type { CliResult } from "../../cli/project.js";
import { collect, countingConfig, Project } from "../../cli/project.js";
import type { FakeModelServer, RecordedRequest } from "../../support/fake-model-server.js";

export const AGENT_CONFIG = countingConfig(`
import { agent, tool } from "cairn-runtime";
import { z } from "zod";

const getWeather = tool({
  description: "Current weather for a city",
  input: z.object({ city: z.string() }),
  execute: async ({ city }) => {
    mark("start:get_weather");
    await pause(Number(process.env.TOOL_MS ?? 0));
    mark("end:get_weather");
    return { city, forecast: "sunny, 21°C" };
  },
});

const forecaster = agent({
  name: "forecaster",
  instructions: "You answer weather questions.",
  model: "openai-chat:gpt-4.1-mini",
  tools: { get_weather: getWeather },
});

export default defineConfig({ agents: [forecaster] });
`);

/**
 * A biller agent with checkpoint "turn": `lookup` (no side effect) and `charge`, a side effect
 * that is not idempotent, which marks its start and end (and its idempotency key) in the side
 * file and takes $TOOL_MS.
 */
export const BILLER_CONFIG = countingConfig(`
import { agent, tool } from "cairn-runtime";
import { z } from "zod";

const lookup = tool({
  description: "Looks up a customer",
  input: z.object({ id: z.string() }),
  execute: async ({ id }, ctx) => {
    mark("key:lookup " + ctx.idempotencyKey);
    return { id, name: "Ada" };
  },
});

const charge = tool({
  description: "Charges the customer's card",
  input: z.object({ amount: z.number() }),
  sideEffect: true,
  execute: async ({ amount }, ctx) => {
    mark("start:charge");
    mark("key:charge " + ctx.idempotencyKey);
    await pause(Number(process.env.TOOL_MS ?? 0));
    mark("end:charge");
    return { charged: amount };
  },
});

const biller = agent({
  name: "biller",
  instructions: "You bill customers.",
  model: "openai-chat:gpt-4.1-mini",
  tools: { lookup, charge },
  checkpoint: "turn",
});

export default defineConfig({ agents: [biller] });
`);

/** What `cairn runs show ID --json` prints, as far as these tests look. */
export interface ShowJson {
  run: { id: string; status: string; output: { text: string } | null };
  steps: { stepId: string; status: string; attempt: number; output: { resent?: boolean } | null }[];
  usage: { modelCalls: number; resentCalls: number };
}

/** A project with the forecaster agent; its `cairn` processes talk to `server`. */
export class AgentProject {
  readonly project: Project;

  constructor(
    private readonly server: FakeModelServer,
    config: string = AGENT_CONFIG,
  ) {
    this.project = new Project(config);
  }

  env(extra: Record<string, string> = {}): Record<string, string> {
    return { OPENAI_BASE_URL: this.server.openaiBaseURL, OPENAI_API_KEY: "sk-test", ...extra };
  }

  spawn(args: string[], extra?: Record<string, string>): ChildProcess {
    return this.project.spawn(args, this.env(extra));
  }

  run(args: string[], extra?: Record<string, string>): Promise<CliResult> {
    return this.project.run(args, this.env(extra));
  }

  show(runId: string): Promise<ShowJson> {
    return this.project.json<ShowJson>(["runs", "show", runId]);
  }

  /** How many times the tool marked `what` ("start:get_weather" / "end:get_weather"). */
  marks(what: string): number {
    return this.project.executions().get(what) ?? 0;
  }

  /** Resolves once the side file holds `line`. */
  async waitForMark(line: string, timeoutMs = 20_000): Promise<void> {
    const file = this.project.counts;
    const deadline = Date.now() + timeoutMs;
    while (!(existsSync(file) && readFileSync(file, "utf8").split("\n").includes(line))) {
      if (Date.now() > deadline) throw new Error(`no "${line}" in ${file} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** Collects a child's output as it comes, and its exit (with a deadline, see collect). */
export function watch(child: ChildProcess): { stdout: () => string; exited: Promise<CliResult> } {
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  const exited = collect(child, "the cairn process under test");
  return { stdout: () => stdout, exited };
}

export function runIdFrom(stdout: string): string {
  const m = /run (run_\w+)/.exec(stdout);
  if (!m) throw new Error(`no run id in output:\n${stdout}`);
  return m[1]!;
}

/** Chat Completions requests that carry no tool result yet: the conversation's first model call. */
export function firstCalls(requests: RecordedRequest[]): number {
  return requests.filter((r) => !toolMessages(r)).length;
}

/** Requests that send a tool result back (the model calls after the tool ran). */
export function followUpCalls(requests: RecordedRequest[]): number {
  return requests.filter((r) => toolMessages(r)).length;
}

function toolMessages(r: RecordedRequest): boolean {
  const body = r.body as { messages?: { role: string }[] };
  return (body.messages ?? []).some((m) => m.role === "tool");
}
