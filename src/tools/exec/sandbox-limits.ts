import { ConfigError } from "../../shared/errors.js";

/** What one sandboxed command may use. Each limit stops the command, never the worker. */
export interface SandboxLimits {
  /** CPU time, per process (RLIMIT_CPU): SIGXCPU, then SIGKILL a second later. Default 30. */
  cpuSeconds: number;
  /** Address space per process (RLIMIT_AS), MiB. Default 1024 (Node needs about 1 GiB of it). */
  memoryMb: number;
  /** Processes and threads at once inside the sandbox (RLIMIT_NPROC): stops a fork bomb. Default 64. */
  processes: number;
  /** Wall-clock time: then the whole sandbox is killed. Default 60. */
  wallSeconds: number;
  /** Bytes kept of stdout and of stderr, each; the rest is cut with a marker saying how much. Default 32 KiB. */
  outputBytes: number;
  /** Largest file a process may write (RLIMIT_FSIZE), MiB. Default 256. */
  fileSizeMb: number;
  /** Size of the sandbox's private /tmp (in memory), MiB. Default 64. */
  tmpMb: number;
}

export const DEFAULT_LIMITS: Readonly<SandboxLimits> = Object.freeze({
  cpuSeconds: 30,
  memoryMb: 1024,
  processes: 64,
  wallSeconds: 60,
  outputBytes: 32 * 1024,
  fileSizeMb: 256,
  tmpMb: 64,
});

/** Fills in defaults and checks each limit is a positive number; errors name `where`. */
export function resolveLimits(given: Partial<SandboxLimits> | undefined, where: string): SandboxLimits {
  const limits = { ...DEFAULT_LIMITS, ...(given ?? {}) };
  for (const [key, value] of Object.entries(limits)) {
    if (!(key in DEFAULT_LIMITS)) {
      throw new ConfigError(
        `${where}: unknown limit "${key}" (known: ${Object.keys(DEFAULT_LIMITS).join(", ")})`,
      );
    }
    if (typeof value !== "number" || !Number.isFinite(value) || value <= 0) {
      throw new ConfigError(`${where}: limit ${key} must be a positive number, got ${JSON.stringify(value)}`);
    }
  }
  if (!Number.isInteger(limits.processes))
    throw new ConfigError(`${where}: limit processes must be a whole number`);
  return limits;
}
