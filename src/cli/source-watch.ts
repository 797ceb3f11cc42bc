import type { FSWatcher } from "node:fs";
import { watch } from "node:fs";
import { basename, dirname, relative, isAbsolute } from "node:path";
import { FolderWatch } from "./folder-watch.js";
import { recordedSources } from "./load-config.js";

/** Files that are not a project's sources: dependencies, Cairn's own folder, builds, git. */
const IGNORED = /(^|[/\\])(node_modules|\.cairn|dist|\.git)([/\\]|$)/;
const SOURCE = /\.(m?[jt]s|json|ya?ml|md)$/;

/**
 * Calls `onChange` (debounced) when a source of the config changes: any source file under the
 * config's folder, and the files it imports from outside that folder (a monorepo's shared
 * package), as the config cache recorded them. `refresh()` after a reload picks up new imports.
 * A file saved between the load and the watch is caught too: the cache shows it changed.
 */
export class SourceWatch {
  private timer: NodeJS.Timeout | undefined;
  private readonly home: FolderWatch;
  /** Watchers of folders outside the config's, and the file names watched in each. */
  private readonly outside = new Map<string, { watcher: FSWatcher; names: Set<string> }>();
  /** The sources' fingerprint last reloaded for unheard: not again while it stays the same. */
  private unheard: string | undefined;

  constructor(
    private readonly configPath: string,
    private readonly onChange: () => void,
  ) {
    this.home = new FolderWatch(
      dirname(configPath),
      (path) => IGNORED.test(path),
      (path) => {
        if (SOURCE.test(path)) this.changed();
      },
    );
    this.refresh();
  }

  /** Watches the config's imports outside its folder as they are now. */
  refresh(): void {
    const home = dirname(this.configPath);
    const wanted = new Map<string, Set<string>>();
    const recorded = recordedSources(this.configPath);
    for (const file of recorded?.sources ?? []) {
      const rel = relative(home, file);
      if (!rel.startsWith("..") && !isAbsolute(rel)) continue; // under the config's folder: watched
      if (IGNORED.test(file)) continue;
      const dir = dirname(file);
      if (!wanted.has(dir)) wanted.set(dir, new Set());
      wanted.get(dir)!.add(basename(file));
    }
    for (const [dir, entry] of this.outside) {
      if (!wanted.has(dir)) {
        entry.watcher.close();
        this.outside.delete(dir);
      }
    }
    for (const [dir, names] of wanted) {
      const known = this.outside.get(dir);
      if (known !== undefined) {
        known.names.clear();
        for (const n of names) known.names.add(n);
        continue;
      }
      try {
        // The folder, not the file: editors replace a file when they save it.
        const watcher = watch(dir, (_event, file) => {
          if (names.has(String(file ?? ""))) this.changed();
        });
        this.outside.set(dir, { watcher, names });
      } catch {
        // A folder gone or unreadable: nothing to watch there.
      }
    }
    // Changed since the load, unheard as no watch was set yet. The same fingerprint again means
    // the cache could not be rewritten: reloading again would repeat forever.
    if (recorded?.changed !== undefined && recorded.changed !== this.unheard) {
      this.unheard = recorded.changed;
      this.changed();
    }
  }

  close(): void {
    clearTimeout(this.timer);
    this.home.close();
    for (const { watcher } of this.outside.values()) watcher.close();
    this.outside.clear();
  }

  private changed(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(this.onChange, 150);
  }
}
