import { lstatSync, realpathSync } from "node:fs";
import { posix, sep } from "node:path";
import { CairnError, ErrorCode } from "../../shared/errors.js";
import { SANDBOX_SKILLS, SANDBOX_WORKSPACE } from "../exec/bubblewrap-args.js";

/** A path a file tool refused: it leads outside the run's workspace, or writes where it may not. */
export class OutsideWorkspaceError extends CairnError {
  override readonly retriable = false;
  constructor(message: string) {
    super(ErrorCode.OutsideWorkspace, message);
    this.name = "OutsideWorkspaceError";
  }
}

/** Where a model's path leads on this machine. */
export interface ConfinedPath {
  /** The path on this machine (symlinks inside the workspace resolved). */
  abs: string;
  /** As the sandbox shows it: /workspace/… or /skills/…. */
  shown: string;
  /** Whether the target exists (and is not a dangling link). */
  exists: boolean;
}

export interface Roots {
  workspace: string;
  /** The run's skills, read-only, or undefined when it has none. */
  skills?: string | undefined;
}

/**
 * Resolves a path a model gave a file tool: relative to the workspace, or absolute under
 * /workspace or /skills (read-only), as the sandbox shows them. Refused, with an error that says
 * why: other absolute paths, `..` that climbs out, symlinks whose target is outside, files with
 * other names (hard links: one may be outside), and any write under /skills.
 *
 * The check and the use are not atomic; they need not be: a run's workspace tools take turns, and
 * no sandboxed process of the run outlives its command (its PID namespace dies with it).
 */
export function confine(path: string, roots: Roots, intent: "read" | "write"): ConfinedPath {
  if (path.includes("\0"))
    throw new OutsideWorkspaceError(`the path ${JSON.stringify(path)} contains a NUL byte`);
  let base = roots.workspace;
  let shownBase = SANDBOX_WORKSPACE;
  let rel = path;
  if (posix.isAbsolute(path)) {
    const normal = posix.normalize(path);
    if (normal === SANDBOX_WORKSPACE || normal.startsWith(`${SANDBOX_WORKSPACE}/`)) {
      rel = normal.slice(SANDBOX_WORKSPACE.length + 1);
    } else if (normal === SANDBOX_SKILLS || normal.startsWith(`${SANDBOX_SKILLS}/`)) {
      if (roots.skills === undefined) throw new OutsideWorkspaceError(`${path}: this run has no skills`);
      if (intent === "write")
        throw new OutsideWorkspaceError(
          `${path}: skills are read-only; write in ${SANDBOX_WORKSPACE} instead`,
        );
      base = roots.skills;
      shownBase = SANDBOX_SKILLS;
      rel = normal.slice(SANDBOX_SKILLS.length + 1);
    } else {
      throw new OutsideWorkspaceError(
        `${path} is outside the workspace: use a path relative to ${SANDBOX_WORKSPACE} (e.g. src/main.py) or starting with ${SANDBOX_WORKSPACE}/`,
      );
    }
  }
  const normal = posix.normalize(rel === "" ? "." : rel);
  if (normal === ".." || normal.startsWith("../")) {
    throw new OutsideWorkspaceError(`${path} leads outside the workspace (through "..")`);
  }
  const realBase = realpathSync(base);
  const candidate = normal === "." ? realBase : `${realBase}${sep}${normal}`;
  const shown = normal === "." ? shownBase : `${shownBase}/${normal}`;
  // The deepest part that exists, with every symlink in it resolved, must still be inside.
  let existing = candidate;
  let missing = "";
  for (;;) {
    try {
      lstatSync(existing);
      break;
    } catch {
      const cut = existing.lastIndexOf(sep);
      missing = existing.slice(cut) + missing;
      existing = existing.slice(0, cut);
    }
  }
  let real: string;
  try {
    real = realpathSync(existing);
  } catch {
    // A dangling symlink: where it points cannot be checked, so it is not followed.
    throw new OutsideWorkspaceError(
      `${path}: ${shownOf(existing, realBase, shownBase)} is a symlink to nowhere`,
    );
  }
  if (!inside(real, realBase)) {
    throw new OutsideWorkspaceError(
      `${path} leads outside the workspace: ${shownOf(escapingLink(existing, realBase), realBase, shownBase)} is a symlink to a place outside it`,
    );
  }
  const abs = real + missing;
  if (missing === "") {
    const st = lstatSync(real);
    if (st.isFile() && st.nlink > 1) {
      throw new OutsideWorkspaceError(
        `${path} is a hard link (the file has ${st.nlink} names, which may be outside the workspace); copy it instead`,
      );
    }
  }
  return { abs, shown, exists: missing === "" };
}

function inside(real: string, realBase: string): boolean {
  return real === realBase || real.startsWith(realBase + sep);
}

/** The first symlink on the way from the base to `abs` that leads out (for the error message). */
function escapingLink(abs: string, realBase: string): string {
  const parts = abs.slice(realBase.length + 1).split(sep);
  for (let i = 1; i <= parts.length; i++) {
    const prefix = realBase + sep + parts.slice(0, i).join(sep);
    if (lstatSync(prefix).isSymbolicLink() && !inside(realpathSync(prefix), realBase)) return prefix;
  }
  return abs;
}

function shownOf(abs: string, realBase: string, shownBase: string): string {
  return abs.startsWith(realBase) ? shownBase + abs.slice(realBase.length) : abs;
}
