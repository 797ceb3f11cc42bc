/**
 * The sandbox's walls and limits, with real bubblewrap and real processes: what a command can
 * write, reach and see, and how runaway commands are stopped without harming the process that
 * started them.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isPrivateAddress, matchRule, parseAllowList } from "../../src/tools/exec/egress-proxy.js";
import { runSandboxed } from "../../src/tools/exec/run-sandboxed.js";
import { DEFAULT_LIMITS } from "../../src/tools/exec/sandbox-limits.js";
import type { SandboxLimits } from "../../src/tools/exec/sandbox-limits.js";
import { reachableDir, sandboxDir } from "./support.js";

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function run(command: string, limits: Partial<SandboxLimits> = {}, workspaceDir = sandboxDir()) {
  return runSandboxed({ command, workspaceDir, network: "none", limits: { ...DEFAULT_LIMITS, ...limits } });
}

describe("a sandboxed command", () => {
  it("writes in /workspace (the run's folder) and nowhere else: the system is read-only, the host's folders absent", async () => {
    const ws = sandboxDir();
    const host = reachableDir("cairn-host-");
    const r = await run(
      [
        "echo inside > /workspace/ok.txt",
        `echo escaped > ${host}/escaped.txt`,
        "echo x > /usr/escaped.txt",
        "echo x > /escaped.txt",
        "echo x > /etc/escaped.txt",
        `ls ${host}`,
        "id -u",
      ].join("; "),
      {},
      ws,
    );
    expect(readFileSync(join(ws, "ok.txt"), "utf8")).toBe("inside\n");
    expect(existsSync(join(host, "escaped.txt"))).toBe(false);
    expect(existsSync("/usr/escaped.txt")).toBe(false);
    expect(existsSync("/escaped.txt")).toBe(false);
    expect(existsSync("/etc/escaped.txt")).toBe(false);
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stderr).toContain(`ls: cannot access '${host}': No such file or directory`);
    // Not root inside, either.
    expect(r.stdout.trim().split("\n").at(-1)).toBe("1000");
  });

  it("cannot reach a server on this machine's loopback: no network at all", async () => {
    let connections = 0;
    const server = createServer((_, res) => res.end("secret"));
    server.on("connection", () => connections++);
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const r = await run(
      `curl -sS --max-time 5 http://127.0.0.1:${port}/; echo "curl=$?"; ` +
        `python3 -c 'import socket; socket.create_connection(("127.0.0.1", ${port}), timeout=5)' 2>&1 | tail -n 1; ` +
        "cat /proc/net/dev | tail -n +3 | cut -d: -f1",
    );
    expect(r.stdout).not.toContain("secret");
    expect(r.stdout).toMatch(/curl=7/); // could not connect
    expect(r.stdout).toMatch(/ConnectionRefusedError|Network is unreachable/);
    // Its network namespace holds only its own loopback.
    expect(r.stdout.trim().split("\n").at(-1)?.trim()).toBe("lo");
    expect(connections).toBe(0);
  });

  it("with an allow-list, reaches only the listed hosts over HTTP and HTTPS tunnels, through the proxy", async () => {
    const seen: string[] = [];
    const server = createServer((req, res) => {
      seen.push(req.url ?? "");
      res.end(`hello ${req.url}`);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => server.close());
    const port = (server.address() as AddressInfo).port;
    const r = await runSandboxed({
      command:
        `curl -sS --max-time 5 http://127.0.0.1:${port}/plain; echo " plain=$?"; ` +
        // -p: through a CONNECT tunnel, as HTTPS goes.
        `curl -sS --max-time 5 -p http://127.0.0.1:${port}/tunnel; echo " tunnel=$?"; ` +
        `curl -sS --max-time 5 http://127.0.0.2:${port}/other-host; echo " other=$?"; ` +
        `curl -sS --max-time 5 http://127.0.0.1:1/other-port; echo " port=$?"; ` +
        `curl -sS --max-time 5 --noproxy '*' http://127.0.0.1:${port}/direct; echo " direct=$?"`,
      workspaceDir: sandboxDir(),
      network: "none",
      allow: parseAllowList([`127.0.0.1:${port}`], "test"),
      limits: DEFAULT_LIMITS,
    });
    expect(r.stdout).toContain("hello /plain plain=0");
    expect(r.stdout).toContain("hello /tunnel tunnel=0");
    expect(r.stdout).toContain(`127.0.0.2:${port} is not in this sandbox's network allow-list`);
    expect(r.stdout).toContain("127.0.0.1:1 is not in this sandbox's network allow-list");
    expect(r.stdout).toMatch(/direct=7/); // without the proxy there is still no way out
    expect(r.refused).toEqual([`127.0.0.2:${port}`, "127.0.0.1:1"]);
    expect(seen).toEqual(["/plain", "/tunnel"]);
  });

  it("refuses an allow-list entry that is not a host, naming it", () => {
    expect(() => parseAllowList(["https://api.github.com"], "execTool()")).toThrow(
      /network.allow entry "https:\/\/api.github.com" is not a host/,
    );
    expect(() => parseAllowList([], "execTool()")).toThrow(/non-empty list/);
    const rules = parseAllowList(["*.example.com", "api.github.com", "localhost:8080"], "t");
    expect(matchRule(rules, "files.example.com", 443)).toBeDefined();
    expect(matchRule(rules, "example.com", 443)).toBeUndefined();
    expect(matchRule(rules, "API.GitHub.com", 80)).toBeDefined();
    expect(matchRule(rules, "api.github.com", 22)).toBeUndefined();
    expect(matchRule(rules, "localhost", 8080)).toBeDefined();
    expect(matchRule(rules, "localhost", 80)).toBeUndefined();
    // A name under a *.domain rule must resolve to a public address; a named host may be anywhere.
    expect(matchRule(rules, "files.example.com", 443)).toBe("wildcard");
    expect(matchRule(rules, "localhost", 8080)).toBe("exact");
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.9",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fd00::1",
      "fe80::1",
      "::ffff:127.0.0.1",
    ])
      expect(isPrivateAddress(a), a).toBe(true);
    for (const a of ["140.82.112.3", "8.8.8.8", "172.32.0.1", "2606:4700::1111"])
      expect(isPrivateAddress(a), a).toBe(false);
  });

  it("cannot see the host's processes: it has its own PID namespace", async () => {
    const marker = `cairn-host-marker-${process.pid}`;
    const host = spawn("/bin/sh", ["-c", `exec -a ${marker} sleep 60`], { stdio: "ignore" });
    cleanups.push(() => host.kill("SIGKILL"));
    const r = await run("ps -eo pid,args; echo procs=$(ls -d /proc/[0-9]* | wc -l)");
    expect(r.stdout).not.toContain(marker);
    expect(r.stdout).not.toMatch(/vitest|node /);
    // bubblewrap's init, bash, ps (and the subshell): a handful, not the host's hundreds.
    expect(Number(/procs=(\d+)/.exec(r.stdout)?.[1])).toBeLessThan(8);
  });

  it("an infinite loop is stopped by the CPU limit", async () => {
    const r = await run("while :; do :; done", { cpuSeconds: 1, wallSeconds: 30 });
    expect(r.limit).toBe("CPU time: killed after 1 s");
    expect(r.exitCode).toBe(128 + 24); // SIGXCPU
  });

  it("a fork bomb is held to the process limit and stopped by the wall time, and leaves nothing behind", async () => {
    let most = 0;
    const sampling = setInterval(() => {
      void sandboxProcessCount().then((n) => (most = Math.max(most, n)));
    }, 200);
    const r = await run(":(){ :|:& };:; sleep 60", { processes: 32, wallSeconds: 4 });
    clearInterval(sampling);
    expect(r.limit).toBe("wall time: killed after 4 s");
    expect(r.stderr).toMatch(/fork: (retry: )?Resource temporarily unavailable/);
    // Never more than the limit (plus bubblewrap's own two), though it tried for 4 s.
    expect(most).toBeGreaterThan(10);
    expect(most).toBeLessThanOrEqual(32 + 2);
    // Nothing of it outlives the sandbox, and the next command runs as usual.
    expect(await settledSandboxProcesses()).toBe(0);
    expect((await run("echo alive")).stdout).toBe("alive\n");
  });

  it("the wall time kills the whole sandbox, background children included", async () => {
    const ws = sandboxDir();
    const r = await run("(sleep 30; echo late > late.txt) & sleep 30", { wallSeconds: 2 }, ws);
    expect(r.limit).toBe("wall time: killed after 2 s");
    expect(r.durationMs).toBeLessThan(15_000);
    expect(await settledSandboxProcesses()).toBe(0);
    expect(existsSync(join(ws, "late.txt"))).toBe(false);
  });

  it("cuts output past the limit, keeping its start and end, with a marker saying how many bytes were cut", async () => {
    const r = await run("echo START; head -c 100000 /dev/zero | tr '\\0' x; echo; echo END", {
      outputBytes: 1000,
    });
    expect(r.stdout.startsWith("START\n")).toBe(true);
    expect(r.stdout.endsWith("END\n")).toBe(true);
    const total = 6 + 100_000 + 1 + 4;
    expect(r.stdout).toContain(
      `[… ${total - 1000} bytes cut: the output was ${total} bytes, over the 1000-byte limit …]`,
    );
    expect(r.cutBytes.stdout).toBe(total - 1000);
  });

  it("memory past the limit fails the allocation inside the sandbox", async () => {
    const r = await run(`python3 -c 'x = bytearray(800 * 1024 * 1024); print("allocated")'`, {
      memoryMb: 256,
    });
    expect(r.stdout).not.toContain("allocated");
    expect(r.stderr).toContain("MemoryError");
  });
});

/** The processes of running sandboxes: bubblewrap's (started by these tests) and everything under them. */
async function sandboxProcessCount(): Promise<number> {
  const ps = await new Promise<string>((resolve) => {
    const c = spawn("ps", ["-eo", "pid=,ppid=,args="], { stdio: ["ignore", "pipe", "ignore"] });
    let out = "";
    c.stdout.on("data", (d: Buffer) => (out += d.toString()));
    c.on("close", () => resolve(out));
  });
  const rows = ps
    .split("\n")
    .map((l) => /^\s*(\d+)\s+(\d+)\s(.*)$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => ({ pid: Number(m[1]), ppid: Number(m[2]), args: m[3]! }));
  /** `roots` and every process under them. */
  const tree = (roots: Set<number>): Set<number> => {
    for (let grew = true; grew;) {
      grew = false;
      for (const r of rows) {
        if (!roots.has(r.pid) && roots.has(r.ppid)) {
          roots.add(r.pid);
          grew = true;
        }
      }
    }
    return roots;
  };
  // Only this test process's sandboxes: another suite on the machine may be running its own.
  const ours = tree(new Set([process.pid]));
  const sandboxes = rows.filter((r) => ours.has(r.pid) && /^bwrap .*--json-status-fd/.test(r.args));
  return tree(new Set(sandboxes.map((r) => r.pid))).size;
}

/** Sandbox processes left once things settle (a killed sandbox takes a moment to be reaped). */
async function settledSandboxProcesses(): Promise<number> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const n = await sandboxProcessCount();
    if (n === 0 || Date.now() > deadline) return n;
    await new Promise((r) => setTimeout(r, 100));
  }
}
