import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";

/**
 * A lease owner id: `<host>/<pid>/<process start>/<nonce>`. Workers on the same host use it to
 * see that the process holding a lease is gone and take the run over at once, instead of
 * waiting for the lease to expire.
 */
export function newOwnerId(): string {
  return `${hostPrefix()}${process.pid}/${processStart(process.pid) ?? "0"}/${randomBytes(4).toString("hex")}`;
}

export function hostPrefix(): string {
  return `${hostname()}/`;
}

/** True when `owner` names a process on this host that no longer exists. */
export function isOwnerDead(owner: string): boolean {
  if (!owner.startsWith(hostPrefix())) return false;
  const [pidText, start] = owner.slice(hostPrefix().length).split("/");
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
  // The pid is alive; if it was reused by a new process, its start time differs.
  const now = processStart(pid);
  return now !== undefined && start !== undefined && start !== "0" && now !== start;
}

/** The process start time in clock ticks since boot (Linux), to tell a reused pid apart. */
function processStart(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19];
  } catch {
    return undefined;
  }
}
