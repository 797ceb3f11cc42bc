import type { z as Zod } from "zod";
import { requireLazily } from "../../shared/require-lazily.js";
import type { Tool } from "../../agent/tool.js";
import { tool } from "../../agent/tool.js";
import type { RunWorkspaces } from "../workspace/run-workspaces.js";
import type { SkillLibrary } from "../skills/skill-library.js";
import { SANDBOX_SKILLS, SANDBOX_WORKSPACE } from "./bubblewrap-args.js";
import { runSandboxed } from "./run-sandboxed.js";
import type { SandboxResult } from "./run-sandboxed.js";
import { checkReachable, hostUser } from "./sandbox-check.js";
import type { SandboxLimits } from "./sandbox-limits.js";
import { resolveLimits } from "./sandbox-limits.js";

export interface ExecToolOptions {
  limits?: Partial<SandboxLimits>;
  /**
   * "none" (default): the sandbox has its own empty network namespace, so nothing (not even
   * this machine's loopback) can be reached. "host": it shares this machine's network; allow it
   * only for agents you trust with it.
   */
  network?: "none" | "host";
  /** Host paths shown read-only at the same place (e.g. a runtime installed under /opt). */
  readOnlyPaths?: string[];
  /** Environment variables inside the sandbox (never secrets: the model reads what commands print). */
  env?: Record<string, string>;
  /** Skills shown read-only at /skills: the version the run started with. */
  skills?: SkillLibrary;
}

function makeInput(z: typeof Zod) {
  return z.object({
    command: z.string().min(1).max(20_000).describe("A bash command line, run in /workspace"),
    stdin: z.string().max(1_000_000).optional().describe("Text given to the command on its standard input"),
  });
}

let input: ReturnType<typeof makeInput> | undefined;

export type ExecInput = Zod.infer<ReturnType<typeof makeInput>>;

/**
 * A shell in a sandbox: each call runs one bash command line in a fresh bubblewrap sandbox whose
 * only writable folder is the run's workspace (/workspace), checkpointed with the step. Limits
 * stop the command, never the worker; a missing sandbox fails the call with what to install.
 *
 * @example
 * const workspaces = new RunWorkspaces({ root: ".cairn/workspaces" });
 * agent({ name: "coder", model, instructions: "…", tools: { exec: execTool(workspaces, { limits: { wallSeconds: 30 } }) } });
 */
export function execTool(
  workspaces: RunWorkspaces,
  options: ExecToolOptions = {},
): Tool<ExecInput, SandboxResult> {
  const limits = resolveLimits(options.limits, "execTool()");
  const network = options.network ?? "none";
  input ??= makeInput(requireLazily<{ z: typeof Zod }>("zod").z);
  return tool({
    description:
      `Runs a bash command line in a sandbox and returns its exit code, stdout and stderr. The working ` +
      `folder is ${SANDBOX_WORKSPACE}, the only place you can write; files there persist across calls. ` +
      (options.skills ? `Skill files are under ${SANDBOX_SKILLS} (read-only). ` : "") +
      (network === "none" ? "There is no network access. " : "") +
      `Limits: ${limits.wallSeconds} s wall time, ${limits.cpuSeconds} s CPU, ${limits.memoryMb} MiB memory, ` +
      `${limits.processes} processes; output beyond ${limits.outputBytes} bytes per stream is cut.`,
    input,
    execute: (args, ctx) =>
      workspaces.use(
        ctx,
        async (ws) => {
          checkReachable(ws.dir, hostUser(workspaces.sandbox));
          const skillsDir = await options.skills?.pinnedDir(ctx);
          return runSandboxed({
            ...workspaces.sandbox,
            command: args.command,
            ...(args.stdin !== undefined ? { stdin: args.stdin } : {}),
            workspaceDir: ws.dir,
            ...(skillsDir !== undefined ? { skillsDir } : {}),
            network,
            limits,
            ...(options.readOnlyPaths ? { readOnlyPaths: options.readOnlyPaths } : {}),
            ...(options.env ? { env: options.env } : {}),
            signal: ctx.signal,
          });
        },
        { writes: true },
      ),
  });
}
