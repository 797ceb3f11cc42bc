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
import type { EgressRule } from "./egress-proxy.js";
import { parseAllowList } from "./egress-proxy.js";
import { ConfigError } from "../../shared/errors.js";

export interface ExecToolOptions {
  limits?: Partial<SandboxLimits>;
  /**
   * "none" (default): the sandbox has its own empty network namespace, so nothing (not even
   * this machine's loopback) can be reached. `{ allow: ["api.github.com", "*.pypi.org",
   * "example.com:8443"] }`: still no network of its own, but HTTP and HTTPS to those hosts (ports
   * 80 and 443 unless one is named) go through a proxy that refuses the rest; HTTP(S)_PROXY are
   * set, which curl, pip, npm and git follow. "host": it shares this machine's network; allow it
   * only for agents you trust with it.
   */
  network?: "none" | "host" | { allow: string[] };
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
  const { network, allow } = resolveNetwork(options.network, "execTool()");
  input ??= makeInput(requireLazily<{ z: typeof Zod }>("zod").z);
  return tool({
    description:
      `Runs a bash command line in a sandbox and returns its exit code, stdout and stderr. The working ` +
      `folder is ${SANDBOX_WORKSPACE}, the only place you can write; files there persist across calls. ` +
      (options.skills ? `Skill files are under ${SANDBOX_SKILLS} (read-only). ` : "") +
      (allow !== undefined
        ? `Network: only HTTP and HTTPS to ${allowedText(allow)}, through the proxy HTTP(S)_PROXY name. `
        : network === "none"
          ? "There is no network access. "
          : "") +
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
            ...(allow !== undefined ? { allow } : {}),
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

/** The network option, checked: "none", "host", or an allow-list of hosts (through the proxy). */
function resolveNetwork(
  given: ExecToolOptions["network"],
  where: string,
): { network: "none" | "host"; allow?: EgressRule[] } {
  if (given === undefined || given === "none" || given === "host") return { network: given ?? "none" };
  if (typeof given === "object" && given !== null && "allow" in given)
    return { network: "none", allow: parseAllowList(given.allow, where) };
  throw new ConfigError(
    `${where}: network must be "none", "host" or { allow: ["host", ...] }, got ${JSON.stringify(given)}`,
  );
}

function allowedText(rules: readonly EgressRule[]): string {
  return rules
    .map((r) => `${r.wildcard ? "*." : ""}${r.host}${r.ports.length === 1 ? `:${r.ports[0]}` : ""}`)
    .join(", ");
}
