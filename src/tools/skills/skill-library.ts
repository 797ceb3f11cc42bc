import { resolve } from "node:path";
import { workspaceStoreOf } from "../../store/workspace-store-of.js";
import type { RunWorkspaces, WorkspaceCallContext } from "../workspace/run-workspaces.js";
import { snapshotDir } from "../workspace/snapshot-dir.js";
import type { SkillInfo } from "./skill-catalog.js";
import { readCatalog } from "./skill-catalog.js";

/**
 * A skills folder, versioned by content: each run pins the version present when it starts (its
 * hash recorded in the run's journal), so the folder can be edited while Cairn runs: new runs see
 * the change, runs in flight keep theirs, on any machine (the files live in the store).
 */
export class SkillLibrary {
  readonly dir: string;
  /** Pinned skill folders by run, on this machine. */
  private readonly pinned = new Map<string, string>();

  constructor(
    private readonly workspaces: RunWorkspaces,
    dir: string,
  ) {
    this.dir = resolve(dir);
  }

  /**
   * Snapshots the folder as it is now and pins it to the calling step (the run's first); returns
   * the skills it holds. Call inside a step, once per run.
   */
  async pin(ctx: WorkspaceCallContext): Promise<{ root: string; skills: SkillInfo[]; problems: string[] }> {
    const store = workspaceStoreOf(ctx.journal);
    const at = await ctx.journal.now();
    // Skill folders are small: hashed afresh each time, and every object's presence checked.
    const snap = await snapshotDir({
      dir: this.dir,
      store,
      workspace: ctx.workspace,
      at,
      cache: new Map(),
      known: new Set(),
      limits: this.workspaces.limits,
    });
    await store.pin(
      ctx.workspace,
      { runId: ctx.runId, stepId: ctx.stepId, kind: "skills", root: snap.root },
      at,
    );
    const dir = await this.workspaces.treeDir(ctx.journal, ctx.workspace, snap.root);
    return { root: snap.root, ...readCatalog(dir) };
  }

  /** The run's pinned skills, written out read-only on this machine; undefined when it has none. */
  async pinnedDir(ctx: WorkspaceCallContext): Promise<string | undefined> {
    const key = `${ctx.workspace}\0${ctx.runId}`;
    const known = this.pinned.get(key);
    if (known !== undefined) return known;
    const pin = await workspaceStoreOf(ctx.journal).latestPin(ctx.workspace, ctx.runId, "skills");
    if (pin === undefined) return undefined;
    const dir = await this.workspaces.treeDir(ctx.journal, ctx.workspace, pin.root);
    this.pinned.set(key, dir);
    if (this.pinned.size > 256) this.pinned.delete(this.pinned.keys().next().value!);
    return dir;
  }
}
