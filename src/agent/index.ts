export { agent, isAgent } from "./agent.js";
export type { Agent, AgentOptions, AgentInput, AgentResult } from "./agent.js";
export { tool, isTool } from "./tool.js";
export type { Tool, ToolOptions, ToolContext, ToolPreparation } from "./tool.js";
export { AgentLimitError } from "./agent-limit-error.js";
export type { AgentLimit } from "./agent-limit-error.js";
export { resolveModel } from "./models.js";
export type { ModelSpec, ResolvedModel } from "./models.js";
export type { ModelTurn, ToolCallRecord } from "./model-call.js";
export { DEFAULT_PRICES, costOf } from "./usage.js";
export type { Usage, Price } from "./usage.js";
export { scriptedModel, promptText } from "./scripted-model.js";
export type { ScriptedReply, ScriptedModelOptions } from "./scripted-model.js";
export { runUsage, modelTurnOf } from "./run-usage.js";
export type { RunUsage } from "./run-usage.js";
export { sendToAgent } from "./send-to-agent.js";
export type { SendToAgentResult } from "./send-to-agent.js";
export { memoryTool } from "./memory-tool.js";
export { loadAgentProfile } from "./profile.js";
export type { AgentProfile, BuiltinTools } from "./profile.js";
export { decideApproval, isToolApprovalRequest } from "./tool-approval.js";
export type { DecisionInput, ToolApprovalRequest } from "./tool-approval.js";
export { approvalWebhook, verifyWebhookSignature, APPROVAL_WEBHOOK } from "./approval-webhook.js";
export type { ApprovalWebhookOptions } from "./approval-webhook.js";
export { oauthProvider, isOAuthProvider, CredentialUnavailableError } from "./oauth.js";
export type { OAuthProvider, OAuthProviderOptions, OAuthTokens } from "./oauth.js";
export type { CredentialSpec } from "./credentials.js";
export type {
  ToolPolicy,
  ToolPolicyRules,
  PolicyCall,
  PolicyDecision,
  PolicyVerdict,
} from "./tool-policy.js";
export { Redactor, placeholder } from "./redactor.js";
export { toolSource, isToolSource, listingHash } from "./tool-source.js";
export type { ToolSource, ListedTool, ToolListing } from "./tool-source.js";
export { forkWithChanges } from "./fork-agent-run.js";
export type { ForkRequest } from "./fork-agent-run.js";
export { usageReport, modelStepMeasure } from "./usage-report.js";
export type { UsageBucket, UsageQuery } from "./usage-report.js";
