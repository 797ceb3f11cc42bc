import { existsSync } from "node:fs";
import { chmod, lchown, mkdir, rename } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { Journal } from "../../store/journal.js";
import type { WorkspaceStore } from "../../store/workspace-store.js";
import { workspaceStoreOf } from "../../store/workspace-store-of.js";
import { hostUser } from "../exec/sandbox-check.js";
import type { SandboxHost } from "../exec/sandbox-check.js";
import { materialize } from "./materialize.js";
import { removeReadOnly } from "./remove-tree.js";
import { KeyedLock } from "./run-lock.js";
import type { SnapshotResult, StatCache, WorkspaceLimits } from "./snapshot-dir.js";
import { DEFAULT_WORKSPACE_LIMITS, snapshotDir } from "./snapshot-dir.js";
import { EMPTY_TREE } from "./tree-objects.js";

/** What a workspace tool call knows about where it runs (a ToolContext has all of it). */
export interface WorkspaceCallContext {
  runId: string;
  stepId: string;
  /** The tenant. */
  workspace: string;
  journal: Journal;
  /** The step's signal: one per execution of a run (see `use`). */
  signal: AbortSignal;
}

export interface RunWorkspacesOptions {
  /** Where run workspaces live on this machine. Default `.cairn/workspaces` under the current directory. */
  root?: string;
  limits?: Partial<WorkspaceLimits>;
  /** The sandbox's host user and bubblewrap (see SandboxHost); files are written as that user. */
  sandbox?: SandboxHost;
}

/** A run's workspace, ready for one tool call. */
export interface OpenWorkspace {
  /** The folder on this machine (the sandbox sees it as /workspace). */
  dir: string;
  /** Who should own what the call writes (the sandbox's host user when Cairn runs as root). */
  owner: { uid: number; gid: number } | undefined;
}

/** What this process knows about one run's folder. */
interface RunState {
  /** The snapshot the folder holds, or undefined when it may hold changes no snapshot has. */
  root: string | undefined;
  /** The execution (its steps' signal) that last used the folder. */
  execution: AbortSignal | undefined;
  cache: StatCache;
  known: Set<string>;
}

const MAX_TRACKED_RUNS = 256;

/**
 * The workspaces of runs on this machine, checkpointed in the store: a tool call gets its run's
 * folder as of the run's last committed step, and a call that may write is snapshotted after it
 * and its snapshot pinned to its step. A run resumed in another process, or on another machine
 * against PostgreSQL, finds its files as they were; what a step that never committed wrote is gone.
 */
export class RunWorkspaces {
  readonly root: string;
  readonly limits: WorkspaceLimits;
  readonly sandbox: SandboxHost;
  private readonly runs = new Map<string, RunState>();
  private readonly lock = new KeyedLock();

  constructor(options: RunWorkspacesOptions = {}) {
    this.root = resolve(options.root ?? ".cairn/workspaces");
    this.limits = { ...DEFAULT_WORKSPACE_LIMITS, ...(options.limits ?? {}) };
    this.sandbox = options.sandbox ?? {};
  }

  /** The folder of a run's workspace on this machine. */
  dirOf(workspace: string, runId: string): string {
    return join(this.root, encodeURIComponent(workspace), runId);
  }

  /** Who owns the files: the sandbox's host user when Cairn runs as root. */
  get owner(): { uid: number; gid: number } | undefined {
    return hostUser(this.sandbox);
  }

