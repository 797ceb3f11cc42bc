import { execFile, execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres`: trust auth, no password. */
  url: string;
  /** A URL for another database on the same server. */
  urlFor(database: string): string;
  /** The server's port on 127.0.0.1. */
  port: number;
  /** Shuts the server down for good and removes its directory. */
  stop(): Promise<void>;
  /**
   * Stops the server but keeps its data, to take it down for a while: `fast` closes sessions
   * cleanly, `immediate` is a crash (recovery from WAL at the next start).
   */
  halt(mode: "fast" | "immediate"): Promise<void>;
  /** Starts a halted server again on the same port and data. */
  resume(): Promise<void>;
}

export interface PostgresServerOptions {
  /**
   * true: fsync, synchronous commit and full-page writes on, as in production (benchmarks, and
   * crash tests that kill the server). Default false: fast, but a server crash loses the last
   * commits.
   */
  durable?: boolean;
}

/**
 * Starts a throwaway PostgreSQL server for tests: a fresh cluster in a temporary directory,
 * listening on a free port on 127.0.0.1 only (its unix socket in that directory), with trust
 * authentication and fsync off unless `durable`. `stop()` shuts it down (`pg_ctl stop -m fast`) and removes the
 * directory; a test process that exits without calling it still stops the server.
 *
 * Needs the server binaries (Debian: `apt-get install postgresql-15`; or set CAIRN_PG_BINDIR to
 * the directory holding initdb and pg_ctl). PostgreSQL refuses to run as root: as root, the
 * server runs as the `postgres` OS user (via runuser), which is created with useradd when it
 * does not exist. Throws, with what went wrong and the server's log, when it cannot start.
 */
export async function startPostgres(settings: PostgresServerOptions = {}): Promise<PostgresServer> {
  const bin = findBinDir();
  const asRoot = process.getuid?.() === 0;
  if (asRoot) ensurePostgresUser();
  // As root, a TMPDIR under /root would be closed to the postgres user: use /tmp.
  const dir = mkdtempSync(join(asRoot && existsSync("/tmp") ? "/tmp" : tmpdir(), "cairn-pg-"));
  if (asRoot) chownSync(dir, uid("-u"), uid("-g"));
  const data = join(dir, "data");
  const logFile = join(dir, "server.log");
  const env = cleanEnv();
  const exec = (tool: string, args: string[]) =>
    asRoot
      ? run("runuser", ["-u", "postgres", "--", join(bin, tool), ...args], { cwd: dir, env })
      : run(join(bin, tool), args, { cwd: dir, env });

  const fail = (what: string, cause: unknown): never => {
    const log = existsSync(logFile) ? readFileSync(logFile, "utf8").split("\n").slice(-20).join("\n") : "";
    const err = cause as { stderr?: string; message?: string };
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `cannot start the test PostgreSQL server (${what}): ${err.stderr?.trim() || err.message || String(cause)}` +
        (log ? `\n--- server log ---\n${log}` : ""),
    );
  };

  try {
    await exec("initdb", [
      "-D",
      data,
      "-U",
      "postgres",
      "-A",
      "trust",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
      "--no-instructions",
    ]);
  } catch (err) {
    fail("initdb", err);
  }

  let port = 0;
  const durability = settings.durable
    ? ["-c fsync=on", "-c synchronous_commit=on", "-c full_page_writes=on"]
    : ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"];
  const startServer = async () => {
    const options = [
      "-c listen_addresses=127.0.0.1",
      `-c port=${port}`,
      `-c unix_socket_directories=${dir}`,
      ...durability,
      "-c max_connections=200",
      "-c shared_buffers=64MB",
    ].join(" ");
    await exec("pg_ctl", ["start", "-D", data, "-l", logFile, "-w", "-t", "60", "-o", options]);
  };
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      await startServer();
      break;
    } catch (err) {
      // Another process may have taken the port between our probe and the server's bind.
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8") : "";
      if (attempt < 3 && /could not (bind|create listen socket)/i.test(log)) continue;
      fail("pg_ctl start", err);
    }
  }

  let stopped = false;
  let halted = false;
  const stopSync = () => {
    if (stopped) return;
    stopped = true;
    const args = ["stop", "-D", data, "-m", "immediate", "-w"];
    try {
      if (asRoot) execFileSync("runuser", ["-u", "postgres", "--", join(bin, "pg_ctl"), ...args], { env });
      else execFileSync(join(bin, "pg_ctl"), args, { env });
    } catch {
      // Already gone.
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once("exit", stopSync);

  const urlFor = (database: string) => `postgres://postgres@127.0.0.1:${port}/${database}`;
  return {
    url: urlFor("postgres"),
    urlFor,
    port,
    async halt(mode) {
      await exec("pg_ctl", ["stop", "-D", data, "-m", mode, "-w", "-t", "60"]);
      halted = true;
    },
    async resume() {
      // The port was ours a moment ago; a just-closed socket may linger briefly.
      for (let attempt = 1; ; attempt++) {
        try {
          await startServer();
          halted = false;
          return;
        } catch (err) {
          if (attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 200 * attempt));
        }
      }
    },
    async stop() {
      if (stopped) return;
      process.removeListener("exit", stopSync);
      try {
        if (!halted) await exec("pg_ctl", ["stop", "-D", data, "-m", "fast", "-w", "-t", "30"]);
      } finally {
        stopped = true;
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/** initdb and pg_ctl: CAIRN_PG_BINDIR, else Debian's /usr/lib/postgresql/<version>/bin (15 first), else PATH. */
function findBinDir(): string {
  const fromEnv = process.env.CAIRN_PG_BINDIR;
  if (fromEnv) {
    if (!existsSync(join(fromEnv, "pg_ctl")))
      throw new Error(`cannot start the test PostgreSQL server: CAIRN_PG_BINDIR=${fromEnv} holds no pg_ctl`);
    return fromEnv;
  }
  const root = "/usr/lib/postgresql";
  if (existsSync(root)) {
    const versions = readdirSync(root)
      .filter((v) => existsSync(join(root, v, "bin", "pg_ctl")))
      .sort((a, b) => (a === "15" ? -1 : b === "15" ? 1 : Number(b) - Number(a)));
    if (versions[0] !== undefined) return join(root, versions[0], "bin");
  }
  try {
    const dir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (existsSync(join(dir, "pg_ctl"))) return dir;
  } catch {
    // Not on PATH either.
  }
  throw new Error(
    "cannot start the test PostgreSQL server: its binaries (initdb, pg_ctl) are not installed. " +
      "Install them (Debian: apt-get install -y postgresql-15) or set CAIRN_PG_BINDIR to their directory.",
  );
}

/** PostgreSQL will not run as root; tests running as root start it as `postgres`, created if missing. */
function ensurePostgresUser(): void {
  try {
    execFileSync("id", ["-u", "postgres"], { stdio: "ignore" });
  } catch {
    execFileSync(
      "useradd",
      ["--system", "--user-group", "--no-create-home", "--shell", "/bin/false", "postgres"],
      {
        stdio: "ignore",
      },
    );
  }
}

function uid(flag: "-u" | "-g"): number {
  return Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }).trim());
}

/** The environment without libpq's variables, which would point initdb or pg_ctl elsewhere. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("PG")) env[k] = v;
  return env;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
