import { spawn } from "node:child_process";
import { dirname } from "node:path";
import type { Readable, Writable } from "node:stream";
import { bubblewrapArgs, FD, sandboxIdentity } from "./bubblewrap-args.js";
import type { SandboxLayout } from "./bubblewrap-args.js";
import { CappedOutput } from "./capped-output.js";
import type { EgressRule } from "./egress-proxy.js";
import { startEgressProxy } from "./egress-proxy.js";
import { hostUser, checkSandbox } from "./sandbox-check.js";
import type { SandboxHost } from "./sandbox-check.js";
import { explainBwrapFailure, SandboxUnavailableError } from "./sandbox-errors.js";
import type { SandboxLimits } from "./sandbox-limits.js";

export interface SandboxRequest extends SandboxLayout, SandboxHost {
  command: string;
  /**
   * With network "none": the hosts HTTP(S) may reach, through a proxy that refuses the rest
   * (see parseAllowList). Other traffic still has no way out.
   */
  allow?: readonly EgressRule[];
  limits: SandboxLimits;
  stdin?: string;
  /** Aborting kills the sandbox (the worker lost the run, or is shutting down). */
  signal?: AbortSignal;
}

/** How a sandboxed command ended. A command that fails or hits a limit is a result, not an error. */
export interface SandboxResult {
  /** The command's exit code; 128 + n when signal n killed it (as a shell reports it). */
  exitCode: number | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Set when a limit stopped the command, in words: "wall time: killed after 60 s". */
  limit?: string;
  /** Bytes cut from stdout and stderr (see SandboxLimits.outputBytes). */
  cutBytes: { stdout: number; stderr: number };
  /** With an allow-list: the destinations the proxy refused (`host:port`). */
  refused?: string[];
}

const SIGXCPU_EXIT = 128 + 24;
const SIGKILL_EXIT = 128 + 9;

/**
 * Runs `command` with bash in a fresh bubblewrap sandbox: read-only system, the workspace
 * writable at /workspace, no network (unless `network: "host"`), a non-root user, its own PID
 * namespace, and the limits of `limits`. Throws SandboxUnavailableError when the sandbox cannot be
 * made; never runs anything on the host.
 *
 * @example
 * const r = await runSandboxed({ command: "ls -la", workspaceDir: "/srv/ws/run_1", network: "none", limits: DEFAULT_LIMITS });
 */
export async function runSandboxed(request: SandboxRequest): Promise<SandboxResult> {
  if (request.allow === undefined || request.network === "host") return runInSandbox(request);
  await checkSandbox(request);
  const proxy = await startEgressProxy(request.allow);
  try {
    const node = process.execPath;
    const outside = !/^\/(usr|bin)\//.test(node);
    const result = await runInSandbox({
      ...request,
      egress: { dir: proxy.dir, node },
      // A node installed elsewhere than /usr is shown read-only where it is, for the forwarder.
      ...(outside ? { readOnlyPaths: [...(request.readOnlyPaths ?? []), dirname(dirname(node))] } : {}),
    });
    return proxy.refused.length > 0 ? { ...result, refused: [...proxy.refused] } : result;
  } finally {
    await proxy.close();
  }
}

async function runInSandbox(request: SandboxRequest): Promise<SandboxResult> {
  await checkSandbox(request);
  const user = hostUser(request);
  const limits = request.limits;
  const began = performance.now();
  const child = spawn(request.bwrapPath ?? "bwrap", bubblewrapArgs(request, limits, request.command), {
    // Its own process group, so the wall-time kill reaches bubblewrap and everything under it.
    detached: true,
    cwd: "/",
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    stdio: ["pipe", "pipe", "pipe", "pipe", "pipe", "pipe"],
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
  });
  const stdout = new CappedOutput(limits.outputBytes);
  const stderr = new CappedOutput(limits.outputBytes);
  let status = "";
  child.stdout.on("data", (d: Buffer) => stdout.push(d));
  child.stderr.on("data", (d: Buffer) => stderr.push(d));
  const fds = child.stdio as unknown as (Readable | Writable)[];
  (fds[FD.status] as Readable).on("data", (d: Buffer) => (status += d.toString()));
  const identity = sandboxIdentity();
  for (const [fd, text] of [
    [FD.passwd, identity.passwd],
    [FD.group, identity.group],
  ] as const) {
    const pipe = fds[fd] as Writable;
    pipe.on("error", () => undefined);
    pipe.end(text);
  }
  child.stdin.on("error", () => undefined);
  child.stdin.end(request.stdin ?? "");

  let limit: string | undefined;
  const kill = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    limit = `wall time: killed after ${limits.wallSeconds} s`;
    kill();
  }, limits.wallSeconds * 1000);
  const onAbort = () => {
    limit ??= "stopped: the step was aborted";
    kill();
  };
  request.signal?.addEventListener("abort", onAbort, { once: true });
  const exit = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.on("error", (error) => resolve({ code: null, error }));
    child.on("close", (code) => resolve({ code }));
  });
  clearTimeout(timer);
  request.signal?.removeEventListener("abort", onAbort);
  if (exit.error) {
    throw new SandboxUnavailableError(`cannot start bubblewrap: ${exit.error.message}`, {
      cause: exit.error,
    });
  }
  // bubblewrap reports the command's pid once it started it: without that, setting up failed.
  if (!status.includes('"child-pid"') && limit === undefined) {
    throw new SandboxUnavailableError(explainBwrapFailure(stderr.text(), describeUser(user)));
  }
  const exitCode = exit.code ?? SIGKILL_EXIT;
  if (limit === undefined && exitCode === SIGXCPU_EXIT)
    limit = `CPU time: killed after ${limits.cpuSeconds} s`;
  return {
    exitCode,
    stdout: stdout.text(),
    stderr: stderr.text(),
    durationMs: Math.round(performance.now() - began),
    ...(limit !== undefined ? { limit } : {}),
    cutBytes: { stdout: stdout.cutBytes, stderr: stderr.cutBytes },
  };
}

function describeUser(user: { uid: number; gid: number } | undefined): string {
  return user ? `uid ${user.uid}` : `uid ${process.getuid?.() ?? "?"}`;
}
