import type { Dirent, FSWatcher } from "node:fs";
import { readdirSync, statSync, watch } from "node:fs";
import { join, relative } from "node:path";

/** How many folders one tree watches at most: a project's sources, not a whole disk. */
const MAX_FOLDERS = 2_000;

/**
 * Watches a folder and the folders under it (all but those `skip` names), reporting each changed
 * entry's path relative to the top. One plain watcher per folder, not Node's recursive watch:
 * on Linux that one watches each file it found, and loses a file for good once an editor saves
 * it by writing a new file and renaming it over the old one.
 */
export class FolderWatch {
  private readonly watchers = new Map<string, FSWatcher>();

  constructor(
    private readonly top: string,
    private readonly skip: (path: string) => boolean,
    private readonly onEntry: (path: string) => void,
  ) {
    this.add(top, false);
  }

  close(): void {
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
  }

  /**
   * Watches `dir` and the folders under it not watched yet. `arrived`: the folder was made or
   * moved in while watched, so the files it already holds came unheard, and are reported.
   */
  private add(dir: string, arrived: boolean): void {
    if (this.watchers.has(dir) || this.watchers.size >= MAX_FOLDERS) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => this.heard(dir, String(name ?? "")));
    } catch {
      return; // gone or unreadable: nothing to watch there
    }
    // A watched folder deleted or moved away: its watcher ends.
    watcher.on("error", () => this.drop(dir));
    this.watchers.set(dir, watcher);
    let entries: Dirent[] = [];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      // Unreadable: its own watcher still reports its entries.
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative(this.top, path);
      if (this.skip(rel)) continue;
      if (entry.isDirectory()) this.add(path, arrived);
      else if (arrived) this.onEntry(rel);
    }
  }

  private drop(dir: string): void {
    this.watchers.get(dir)?.close();
    this.watchers.delete(dir);
  }

  private heard(dir: string, name: string): void {
    if (name === "") return;
    const path = join(dir, name);
    const rel = relative(this.top, path);
    if (this.skip(rel)) return;
    // A folder created or moved in: watch it and what it holds.
    if (!this.watchers.has(path) && isFolder(path)) this.add(path, true);
    this.onEntry(rel);
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