  /**
   * Runs `fn` with the run's workspace as of its last committed step. With `writes`, the folder
   * is snapshotted afterwards and the snapshot pinned to the call's step (only when it changed).
   * A run's calls take turns. Within one execution of a run (its steps share a signal) the folder
   * is trusted as this process left it: a step whose commit is still on its way is not undone.
   */
  use<T>(
    ctx: WorkspaceCallContext,
    fn: (ws: OpenWorkspace) => Promise<T>,
    options: { writes: boolean },
  ): Promise<T> {
    const key = `${ctx.workspace}\0${ctx.runId}`;
    return this.lock.hold(key, async () => {
      const store = workspaceStoreOf(ctx.journal);
      const dir = this.dirOf(ctx.workspace, ctx.runId);
      const state = await this.ready(key, ctx, store, dir);
      const before = state.root;
      if (options.writes) state.root = undefined;
      const result = await fn({ dir, owner: this.owner });
      if (options.writes) {
        const snap = await this.snapshot(ctx, store, dir, state);
        if (snap.root !== before) {
          await store.pin(
            ctx.workspace,
            { runId: ctx.runId, stepId: ctx.stepId, kind: "files", root: snap.root },
            await ctx.journal.now(),
          );
        }
        state.root = snap.root;
      }
      return result;
    });
  }

  /** Brings the folder to the run's last committed snapshot unless it already holds it. */
  private async ready(
    key: string,
    ctx: WorkspaceCallContext,
    store: WorkspaceStore,
    dir: string,
  ): Promise<RunState> {
    let state = this.runs.get(key);
    const sameExecution = state?.execution === ctx.signal && !ctx.signal.aborted;
    if (!(state && state.root !== undefined && sameExecution && existsSync(dir))) {
      const latest = await store.latestPin(ctx.workspace, ctx.runId, "files");
      const root = latest?.root ?? EMPTY_TREE.hash;
      if (!state || state.root !== root || !existsSync(dir)) {
        // Forgotten first: a restore cut short leaves a folder nothing may trust.
        this.runs.delete(key);
        state = { root: undefined, execution: undefined, cache: new Map(), known: new Set() };
        await ensureDir(dirname(dir));
        await materialize({
          store,
          workspace: ctx.workspace,
          root,
          dir,
          owner: this.owner,
          cache: state.cache,
          known: state.known,
        });
        await chmod(dir, 0o755);
        state.root = root;
      }
    }
    state.execution = ctx.signal;
    this.runs.delete(key);
    this.runs.set(key, state);
    if (this.runs.size > MAX_TRACKED_RUNS) this.runs.delete(this.runs.keys().next().value!);
    return state;
  }

  private async snapshot(
    ctx: WorkspaceCallContext,
    store: WorkspaceStore,
    dir: string,
    state: RunState,
  ): Promise<SnapshotResult> {
    return snapshotDir({
      dir,
      store,
      workspace: ctx.workspace,
      at: await ctx.journal.now(),
      cache: state.cache,
      known: state.known,
      limits: this.limits,
    });
  }

  /**
   * A read-only copy of the stored tree `root` under this root (`.trees/<hash>`), written once
   * and shared: how a run sees the skills it started with.
   */
  async treeDir(journal: Journal, workspace: string, root: string): Promise<string> {
    const dir = join(this.root, ".trees", root);
    if (existsSync(dir)) return dir;
    const temp = `${dir}.${process.pid}.${Date.now()}`;
    await ensureDir(join(this.root, ".trees"));
    await materialize({ store: workspaceStoreOf(journal), workspace, root, dir: temp, readOnly: true });
    try {
      await rename(temp, dir);
    } catch {
      // Another process wrote the same tree first: theirs is the same bytes.
      await removeReadOnly(temp);
    }
    return dir;
  }

  /** Sets the owner of a path a file tool wrote (no-op unless Cairn runs as root). */
  async own(path: string): Promise<void> {
    const owner = this.owner;
    if (owner) await lchown(path, owner.uid, owner.gid);
  }
}

/**
 * Makes a folder and the missing ones above it searchable by everyone (whatever the umask), so
 * the sandbox's user can reach the workspaces under them.
 */
async function ensureDir(path: string): Promise<void> {
  const first = await mkdir(path, { recursive: true, mode: 0o755 });
  if (first === undefined) return;
  for (let dir = path; dir.length >= first.length; dir = dirname(dir)) await chmod(dir, 0o755);
}
