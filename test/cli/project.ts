import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { mkdirSync, readFileSync, existsSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { tempDir } from "../helpers.js";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "dist/cli/main.js");

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A user's project in a temp dir: `cairn-runtime` installed (linked to this checkout) and a config. */
export class Project {
  readonly dir: string;
  readonly store: string;

  constructor(config?: string) {
    this.dir = tempDir("cairn-project-");
    mkdirSync(join(this.dir, "node_modules"));
    symlinkSync(ROOT, join(this.dir, "node_modules/cairn-runtime"), "dir");
    // Configs import zod for tool schemas, as a user's project would have it installed.
    symlinkSync(join(ROOT, "node_modules/zod"), join(this.dir, "node_modules/zod"), "dir");
    if (config !== undefined) writeFileSync(join(this.dir, "cairn.config.ts"), config);
    this.store = `sqlite:${join(this.dir, "cairn.db")}`;
  }

  /** Writes a file of the project (folders made as needed). */
  write(relative: string, text: string): void {
    mkdirSync(dirname(join(this.dir, relative)), { recursive: true });
    writeFileSync(join(this.dir, relative), text);
  }

  /** Path of the side file where test workflows count step executions. */
  get counts(): string {
    return join(this.dir, "executions.log");
  }

  /** How many times each line (step) was written to the side file. */
  executions(): Map<string, number> {
    const m = new Map<string, number>();
    if (!existsSync(this.counts)) return m;
    for (const line of readFileSync(this.counts, "utf8").split("\n"))
      if (line) m.set(line, (m.get(line) ?? 0) + 1);
    return m;
  }

  /** Starts `cairn ARGS`; `env` adds to the environment (a variable set to undefined is removed). */
  spawn(args: string[], env: Record<string, string | undefined> = {}): ChildProcess {
    return spawn(process.execPath, [BIN, ...args], {
      cwd: this.dir,
      env: { ...process.env, CAIRN_STORE: this.store, COUNTS_FILE: this.counts, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
  }

  /** Runs `cairn ARGS` to the end (killed, with an error naming it, if it has not ended in 90 s). */
  run(args: string[], env: Record<string, string | undefined> = {}): Promise<CliResult> {
    return collect(this.spawn(args, env), `cairn ${args.join(" ")}`);
  }

  /** Runs `cairn ARGS` and SIGKILLs it `delayMs` after its stdout matches `when`. */
  async runAndKill(
    args: string[],
    when: RegExp,
    options: { env?: Record<string, string>; delayMs?: number } = {},
  ): Promise<CliResult> {
    const child = this.spawn(args, options.env);
    let seen = "";
    let armed = false;
    child.stdout!.on("data", (d: Buffer) => {
      seen += d.toString();
      if (armed || !when.test(seen)) return;
      armed = true;
      if (options.delayMs) setTimeout(() => child.kill("SIGKILL"), options.delayMs);
      else child.kill("SIGKILL");
    });
    return collect(child, `cairn ${args.join(" ")}`);
  }

  async json<T>(args: string[]): Promise<T> {
    const r = await this.run([...args, "--json"]);
    if (r.code !== 0) throw new Error(`cairn ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }
}

/** How long a CLI process may take in a test before it is killed as hung (a loaded machine included). */
const PROCESS_DEADLINE_MS = 90_000;

/**
 * Collects a child's output and its exit. Call it as soon as the child is spawned (an exit
 * before it would be missed). A child still running after `ms` is SIGKILLed and the promise
 * rejects, naming `what` and showing its output so far.
 */
export function collect(
  child: ChildProcess,
  what = "the child process",
  ms = PROCESS_DEADLINE_MS,
): Promise<CliResult> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${what} did not exit within ${ms} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, ms);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * Resolves once the child's stdout matches `pattern`, with the output so far; rejects naming
 * `what` when it exits first or `ms` pass.
 */
export function waitForOutput(
  child: ChildProcess,
  pattern: RegExp | string,
  what: string,
  ms = 30_000,
): Promise<string> {
  let out = "";
  let err = "";
  const matches = () => (typeof pattern === "string" ? out.includes(pattern) : pattern.test(out));
  return new Promise((resolve, reject) => {
    const fail = (why: string) => {
      cleanup();
      reject(new Error(`${why} waiting for ${what}\nstdout:\n${out}\nstderr:\n${err}`));
    };
    const onOut = (d: Buffer) => {
      out += d.toString();
      if (!matches()) return;
      cleanup();
      resolve(out);
    };
    const onErr = (d: Buffer) => (err += d.toString());
    const onExit = (code: number | null) => fail(`the process exited (${code}) before its output matched,`);
    const timer = setTimeout(() => fail(`timed out after ${ms} ms`), ms);
    function cleanup() {
      clearTimeout(timer);
      child.stdout!.off("data", onOut);
      child.stderr!.off("data", onErr);
      child.off("close", onExit);
    }
    child.stdout!.on("data", onOut);
    child.stderr!.on("data", onErr);
    child.on("close", onExit);
  });
}

/** A workflow config whose steps append their id to $COUNTS_FILE and take `stepMs`. */
export function countingConfig(body: string): string {
  return `import { appendFileSync } from "node:fs";
import { defineConfig, workflow } from "cairn-runtime";

const mark = (id: string) => appendFileSync(process.env.COUNTS_FILE!, id + "\\n");
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
void pause;

${body}
`;
}
