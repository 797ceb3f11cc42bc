import type { ChildProcess } from "node:child_process";
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { join, resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");
const CLI = join(ROOT, "dist/cli/main.js");
const CONFIG = join(import.meta.dirname, "chaos.config.ts");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One `cairn worker` process slot of the chaos test: started, killed and started again. */
export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  frozen = false;

  constructor(
    readonly index: number,
    private readonly dir: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.start();
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    const out = openSync(join(this.dir, `worker-${this.index}.log`), "a");
    const child = spawn(process.execPath, [CLI, "worker", "--json", "--config", CONFIG], {
      cwd: ROOT,
      env: this.env,
      stdio: ["ignore", out, out],
    });
    closeSync(out);
    this.child = child;
    this.exited = new Promise((resolve) => child.once("exit", () => resolve()));
  }

  async sigkill(): Promise<void> {
    this.child?.kill("SIGKILL");
    await this.exited;
  }

  signal(signal: "SIGSTOP" | "SIGCONT"): void {
    this.child?.kill(signal);
  }

  /** SIGTERM: the worker finishes its steps in hand and releases its leases. */
  async stop(): Promise<void> {
    this.child?.kill("SIGTERM");
    const timeout = sleep(20_000).then(() => this.child?.kill("SIGKILL"));
    await Promise.race([this.exited, timeout]);
  }

  async kill(): Promise<void> {
    if (this.child?.exitCode === null && this.child.signalCode === null) await this.sigkill();
  }
}
