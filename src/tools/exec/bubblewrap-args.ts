import { existsSync, lstatSync, readlinkSync } from "node:fs";
import { EGRESS_DIR, egressEnv, egressPrelude } from "./egress-proxy.js";
import type { SandboxLimits } from "./sandbox-limits.js";

/** Where things are inside the sandbox: the same for every run, so a model can rely on them. */
export const SANDBOX_WORKSPACE = "/workspace";
export const SANDBOX_SKILLS = "/skills";
/** The sandbox's user inside its namespace: not root, with no capabilities. */
export const SANDBOX_UID = 1000;

/** Host folders bound read-only at the same place (or recreated as the symlinks they are). */
const SYSTEM_DIRS = ["/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"];
/**
 * The parts of /etc programs need to start (the dynamic linker's cache, alternatives, time zone,
 * certificates), not the host's configuration as a whole.
 */
const ETC_ENTRIES = [
  "alternatives",
  "ld.so.cache",
  "ld.so.conf",
  "ld.so.conf.d",
  "localtime",
  "nsswitch.conf",
  "hosts",
  "ssl",
  "ca-certificates",
  "ca-certificates.conf",
  "mime.types",
  "os-release",
  "debian_version",
  "bash.bashrc",
  "profile",
  "inputrc",
];
/** With network access, name resolution needs these too. */
const NETWORK_ETC = ["resolv.conf", "gai.conf", "host.conf"];

/** The fds bubblewrap reads its generated files from and reports its status on. */
export const FD = { passwd: 3, group: 4, status: 5 } as const;

export interface SandboxLayout {
  workspaceDir: string;
  /** Bind the workspace read-only (a command that only reads, e.g. a search). */
  readOnlyWorkspace?: boolean;
  /** Host folder shown read-only at /skills. */
  skillsDir?: string;
  network: "none" | "host";
  /**
   * With network "none": the egress proxy's folder (see egress-proxy.ts) and the node binary
   * that runs its forwarder inside; HTTP(S) then reaches the allowed hosts through it.
   */
  egress?: { dir: string; node: string };
  /** More host paths bound read-only at the same place (e.g. a language runtime under /opt). */
  readOnlyPaths?: readonly string[];
  env?: Readonly<Record<string, string>>;
}

/** bubblewrap's arguments for one command: read-only system, writable workspace, limits inside. */
export function bubblewrapArgs(layout: SandboxLayout, limits: SandboxLimits, command: string): string[] {
  const args = systemBinds();
  for (const entry of [...ETC_ENTRIES, ...(layout.network === "host" ? NETWORK_ETC : [])])
    bindSystemPath(args, `/etc/${entry}`);
  for (const path of layout.readOnlyPaths ?? []) if (existsSync(path)) args.push("--ro-bind", path, path);
  if (layout.egress !== undefined) args.push("--bind", layout.egress.dir, EGRESS_DIR);
  args.push(
    "--ro-bind-data",
    String(FD.passwd),
    "/etc/passwd",
    "--ro-bind-data",
    String(FD.group),
    "/etc/group",
  );
  args.push("--proc", "/proc", "--dev", "/dev");
  args.push("--size", String(Math.round(limits.tmpMb * 1024 * 1024)), "--tmpfs", "/tmp");
  args.push(layout.readOnlyWorkspace ? "--ro-bind" : "--bind", layout.workspaceDir, SANDBOX_WORKSPACE);
  if (layout.skillsDir !== undefined) args.push("--ro-bind", layout.skillsDir, SANDBOX_SKILLS);
  args.push("--chdir", SANDBOX_WORKSPACE);
  // Every namespace (network included), a user namespace that cannot nest another, no root.
  args.push("--unshare-all", "--unshare-user", "--disable-userns");
  if (layout.network === "host") args.push("--share-net");
  args.push("--uid", String(SANDBOX_UID), "--gid", String(SANDBOX_UID), "--hostname", "sandbox");
  args.push("--cap-drop", "ALL", "--die-with-parent", "--new-session");
  args.push("--json-status-fd", String(FD.status));
  args.push("--clearenv");
  const env: Record<string, string> = {
    PATH: "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin",
    HOME: SANDBOX_WORKSPACE,
    USER: "sandbox",
    LOGNAME: "sandbox",
    LANG: "C.UTF-8",
    TMPDIR: "/tmp",
    ...(layout.egress !== undefined ? egressEnv() : {}),
    ...(layout.env ?? {}),
  };
  for (const [name, value] of Object.entries(env)) args.push("--setenv", name, value);
  // Limits are set inside the sandbox, so the process count is this sandbox's alone.
  const mib = 1024 * 1024;
  const cpu = Math.max(1, Math.ceil(limits.cpuSeconds));
  const limited = [
    "/usr/bin/prlimit",
    `--cpu=${cpu}:${cpu + 1}`,
    `--as=${Math.round(limits.memoryMb * mib)}`,
    `--nproc=${limits.processes}`,
    `--fsize=${Math.round(limits.fileSizeMb * mib)}`,
    "--core=0",
    "--",
    "/bin/bash",
    "-c",
  ];
  if (layout.egress === undefined) args.push("--", ...limited, command);
  else {
    // The forwarder starts first, outside the command's limits; the command is bash's $0.
    const prelude = egressPrelude(layout.egress.node);
    args.push("--", "/bin/bash", "-c", `${prelude}exec ${limited.join(" ")} "$0"`, command);
  }
  return args;
}

/** The read-only system: /usr and the folders (or merged-/usr symlinks) beside it. */
export function systemBinds(): string[] {
  const args: string[] = [];
  for (const dir of SYSTEM_DIRS) bindSystemPath(args, dir);
  return args;
}

function bindSystemPath(args: string[], path: string): void {
  let stat;
  try {
    stat = lstatSync(path);
  } catch {
    return;
  }
  if (stat.isSymbolicLink()) args.push("--symlink", readlinkSync(path), path);
  else args.push("--ro-bind", path, path);
}

/** The sandbox's /etc/passwd and /etc/group: its one user, and nobody else's names. */
export function sandboxIdentity(): { passwd: string; group: string } {
  return {
    passwd: `root:x:0:0:root:/root:/usr/sbin/nologin\nsandbox:x:${SANDBOX_UID}:${SANDBOX_UID}:sandbox:${SANDBOX_WORKSPACE}:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n`,
    group: `root:x:0:\nsandbox:x:${SANDBOX_UID}:\nnogroup:x:65534:\n`,
  };
}
