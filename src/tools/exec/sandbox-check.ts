import { spawn } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { systemBinds } from "./bubblewrap-args.js";
import { explainBwrapFailure, INSTALL_HINT, SandboxUnavailableError } from "./sandbox-errors.js";

/** Which bubblewrap to run, and as whom. */
export interface SandboxHost {
  /** Default: `bwrap` on the PATH. */
  bwrapPath?: string;
  /**
   * The host user the sandbox runs as when Cairn runs as root (default nobody, 65534): as root, the
   * kernel would not enforce the process limit, and a sandbox escape would be root's.
   */
  sandboxUser?: { uid: number; gid: number };
}

const NOBODY = { uid: 65534, gid: 65534 };

/** The user to drop to before starting bubblewrap: only when this process is root. */
export function hostUser(host: SandboxHost): { uid: number; gid: number } | undefined {
  return process.getuid?.() === 0 ? (host.sandboxUser ?? NOBODY) : undefined;
}

const checks = new Map<string, Promise<void>>();

/**
 * Checks once per process (per bwrap and user) that bubblewrap is installed and can create its
 * namespaces, by starting an empty sandbox. Throws SandboxUnavailableError naming what to do.
 *
 * @example
 * await checkSandbox({}); // at startup, to fail early rather than at the agent's first command
 */
export function checkSandbox(host: SandboxHost = {}): Promise<void> {
  const bwrap = host.bwrapPath ?? "bwrap";
  const user = hostUser(host);
  const key = `${bwrap}\0${user?.uid ?? ""}`;
  let check = checks.get(key);
  if (check === undefined) {
    check = probe(bwrap, user);
    // A failed check is not remembered: installing bubblewrap should not need a restart.
    check.catch(() => checks.delete(key));
    checks.set(key, check);
  }
  return check;
}

async function probe(bwrap: string, user: { uid: number; gid: number } | undefined): Promise<void> {
  if (!existsSync("/usr/bin/prlimit")) {
    throw new SandboxUnavailableError(
      "the sandbox sets its limits with prlimit, which is missing: install util-linux (apt-get install -y util-linux)",
    );
  }
  const args = [
    ...systemBinds(),
    "--unshare-all",
    "--unshare-user",
    "--disable-userns",
    "--uid",
    "1000",
    "--gid",
    "1000",
    "--die-with-parent",
    "--",
    "/usr/bin/true",
  ];
  const result = await new Promise<{ code: number | null; stderr: string; error?: NodeJS.ErrnoException }>(
    (resolve) => {
      const child = spawn(bwrap, args, {
        cwd: "/",
        stdio: ["ignore", "ignore", "pipe"],
        ...(user ? { uid: user.uid, gid: user.gid } : {}),
      });
      let stderr = "";
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      child.on("error", (error: NodeJS.ErrnoException) => resolve({ code: null, stderr, error }));
      child.on("close", (code) => resolve({ code, stderr }));
    },
  );
  if (result.error?.code === "ENOENT") {
    throw new SandboxUnavailableError(
      `bubblewrap (${bwrap}) is not installed, and commands are never run outside a sandbox: ${INSTALL_HINT}`,
    );
  }
  if (result.error) {
    throw new SandboxUnavailableError(`cannot start bubblewrap (${bwrap}): ${result.error.message}`, {
      cause: result.error,
    });
  }
  if (result.code !== 0) {
    const who = user ? `uid ${user.uid}` : `uid ${process.getuid?.() ?? "?"}`;
    throw new SandboxUnavailableError(explainBwrapFailure(result.stderr, who));
  }
}

/**
 * Checks that `user` may search every folder above `path` (bubblewrap, running as that user,
 * opens it by name). Throws SandboxUnavailableError naming the first folder it cannot pass.
 */
export function checkReachable(path: string, user: { uid: number; gid: number } | undefined): void {
  if (user === undefined) return;
  let dir = dirname(path);
  for (;;) {
    const st = statSync(dir);
    const bit = st.uid === user.uid ? 0o100 : st.gid === user.gid ? 0o010 : 0o001;
    if ((st.mode & bit) === 0) {
      throw new SandboxUnavailableError(
        `the sandbox runs as uid ${user.uid} (Cairn runs as root), which cannot reach ${path}: ` +
          `${dir} is not searchable by it. Choose a workspace root every user can reach ` +
          `(e.g. /var/lib/cairn/workspaces), or chmod o+x ${dir}`,
      );
    }
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}
