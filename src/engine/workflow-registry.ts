import { ErrorCode, InputError, NotFoundError } from "../shared/errors.js";
import type { Workflow } from "./workflow.js";
import { isPinnedVersion, isWorkflow } from "./workflow.js";

/**
 * The workflows an engine runs, by id, and the versions of each its authors set: several
 * definitions may share an id when each has its own `version` (the one listed last starts new
 * runs), so runs started on an older version keep running on it.
 */
export class WorkflowRegistry {
  private readonly current = new Map<string, Workflow>();
  private readonly pinned = new Map<string, Map<string, Workflow>>();

  constructor(workflows: readonly Workflow[]) {
    for (const wf of workflows) {
      if (!isWorkflow(wf))
        throw new InputError(ErrorCode.Config, "every entry of workflows must come from workflow()");
      const seen = this.current.get(wf.id);
      const versions = this.pinned.get(wf.id) ?? new Map<string, Workflow>();
      if (seen !== undefined) {
        if (!isPinnedVersion(wf.options.version) || !isPinnedVersion(seen.options.version))
          throw new InputError(
            ErrorCode.Config,
            `two workflows share the id "${wf.id}"; to keep an older version for the runs that started on it, give each its own version (workflow("${wf.id}", handler, { version: "2" }))`,
          );
        if (versions.has(wf.version))
          throw new InputError(
            ErrorCode.Config,
            `two definitions of workflow "${wf.id}" share the version "${wf.version}"`,
          );
      }
      if (isPinnedVersion(wf.options.version)) versions.set(wf.version, wf);
      this.pinned.set(wf.id, versions);
      this.current.set(wf.id, wf);
    }
  }

  get ids(): string[] {
    return [...this.current.keys()];
  }

  /** The definition new runs of each workflow start on. */
  get all(): Workflow[] {
    return [...this.current.values()];
  }

  has(id: string): boolean {
    return this.current.has(id);
  }

  /** `workflow@version` of every version an author set: what a claim may take (ClaimRequest.versions). */
  get pinnedKeys(): string[] {
    return [...this.pinned.entries()].flatMap(([id, versions]) =>
      [...versions.keys()].map((v) => `${id}@${v}`),
    );
  }

  /** The versions its authors set that this code has of workflow `id`. */
  versionsOf(id: string): string[] {
    return [...(this.pinned.get(id)?.keys() ?? [])];
  }

  /** The workflow with this id (the definition new runs start on); a NotFoundError lists the known ones. */
  get(id: string): Workflow {
    const wf = this.current.get(id);
    if (wf === undefined) {
      const known = this.ids;
      throw new NotFoundError(
        ErrorCode.UnknownWorkflow,
        `unknown workflow "${id}"; known: ${known.length ? known.join(", ") : "none (is it listed in cairn.config.ts?)"}`,
      );
    }
    return wf;
  }

  /** The definition of workflow `id` at `version` (one its author set, or the current hash), if here. */
  withVersion(id: string, version: string): Workflow | undefined {
    const current = this.current.get(id);
    if (current?.version === version) return current;
    return this.pinned.get(id)?.get(version);
  }

  /**
   * The definition a run executes on: the one with the version it started on, when its author set
   * one; otherwise the current definition (a changed definition goes on with older runs, checked
   * step by step against their journals).
   */
  forRun(run: { workflow: string; version: string | null }): Workflow {
    const current = this.get(run.workflow);
    if (!isPinnedVersion(run.version)) return current;
    const exact = this.pinned.get(run.workflow)?.get(run.version);
    if (exact !== undefined) return exact;
    const have = this.versionsOf(run.workflow);
    throw new InputError(
      ErrorCode.UnknownVersion,
      `workflow "${run.workflow}" has no version "${run.version}" here (${have.length ? `versions here: ${have.join(", ")}` : "its versions here are not set"})`,
    );
  }
}
