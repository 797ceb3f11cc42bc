import type { StepRunContext } from "../engine/step.js";
import type { Logger } from "../shared/logger.js";
import type { AgentOptions } from "./agent.js";
import { proxyFetch } from "./credential-proxy.js";
import type { CredentialSpec } from "./credentials.js";
import { proxyCredentials } from "./credentials.js";
import type { RunScope } from "./loop-state.js";
import type { Redactor } from "./redactor.js";
import type { Tool, ToolContext } from "./tool.js";

/**
 * Runs one tool call with its context: `ctx.fetch` through the credential proxy, and whatever
 * leaves the call (result, error, progress, log lines) through the run's redactor, inside the
 * step, so nothing unredacted is journaled, streamed, logged or shown to the model. When a
 * credential was withheld from a host, the result says so (`credentialNotice`).
 */
export async function callTool(
  options: AgentOptions,
  run: RunScope,
  t: Tool,
  args: unknown,
  step: StepRunContext,
): Promise<unknown> {
  const notices = new Set<string>();
  const ctx = toolContextFor(options, run, t.credentials, step, notices);
  const { redactor } = run;
  let output: unknown;
  try {
    output = await t.execute(args, ctx);
  } catch (err) {
    throw redactor.error(err);
  }
  const clean = redactor.value(output ?? null);
  if (notices.size === 0) return clean;
  const credentialNotice = [...notices];
  return typeof clean === "object" && clean !== null && !Array.isArray(clean)
    ? { ...clean, credentialNotice }
    : { result: clean, credentialNotice };
}

/** A tool's context: `fetch` through the proxy with these credentials; reports redacted. */
export function toolContextFor(
  options: AgentOptions,
  run: RunScope,
  specs: Record<string, CredentialSpec> | undefined,
  step: StepRunContext,
  notices: Set<string>,
): ToolContext {
  const { redactor } = run;
  const credentials = proxyCredentials(specs, {
    workspace: run.workspace,
    user: run.user,
    vault: run.vault,
    redactor,
  });
  return {
    ...step,
    logger: redactingLogger(step.logger, redactor),
    progress: (data) => step.progress(redactor.value(data)),
    agent: { name: options.name, user: run.user, session: run.session },
    workspace: run.workspace,
    journal: run.journal,
    fetch: proxyFetch(credentials, redactor, notices),
    credentials: Object.fromEntries(credentials.map((c) => [c.name, c.placeholder])),
  };
}

function redactingLogger(logger: Logger, redactor: Redactor): Logger {
  const wrap =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void =>
      logger[level](redactor.text(message), fields === undefined ? undefined : redactor.value(fields));
  return { debug: wrap("debug"), info: wrap("info"), warn: wrap("warn"), error: wrap("error") };
}
