/**
 * When the sandbox cannot be made, `exec` fails with an error that says what to do, and the
 * command never runs on the host instead.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CairnError } from "../../src/shared/errors.js";
import { runSandboxed } from "../../src/tools/exec/run-sandboxed.js";
import { checkReachable, checkSandbox } from "../../src/tools/exec/sandbox-check.js";
import { DEFAULT_LIMITS } from "../../src/tools/exec/sandbox-limits.js";
import { workspaceTools } from "../../src/tools/workspace-tools.js";
import { harness, tempDir } from "../helpers.js";
import type { CallResult } from "./support.js";
import { callsWorkflow, reachableDir, sandboxDir, workspaceRoot } from "./support.js";

describe("without a working sandbox", () => {
  it("exec fails with the install command when bubblewrap is missing, and runs nothing on the host", async () => {
    const host = reachableDir("cairn-host-");
    const tools = workspaceTools({ root: workspaceRoot(), sandbox: { bwrapPath: "/nonexistent/bwrap" } });
    const wf = callsWorkflow(tools);
    const h = await harness([wf]);
    const { runId } = await h.engine.start(wf, [
      { tool: "exec", args: { command: `touch ${host}/ran-on-host` } },
    ]);
    await h.drain();
    const [result] = (await h.journal.getRun("default", runId))!.output as CallResult[];
    expect(result?.code).toBe("CAIRN_SANDBOX_UNAVAILABLE");
    expect(result?.error).toBe(
      "bubblewrap (/nonexistent/bwrap) is not installed, and commands are never run outside a sandbox: " +
        "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`",
    );
    expect(existsSync(join(host, "ran-on-host"))).toBe(false);
    // Not retried: installing it is a person's job.
    const steps = await h.journal.loadSteps("default", runId);
    expect(steps[0]).toMatchObject({ stepId: "tool.exec", status: "failed", attempt: 1 });
  });

  it("says how to allow user namespaces when bubblewrap cannot create them", async () => {
    const dir = reachableDir("cairn-fake-bwrap-");
    const fake = join(dir, "bwrap");
    // What bubblewrap prints where unprivileged user namespaces are off.
    writeFileSync(
      fake,
      "#!/bin/sh\necho 'bwrap: No permissions to creating new namespace, likely because the kernel does not allow non-privileged user namespaces.' >&2\nexit 1\n",
    );
    chmodSync(fake, 0o755);
    let caught: unknown;
    try {
      await runSandboxed({
        command: "true",
        workspaceDir: sandboxDir(),
        network: "none",
        limits: DEFAULT_LIMITS,
        bwrapPath: fake,
      });
    } catch (err) {
      caught = err;
    }
    expect(CairnError.is(caught, "CAIRN_SANDBOX_UNAVAILABLE")).toBe(true);
    expect((caught as Error).message).toMatch(
      /^bubblewrap cannot create the sandbox's namespaces here \(bwrap: No permissions to creating new namespace.*\)\. Allow unprivileged user namespaces \(sysctl -w user\.max_user_namespaces=15000.*Cairn never runs the command on the host instead\.$/,
    );
    // A working bubblewrap passes the same check.
    await expect(checkSandbox({})).resolves.toBeUndefined();
  });

  it("names the folder the sandbox's user cannot pass, when Cairn runs as root", () => {
    const hidden = tempDir("cairn-hidden-"); // mkdtemp: 0700
    const run = join(hidden, "ws", "run_1");
    mkdirSync(run, { recursive: true, mode: 0o755 });
    expect(() => checkReachable(run, { uid: 65534, gid: 65534 })).toThrow(
      `the sandbox runs as uid 65534 (Cairn runs as root), which cannot reach ${run}: ${hidden} is not searchable by it`,
    );
    chmodSync(hidden, 0o711);
    expect(() => checkReachable(run, { uid: 65534, gid: 65534 })).not.toThrow();
  });
});
