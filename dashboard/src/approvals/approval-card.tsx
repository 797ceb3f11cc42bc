import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Approval } from "cairn-runtime/client";
import { useEffect, useId, useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { Link, path } from "../router/router.js";
import { formatAgo, formatTime } from "../ui/format.js";
import { JsonView } from "../ui/json-view.js";
import { InlineError } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";
import type { checkArgs } from "./check-args.js";

/** What a tool-call approval asks (the API's `request`): the agent, the tool, the arguments. */
interface ToolRequest {
  agent?: string;
  tool?: string;
  args?: unknown;
  message?: string;
  session?: string | null;
  user?: string;
}

type Mode = "view" | "reject" | "edit";

/** One approval request: what the agent wants to do and why, and the decision. */
export function ApprovalCard({ approval }: { approval: Approval }) {
  const client = useClient();
  const queries = useQueryClient();
  const id = useId();
  const request = (approval.request ?? {}) as ToolRequest;
  const [mode, setMode] = useState<Mode>("view");
  const [reason, setReason] = useState("");
  const [edited, setEdited] = useState(() => JSON.stringify(request.args ?? {}, null, 2));
  const decide = useMutation({
    mutationFn: (d: { approve: true; args?: unknown } | { approve: false; reason: string }) =>
      d.approve
        ? client.approve(approval.id, d.args !== undefined ? { args: d.args } : {})
        : client.reject(approval.id, d.reason),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["approvals"] });
      void queries.invalidateQueries({ queryKey: ["run", approval.runId] });
    },
  });
  // The schema checker (and zod with it) loads only when someone edits arguments.
  const [check, setCheck] = useState<{ fn: typeof checkArgs }>();
  useEffect(() => {
    if (mode !== "edit" || check) return;
    void import("./check-args.js").then((m) => setCheck({ fn: m.checkArgs }));
  }, [mode, check]);
  const pending = approval.status === "pending";
  const parsed = parseArgs(edited);
  const problems =
    mode !== "edit"
      ? []
      : parsed.error
        ? [parsed.error]
        : (check?.fn(approval.argsSchema, parsed.value) ?? []);
  const reject = (e: FormEvent) => {
    e.preventDefault();
    if (reason.trim()) decide.mutate({ approve: false, reason: reason.trim() });
  };
  const approveEdited = (e: FormEvent) => {
    e.preventDefault();
    if (problems.length === 0) decide.mutate({ approve: true, args: parsed.value });
  };
  return (
    <article
      className="card approval"
      aria-labelledby={`${id}-title`}
      data-approval-id={approval.id}
      data-status={approval.status}
    >
      <header className="card-head">
        <h2 id={`${id}-title`}>{approval.title}</h2>
        <StatusBadge status={approval.status} />
      </header>
      {request.message ? (
        <blockquote className="agent-message">
          <span className="who">{request.agent ?? "The agent"} says</span>
          <p>{request.message}</p>
        </blockquote>
      ) : null}
      {request.tool ? (
        <p>
          Tool <strong className="mono">{request.tool}</strong>, with these arguments:
        </p>
      ) : null}
      {mode !== "edit" ? (
        <JsonView value={request.tool ? request.args : approval.request} label="Arguments" />
      ) : null}
      {approval.editedArgs !== undefined ? (
        <>
          <p>Approved with edited arguments:</p>
          <JsonView value={approval.editedArgs} label="Edited arguments" />
        </>
      ) : null}
      <dl className="facts">
        <dt>Run</dt>
        <dd>
          <Link to={path("runs", approval.runId)} className="mono">
            {approval.runId}
          </Link>{" "}
          <span className="muted">step {approval.stepId}</span>
        </dd>
        {request.session ? (
          <>
            <dt>Session</dt>
            <dd>
              <Link to={path("sessions", request.agent ?? "", request.session)}>{request.session}</Link>
            </dd>
          </>
        ) : null}
        {request.user ? (
          <>
            <dt>For user</dt>
            <dd>{request.user}</dd>
          </>
        ) : null}
        <dt>Asked</dt>
        <dd title={formatTime(approval.createdAt)}>{formatAgo(approval.createdAt)}</dd>
        {approval.dueAt ? (
          <>
            <dt>Due</dt>
            <dd>{formatTime(approval.dueAt)}</dd>
          </>
        ) : null}
        {approval.approvers ? (
          <>
            <dt>Who may decide</dt>
            <dd>{approval.approvers.join(", ")}</dd>
          </>
        ) : null}
        {approval.decidedAt ? (
          <>
            <dt>Decided</dt>
            <dd>
              {formatTime(approval.decidedAt)}
              {approval.decidedBy ? ` by ${approval.decidedBy}` : ""}
              {approval.reason ? ` — “${approval.reason}”` : ""}
            </dd>
          </>
        ) : null}
      </dl>
      {pending && mode === "view" ? (
        <div className="row wrap">
          <button
            type="button"
            className="primary"
            onClick={() => decide.mutate({ approve: true })}
            disabled={decide.isPending}
          >
            Approve
          </button>
          <button type="button" onClick={() => setMode("reject")}>
            Reject…
          </button>
          {request.tool ? (
            <button type="button" onClick={() => setMode("edit")}>
              Edit arguments…
            </button>
          ) : null}
        </div>
      ) : null}
      {pending && mode === "reject" ? (
        <form onSubmit={reject} className="decision-form">
          <label htmlFor={`${id}-reason`}>Why (the agent is told, so it can adapt)</label>
          <textarea
            id={`${id}-reason`}
            rows={2}
            value={reason}
            onChange={(e) => setReason(e.target.value)}
            required
            autoFocus
          />
          <div className="row">
            <button type="submit" className="danger" disabled={!reason.trim() || decide.isPending}>
              Reject
            </button>
            <button type="button" onClick={() => setMode("view")}>
              Back
            </button>
          </div>
        </form>
      ) : null}
      {pending && mode === "edit" ? (
        <form onSubmit={approveEdited} className="decision-form">
          <label htmlFor={`${id}-args`}>
            Arguments (JSON{approval.argsSchema ? ", checked against the tool's schema" : ""})
          </label>
          <textarea
            id={`${id}-args`}
            className="mono"
            rows={Math.min(14, edited.split("\n").length + 1)}
            value={edited}
            onChange={(e) => setEdited(e.target.value)}
            aria-invalid={problems.length > 0}
            aria-describedby={`${id}-problems`}
            spellCheck={false}
            autoFocus
          />
          <ul id={`${id}-problems`} className="problems" aria-live="polite">
            {problems.map((p) => (
              <li key={p}>{p}</li>
            ))}
          </ul>
          <div className="row">
            <button
              type="submit"
              className="primary"
              disabled={problems.length > 0 || !check || decide.isPending}
            >
              Approve with these arguments
            </button>
            <button type="button" onClick={() => setMode("view")}>
              Back
            </button>
          </div>
        </form>
      ) : null}
      <InlineError error={decide.error} />
    </article>
  );
}

function parseArgs(text: string): { value?: unknown; error?: string } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `not valid JSON: ${(err as Error).message}` };
  }
}
