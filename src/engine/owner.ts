import { readFileSync, readlinkSync } from "node:fs";
import { hostname } from "node:os";
import { createHash, randomBytes } from "node:crypto";

/**
 * A lease owner id: `<host>/<process space>/<pid>/<process start>/<nonce>`. Workers that share
 * a process space use it to see that the process holding a lease is gone and take the run over
 * at once, instead of waiting for the lease to expire.
 */
export function newOwnerId(): string {
  return `${hostPrefix()}${process.pid}/${processStart(process.pid) ?? "0"}/${randomBytes(4).toString("hex")}`;
}

/**
 * The owner ids of processes this one can see: the host's name and its process space. A host
 * name alone is not enough: two machines, or two containers sharing the host's name
 * (`--uts=host`, Kubernetes' hostNetwork), each have their own pids, and a pid missing here may
 * be alive there.
 */
export function hostPrefix(): string {
  return `${hostname()}/${processSpace()}/`;
}

let space: string | undefined;

/**
 * This boot of this machine and this PID namespace (Linux), hashed short; where neither can be
 * read, "-": pids are then told apart by the host's name only, as before there was this part.
 */
function processSpace(): string {
  if (space !== undefined) return space;
  try {
    const boot = readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    const pids = readlinkSync("/proc/self/ns/pid");
    space = createHash("sha256").update(`${boot} ${pids}`).digest("hex").slice(0, 12);
  } catch {
    space = "-";
  }
  return space;
}

/** True when `owner` names a process of this process space that no longer exists. */
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
