import type { Dirent } from "node:fs";
import { lstat, readdir, readFile, readlink } from "node:fs/promises";
import { join } from "node:path";
import { CairnError, ErrorCode } from "../../shared/errors.js";
import type { StoredObject, WorkspaceStore } from "../../store/workspace-store.js";
import type { TreeEntry } from "./tree-objects.js";
import { blobHash, treeObject } from "./tree-objects.js";

/** How big a workspace may grow; past either limit a step's changes are dropped. */
export interface WorkspaceLimits {
  /** Default 20 000. */
  maxFiles: number;
  /** Total bytes of its files. Default 512 MiB. */
  maxBytes: number;
}

export const DEFAULT_WORKSPACE_LIMITS: Readonly<WorkspaceLimits> = Object.freeze({
  maxFiles: 20_000,
  maxBytes: 512 * 1024 * 1024,
});

/** What a folder's files looked like when last hashed, by path: unchanged files are not read again. */
export type StatCache = Map<
  string,
  { ino: number; size: number; ctimeMs: number; mtimeMs: number; hash: string }
>;

/** What one snapshot did. */
export interface SnapshotResult {
  /** The root tree's hash: the snapshot's id. */
  root: string;
  files: number;
  bytes: number;
  /** Objects and bytes stored by this snapshot (the rest were already there). */
  storedObjects: number;
  storedBytes: number;
}

export class WorkspaceLimitError extends CairnError {
  override readonly retriable = false;
  constructor(message: string) {
    super(ErrorCode.WorkspaceLimit, message);
    this.name = "WorkspaceLimitError";
  }
}

/**
 * Snapshots `dir` into `store`, content-addressed: a file whose bytes are stored already costs
 * nothing but its line in its folder's tree. Symlinks are kept as links (never followed); other
 * special files (sockets, fifos, devices) are left out. `known` holds hashes known to be stored
 * and kept alive by the run's own pins; it gains the snapshot's.
 */
export async function snapshotDir(options: {
  dir: string;
  store: WorkspaceStore;
  workspace: string;
  at: number;
  cache: StatCache;
  known: Set<string>;
  limits: WorkspaceLimits;
}): Promise<SnapshotResult> {
  const fresh = new Map<string, StoredObject>();
  const seen = new Set<string>();
  const paths = new Set<string>();
  const totals = { files: 0, bytes: 0 };
  const { limits } = options;

  const add = (object: StoredObject) => {
    seen.add(object.hash);
    if (!options.known.has(object.hash)) fresh.set(object.hash, object);
  };

  const scan = async (abs: string, rel: string): Promise<TreeEntry[]> => {
    let dirents: Dirent[];
    try {
      dirents = await readdir(abs, { withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw err;
    }
    const entries: TreeEntry[] = [];
    for (const d of dirents) {
      const path = join(abs, d.name);
      const relPath = rel === "" ? d.name : `${rel}/${d.name}`;
      const st = await lstat(path);
      if (st.isDirectory()) {
        const children = await scan(path, relPath);
        const tree = treeObject(children);
        add(tree);
        const size = children.reduce((n, c) => n + c.size, 0);
        entries.push({ name: d.name, type: "dir", mode: st.mode & 0o777, hash: tree.hash, size });
      } else if (st.isSymbolicLink()) {
        const target = Buffer.from(await readlink(path));
        const blob = { hash: blobHash(target), kind: "blob" as const, data: target };
        add(blob);
        entries.push({ name: d.name, type: "link", mode: 0, hash: blob.hash, size: target.length });
      } else if (st.isFile()) {
        totals.files++;
        totals.bytes += st.size;
        if (totals.files > limits.maxFiles || totals.bytes > limits.maxBytes) {
          throw new WorkspaceLimitError(
            `the workspace grew past its limits (${limits.maxFiles} files, ${limits.maxBytes} bytes): ` +
              `this step's changes are dropped; remove files you do not need`,
          );
        }
        paths.add(relPath);
        const cached = options.cache.get(relPath);
        let hash: string;
        if (
          cached &&
          cached.ino === st.ino &&
          cached.size === st.size &&
          cached.ctimeMs === st.ctimeMs &&
          cached.mtimeMs === st.mtimeMs &&
          options.known.has(cached.hash)
        ) {
          hash = cached.hash;
          seen.add(hash);
        } else {
          const data = await readFile(path);
          hash = blobHash(data);
          add({ hash, kind: "blob", data });
          options.cache.set(relPath, {
            ino: st.ino,
            size: st.size,
            ctimeMs: st.ctimeMs,
            mtimeMs: st.mtimeMs,
            hash,
          });
        }
        entries.push({ name: d.name, type: "file", mode: st.mode & 0o777, hash, size: st.size });
      }
    }
    return entries;
  };

  const rootTree = treeObject(await scan(options.dir, ""));
  add(rootTree);
  let storedObjects = 0;
  let storedBytes = 0;
  if (fresh.size > 0) {
    const already = await options.store.hasObjects(options.workspace, [...fresh.keys()]);
    const missing = [...fresh.values()].filter((o) => !already.has(o.hash));
    storedBytes = await options.store.putObjects(options.workspace, missing, options.at);
    storedObjects = missing.length;
  }
  for (const path of options.cache.keys()) if (!paths.has(path)) options.cache.delete(path);
  // Only this snapshot's objects stay known: an older one's may be collected once unpinned.
  options.known.clear();
  for (const h of seen) options.known.add(h);
  return { root: rootTree.hash, ...totals, storedObjects, storedBytes };
}
