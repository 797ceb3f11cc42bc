import type { Tool } from "../agent/tool.js";
import type { ExecToolOptions } from "./exec/exec-tool.js";
import { execTool } from "./exec/exec-tool.js";
import type { SandboxHost } from "./exec/sandbox-check.js";
import { fileTools } from "./files/file-tools.js";
import type { FileToolName } from "./files/file-tools.js";
import { loadSkillTool } from "./skills/load-skill-tool.js";
import { SkillLibrary } from "./skills/skill-library.js";
import { RunWorkspaces } from "./workspace/run-workspaces.js";
import type { WorkspaceLimits } from "./workspace/snapshot-dir.js";

export interface WorkspaceToolsOptions {
  /** Where run workspaces live on this machine. Default `.cairn/workspaces`. */
  root?: string;
  /** How big a run's workspace may grow. */
  limits?: Partial<WorkspaceLimits>;
  /** The `exec` tool's limits and network; false leaves `exec` out. */
  exec?: Omit<ExecToolOptions, "skills"> | false;
  /** A skills folder (`<name>/SKILL.md`): adds `load_skill` and shows them at /skills. */
  skills?: string;
  /** bubblewrap and the sandbox's host user (see SandboxHost). */
  sandbox?: SandboxHost;
}

export type WorkspaceToolName = "exec" | FileToolName | "load_skill";

/**
 * A run workspace and the tools that use it: `exec` (a sandboxed shell), the file tools, and
 * `load_skill` when a skills folder is given. The workspace is checkpointed with the run's steps.
 *
 * @example
 * const coder = agent({
 *   name: "coder",
 *   instructions: "You write and run small programs.",
 *   model: "openai:gpt-4.1-mini",
 *   tools: { ...workspaceTools({ skills: "skills", exec: { limits: { wallSeconds: 30 } } }) },
 * });
 */
export function workspaceTools(
  options: WorkspaceToolsOptions = {},
): Partial<Record<WorkspaceToolName, Tool>> {
  const workspaces = new RunWorkspaces({
    ...(options.root !== undefined ? { root: options.root } : {}),
    ...(options.limits !== undefined ? { limits: options.limits } : {}),
    ...(options.sandbox !== undefined ? { sandbox: options.sandbox } : {}),
  });
  const skills = options.skills !== undefined ? new SkillLibrary(workspaces, options.skills) : undefined;
  const tools: Partial<Record<WorkspaceToolName, Tool>> = {
    ...fileTools(workspaces, skills ? { skills } : {}),
  };
  if (options.exec !== false)
    tools.exec = execTool(workspaces, { ...(options.exec ?? {}), ...(skills ? { skills } : {}) });
  if (skills) tools.load_skill = loadSkillTool(skills);
  return tools;
}
