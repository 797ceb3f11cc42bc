import { ConfigError } from "../shared/errors.js";

/** What a policy decides for one tool call. */
export type PolicyVerdict = "allow" | "deny" | "approve";

/** A call as the policy sees it. */
export interface PolicyCall {
  tool: string;
  args: unknown;
  agent: string;
  user: string;
  session: string | null;
  runId: string;
}

/** A decision with the reason the model (deny) or the approver (approve) is told. */
export interface PolicyDecision {
  decision: PolicyVerdict;
  reason?: string;
}

/**
 * Rules by tool name ("*" at the end matches a prefix, e.g. "github_*"): a tool named by `deny`
 * is refused, by `approve` waits for a person; with `allow`, any tool it does not name is refused.
 */
export interface ToolPolicyRules {
  allow?: string[];
  deny?: string[];
  approve?: string[];
}

/**
 * Decides, per call, from the tool and its arguments: allow it, deny it (the model is told why),
 * or require a person's approval. Guards against calls a prompt injection asks for.
 *
 * @example
 * toolPolicy: ({ tool, args }) =>
 *   tool === "http" && !String((args as { url: string }).url).startsWith("https://api.github.com/")
 *     ? { decision: "deny", reason: "only the GitHub API" }
 *     : "allow"
 */
export type ToolPolicy =
  | ((call: PolicyCall) => PolicyVerdict | PolicyDecision | Promise<PolicyVerdict | PolicyDecision>)
  | ToolPolicyRules;

export function checkToolPolicy(policy: unknown, where: string): void {
  if (policy === undefined || typeof policy === "function") return;
  if (typeof policy !== "object" || policy === null || Array.isArray(policy))
    throw new ConfigError(`${where}: toolPolicy must be a function or { allow?, deny?, approve? }`);
  for (const [key, list] of Object.entries(policy)) {
    if (!["allow", "deny", "approve"].includes(key))
      throw new ConfigError(`${where}: toolPolicy.${key} is not a rule (known: allow, deny, approve)`);
    if (!Array.isArray(list) || list.some((n) => typeof n !== "string"))
      throw new ConfigError(`${where}: toolPolicy.${key} must be a list of tool names`);
  }
}

/** The policy's decision for a call; a policy that throws denies it, saying so. */
export async function decide(policy: ToolPolicy, call: PolicyCall): Promise<PolicyDecision> {
  if (typeof policy !== "function") return byRules(policy, call.tool);
  let verdict: PolicyVerdict | PolicyDecision;
  try {
    verdict = await policy(call);
  } catch (err) {
    return { decision: "deny", reason: `the tool policy failed: ${(err as Error)?.message ?? String(err)}` };
  }
  const d = typeof verdict === "string" ? { decision: verdict } : verdict;
  if (d?.decision !== "allow" && d?.decision !== "deny" && d?.decision !== "approve")
    return {
      decision: "deny",
      reason: `the tool policy answered ${JSON.stringify(verdict)}, not allow, deny or approve`,
    };
  return d.reason !== undefined ? { decision: d.decision, reason: d.reason } : { decision: d.decision };
}

function byRules(rules: ToolPolicyRules, tool: string): PolicyDecision {
  const hit = (list: string[] | undefined) =>
    list?.some((p) => (p.endsWith("*") ? tool.startsWith(p.slice(0, -1)) : p === tool)) === true;
  if (hit(rules.deny)) return { decision: "deny", reason: `${tool} is on the policy's deny list` };
  if (rules.allow !== undefined && !hit(rules.allow))
    return { decision: "deny", reason: `${tool} is not on the policy's allow list` };
  if (hit(rules.approve))
    return { decision: "approve", reason: `${tool} needs a person's approval by policy` };
  return { decision: "allow" };
}
