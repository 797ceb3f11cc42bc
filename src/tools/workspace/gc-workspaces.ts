import { existsSync } from "node:fs";
import { readdir, rm } from "node:fs/promises";
import { removeReadOnly } from "./remove-tree.js";
import { join, resolve } from "node:path";
import type { Journal } from "../../store/journal.js";
import { isTerminal } from "../../store/records.js";
import { workspaceStoreOf } from "../../store/workspace-store-of.js";
import { EMPTY_TREE, readTree } from "./tree-objects.js";

export interface GcWorkspacesOptions {
  /** The tenant. Default "default". */
  workspace?: string;
  /** Also drop the snapshots of runs that ended before this time (ms): they can no longer be rerun from a step. */
  endedBefore?: number;
  /**
   * Objects stored less than this long ago are kept even when nothing pins them yet (a step
   * between storing its snapshot and pinning it). Default one hour.
   */
  graceMs?: number;
  /** This machine's workspace root (as given to workspaceTools): folders of runs that ended or are gone are removed. */
  root?: string;
}

export interface GcWorkspacesResult {
  /** Pins dropped (of deleted runs, or runs that ended before `endedBefore`). */
  pins: number;
  objects: number;
  bytes: number;
  /** Local workspace folders removed. */
  folders: number;
}

/**
 * Collects what no run needs any more: the snapshots of deleted runs (and, with `endedBefore`,
 * of runs that ended before then), the files and folders only they referenced, and this
 * machine's workspace folders of runs that ended. Safe while runs execute.
 *
 * @example
 * await gcWorkspaces(journal, { endedBefore: Date.now() - 30 * 86_400_000 });
 */
export async function gcWorkspaces(
  journal: Journal,
  options: GcWorkspacesOptions = {},
): Promise<GcWorkspacesResult> {
  const ws = options.workspace ?? "default";
  const store = workspaceStoreOf(journal);
  const now = await journal.now();
  const pins = await store.prunePins(
    ws,
    options.endedBefore !== undefined ? { endedBefore: options.endedBefore } : {},
  );
  // Mark: everything reachable from a pinned snapshot.
  const live = new Set<string>();
  const roots = await store.pinnedRoots(ws);
  let frontier = roots.filter((r) => r !== EMPTY_TREE.hash);
  for (const r of frontier) live.add(r);
  while (frontier.length > 0) {
    const trees = await store.getObjects(ws, frontier);
    frontier = [];
    for (const tree of trees.values()) {
      for (const e of readTree(tree)) {
        if (live.has(e.hash)) continue;
        live.add(e.hash);
        if (e.type === "dir") frontier.push(e.hash);
      }
    }
  }
  // Sweep: what nothing reaches, once old enough that no step is about to pin it.
  const dead = (await store.listObjects(ws, now - (options.graceMs ?? 3_600_000))).filter(
    (o) => !live.has(o.hash),
  );
  await store.deleteObjects(
    ws,
    dead.map((o) => o.hash),
  );
  const folders =
    options.root !== undefined
      ? (await removeFolders(journal, ws, resolve(options.root))) +
        (await removeTrees(resolve(options.root), roots))
      : 0;
  return { pins, objects: dead.length, bytes: dead.reduce((n, o) => n + o.size, 0), folders };
}

async function removeFolders(journal: Journal, ws: string, root: string): Promise<number> {
  const parent = join(root, encodeURIComponent(ws));
  if (!existsSync(parent)) return 0;
  let removed = 0;
  for (const runId of await readdir(parent)) {
    const run = await journal.getRunSummary(ws, runId);
    if (run !== undefined && !isTerminal(run.status)) continue;
    await rm(join(parent, runId), { recursive: true, force: true });
    removed++;
  }
  return removed;
}

/** Written-out skill versions (`.trees/<hash>`) no run pins any more. */
async function removeTrees(root: string, pinned: string[]): Promise<number> {
  const trees = join(root, ".trees");
  if (!existsSync(trees)) return 0;
  const keep = new Set(pinned);
  let removed = 0;
  for (const name of await readdir(trees)) {
    if (keep.has(name)) continue;
    await removeReadOnly(join(trees, name));
    removed++;
  }
  return removed;
}
