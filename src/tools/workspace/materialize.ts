import { lstatSync } from "node:fs";
import { chmod, lchown, mkdir, readdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { CorruptPayloadError } from "../../shared/errors.js";
import { removeReadOnly } from "./remove-tree.js";
import type { WorkspaceStore } from "../../store/workspace-store.js";
import type { StatCache } from "./snapshot-dir.js";
import type { TreeEntry } from "./tree-objects.js";
import { EMPTY_TREE, readTree } from "./tree-objects.js";

export interface MaterializeOptions {
  store: WorkspaceStore;
  workspace: string;
  /** The snapshot to write out (a root tree's hash). */
  root: string;
  dir: string;
  /** Owner of everything written (the sandbox's host user when Cairn runs as root). */
  owner?: { uid: number; gid: number } | undefined;
  /** Filled with what was written, so the next snapshot does not read it again. */
  cache?: StatCache;
  /** Filled with every hash of the snapshot. */
  known?: Set<string>;
  /** Make it read-only (files 0444/0555, folders 0555): for skills. */
  readOnly?: boolean;
}

/**
 * Makes `dir` hold exactly the snapshot `root`: whatever it held before is removed first (a step
 * that did not commit left nothing behind), then every folder, file and symlink is written.
 */
export async function materialize(options: MaterializeOptions): Promise<{ files: number; bytes: number }> {
  const { store, workspace, dir } = options;
  await mkdir(dir, { recursive: true, mode: 0o755 });
  for (const name of await readdir(dir)) await removeReadOnly(join(dir, name));
  const totals = { files: 0, bytes: 0 };
  options.known?.add(options.root);

  const writeTree = async (treeHash: string, abs: string, rel: string): Promise<void> => {
    const entries = treeHash === EMPTY_TREE.hash ? [] : readTree(await one(store, workspace, treeHash));
    const blobs = await store.getObjects(
      workspace,
      entries.filter((e) => e.type !== "dir").map((e) => e.hash),
    );
    for (const e of entries) {
      options.known?.add(e.hash);
      const path = join(abs, e.name);
      const relPath = rel === "" ? e.name : `${rel}/${e.name}`;
      checkName(e, treeHash);
      if (e.type === "dir") {
        await mkdir(path, { mode: 0o755 });
        await writeTree(e.hash, path, relPath);
        await finish(path, options.readOnly ? 0o555 : e.mode & 0o777 || 0o755, options.owner);
        continue;
      }
      const blob = blobs.get(e.hash);
      if (blob === undefined)
        throw new CorruptPayloadError(`workspace file ${relPath} (${e.hash}) is missing`);
      if (e.type === "link") {
        await symlink(blob.data.toString("utf8"), path);
        if (options.owner) await lchown(path, options.owner.uid, options.owner.gid);
        continue;
      }
      await writeFile(path, blob.data, { flag: "wx" });
      const mode = options.readOnly ? (e.mode & 0o111 ? 0o555 : 0o444) : e.mode & 0o777;
      await finish(path, mode, options.owner);
      totals.files++;
      totals.bytes += blob.data.length;
      if (options.cache) {
        const st = lstatSync(path);
        options.cache.set(relPath, {
          ino: st.ino,
          size: st.size,
          ctimeMs: st.ctimeMs,
          mtimeMs: st.mtimeMs,
          hash: e.hash,
        });
      }
    }
  };
  options.cache?.clear();
  await writeTree(options.root, dir, "");
  if (options.owner) await lchown(dir, options.owner.uid, options.owner.gid);
  if (options.readOnly) await chmod(dir, 0o555);
  return totals;
}

async function one(store: WorkspaceStore, workspace: string, hash: string) {
  const found = (await store.getObjects(workspace, [hash])).get(hash);
  if (found === undefined)
    throw new CorruptPayloadError(`workspace folder ${hash} is missing from the store`);
  return found;
}

async function finish(path: string, mode: number, owner: MaterializeOptions["owner"]): Promise<void> {
  if (owner) await lchown(path, owner.uid, owner.gid);
  await chmod(path, mode);
}

/** A stored tree names entries, never paths: a name with a slash (or "..") is not ours. */
function checkName(e: TreeEntry, tree: string): void {
  if (e.name === "" || e.name === "." || e.name === ".." || e.name.includes("/") || e.name.includes("\0")) {
    throw new CorruptPayloadError(`workspace folder ${tree} holds an invalid name ${JSON.stringify(e.name)}`);
  }
}
