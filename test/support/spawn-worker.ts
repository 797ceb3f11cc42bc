import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { join, resolve } from "node:path";
import { onCleanup } from "../helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SCRIPT = join(ROOT, "test/support/worker-process.ts");

/** A worker process of test/support/worker-process.ts, killed after the test. */
export interface WorkerChild {
  child: ChildProcess;
  /** What it logged on stderr so far (JSON lines). */
  readonly log: string;
  /** SIGKILLs it and waits for it to be gone. */
  kill(): Promise<void>;
}

/**
 * Starts a worker process on `store` running FAULT_WORKFLOWS and waits (at most 30 s) until it
 * says it is ready. `env` is added to its environment (COUNTS_FILE, SPIN_MS…).
 */
export async function spawnWorker(
  store: string,
  options: { leaseTtlMs?: number; env?: Record<string, string> } = {},
): Promise<WorkerChild> {
  const args = [
    "--import",
    "tsx",
    SCRIPT,
    store,
    ...(options.leaseTtlMs ? [String(options.leaseTtlMs)] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  onCleanup(() => {
    child.kill("SIGKILL");
  });
  let out = "";
  let log = "";
  child.stderr.on("data", (d: Buffer) => (log += d.toString()));
  await new Promise<void>((resolvePromise, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the worker process did not say "ready" within 30 s; stderr:\n${log}`)),
      30_000,
    );
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("ready")) {
        clearTimeout(timer);
        resolvePromise();
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the worker process exited (${code ?? signal}) before it was ready; stderr:\n${log}`));
    });
  });
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  return {
    child,
    get log() {
      return log;
    },
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}
