import { CairnError, ErrorCode } from "../../shared/errors.js";

/**
 * The sandbox cannot run here: bubblewrap is missing, cannot create namespaces, or cannot reach
 * the workspace. Never retried and never worked around by running the command on the host.
 */
export class SandboxUnavailableError extends CairnError {
  override readonly retriable = false;
  constructor(message: string, options?: { cause?: unknown }) {
    super(ErrorCode.SandboxUnavailable, message, options);
    this.name = "SandboxUnavailableError";
  }
}

export const INSTALL_HINT =
  "install it with `apt-get install -y bubblewrap` (Debian/Ubuntu) or `dnf install bubblewrap`";

/** What bubblewrap's own error says, in words a person can act on. */
export function explainBwrapFailure(stderr: string, user: string): string {
  const said = stderr.trim().split("\n").slice(-3).join(" ").slice(0, 400);
  if (/namespace|uid map|setting up uid|Operation not permitted|No permissions to creat/i.test(said)) {
    return (
      `bubblewrap cannot create the sandbox's namespaces here (${said}). Allow unprivileged user ` +
      `namespaces (sysctl -w user.max_user_namespaces=15000, and kernel.unprivileged_userns_clone=1 ` +
      `or kernel.apparmor_restrict_unprivileged_userns=0 where those exist); in a container, run it ` +
      `with a seccomp profile that allows them. Cairn never runs the command on the host instead.`
    );
  }
  if (/Can't find source path.*Permission denied|Permission denied/i.test(said)) {
    return (
      `the sandbox (running as ${user}) cannot reach a folder it needs (${said}): every folder above ` +
      `the workspace root must be searchable by ${user} (chmod o+x), or choose a workspace root it ` +
      `can reach (e.g. /var/lib/cairn/workspaces)`
    );
  }
  return `bubblewrap could not set up the sandbox: ${said}`;
}
