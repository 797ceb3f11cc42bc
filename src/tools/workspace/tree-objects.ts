import { createHash } from "node:crypto";
import { CorruptPayloadError } from "../../shared/errors.js";
import type { StoredObject } from "../../store/workspace-store.js";

/** One name in a folder: a file (its bytes' hash), a folder (its tree's hash) or a symlink (its target's). */
export interface TreeEntry {
  name: string;
  type: "file" | "dir" | "link";
  /** Permission bits (0o644, 0o755, …; never setuid, setgid or sticky); 0 for symlinks. */
  mode: number;
  hash: string;
  /** Bytes of the file (or of the folder's files, all the way down; or of the link's target). */
  size: number;
}

const TYPE_CODE = { file: "f", dir: "d", link: "l" } as const;
const CODE_TYPE: Record<string, TreeEntry["type"]> = { f: "file", d: "dir", l: "link" };

/** The sha-256 of a file's bytes: its blob's id, so equal files are stored once. */
export function blobHash(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/**
 * A folder as a stored object: its entries sorted by name, as JSON. Its hash (the sha-256 of
 * "tree\n" and that JSON) names the folder's whole content; the root's is the snapshot's id.
 */
export function treeObject(entries: TreeEntry[]): StoredObject {
  const sorted = [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const data = Buffer.from(
    JSON.stringify(sorted.map((e) => [e.name, TYPE_CODE[e.type], e.mode, e.hash, e.size])),
  );
  const hash = createHash("sha256").update("tree\n").update(data).digest("hex");
  return { hash, kind: "tree", data };
}

/** The empty folder's tree: the snapshot of a workspace nothing was written to. */
export const EMPTY_TREE = treeObject([]);

export function readTree(object: StoredObject): TreeEntry[] {
  try {
    const rows = JSON.parse(object.data.toString("utf8")) as [string, string, number, string, number][];
    return rows.map(([name, code, mode, hash, size]) => {
      const type = CODE_TYPE[code];
      if (type === undefined || typeof name !== "string" || typeof hash !== "string") throw new Error(code);
      return { name, type, mode, hash, size };
    });
  } catch (cause) {
    throw new CorruptPayloadError(`workspace folder ${object.hash} cannot be read back`, { cause });
  }
}
