import type { SkillLibrary } from "../skills/skill-library.js";
import type { RunWorkspaces, WorkspaceCallContext } from "../workspace/run-workspaces.js";
import type { Roots } from "./confine.js";

/** What every file tool is built from. */
export interface FileToolOptions {
  /** Skills of the run, readable at /skills/… (read-only). */
  skills?: SkillLibrary;
  /** Largest file read_file returns whole, in bytes (longer ones: ask for lines). Default 256 KiB. */
  maxReadBytes?: number;
}

export interface FileToolKit {
  workspaces: RunWorkspaces;
  options: FileToolOptions;
  /** The run's roots for `confine`: its workspace folder, and its skills if any. */
  roots(ctx: WorkspaceCallContext, dir: string): Promise<Roots>;
}

export function fileToolKit(workspaces: RunWorkspaces, options: FileToolOptions): FileToolKit {
  return {
    workspaces,
    options,
    roots: async (ctx, dir) => ({ workspace: dir, skills: await options.skills?.pinnedDir(ctx) }),
  };
}
