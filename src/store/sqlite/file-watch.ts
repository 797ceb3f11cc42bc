import { statSync } from "node:fs";
import { resolve } from "node:path";
import { StoreError } from "../../shared/errors.js";

/** How often, at most, the file is looked at again (ms): a stat is cheap, but not free. */
const EVERY_MS = 500;

/**
 * The SQLite file this process opened, as the path names it: a file deleted (or replaced) under
 * a running process stays open as a ghost, where the process goes on alone while every other
 * process uses the new file at that path. `check()` notices.
 */
export class FileWatch {
  private readonly identity: string | undefined;
  private nextLook = 0;
  private gone = false;

  private readonly path: string;

  constructor(path: string) {
    const inMemory = path === ":memory:" || path === "";
    this.path = inMemory ? path : resolve(path);
    this.identity = inMemory ? undefined : identify(this.path);
  }

  /** Throws a StoreError (`fileGone`) once the path no longer names the file opened. */
  check(): void {
    if (this.identity === undefined) return;
    const now = performance.now();
    // Once gone, every call looks again: nothing goes on alone until the file is back.
    if (!this.gone && now < this.nextLook) return;
    this.nextLook = now + EVERY_MS;
    const current = identify(this.path);
    this.gone = current !== this.identity;
    if (!this.gone) return;
    throw new SqliteFileGoneError(
      `the SQLite store file ${this.path} was ${current === undefined ? "deleted" : "replaced by another file"} ` +
        `while this process had it open: runs started from now on go to ${current === undefined ? "a new file there" : "that file"}, ` +
        `which this process does not see, and what it writes is lost with the old one. ` +
        `Restart this process (\`cairn worker\`, \`cairn dev\`) to use the file at ${this.path}.`,
    );
  }
}

/** The store's file is no longer the one this process opened (see FileWatch). */
export class SqliteFileGoneError extends StoreError {
  readonly fileGone = true;
}

function identify(path: string): string | undefined {
  const s = statSync(path, { throwIfNoEntry: false });
  return s === undefined ? undefined : `${s.dev}:${s.ino}`;
}
