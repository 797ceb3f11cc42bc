import { useQuery } from "@tanstack/react-query";
import type { RunDetail, RunEvent } from "cairn-runtime/client";
import { useMemo, useState } from "react";
import { useClient } from "../api/api-context.js";
import { Link, path } from "../router/router.js";
import { forkedFrom } from "../runs/runs-table.js";
import { useWorkflows } from "../runs/use-workflows.js";
import { formatCost, formatDuration, formatTime, formatTokens } from "../ui/format.js";
import { JsonView } from "../ui/json-view.js";
import { ErrorState, Loading } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";
import { Conversation } from "./conversation.js";
import { ForkForm } from "./fork-form.js";
import type { Panel } from "./run-actions.js";
import { RunActions } from "./run-actions.js";
import { stepFacts } from "./step-facts.js";
import { StepWaterfall } from "./step-waterfall.js";
import { useNow } from "./use-now.js";
import { useRunLog } from "./use-run-log.js";

/** One run: what it is doing now, its steps on a time axis, and for an agent the conversation. */
export function RunPage({ runId }: { runId: string }) {
  const client = useClient();
  const detail = useQuery({ queryKey: ["run", runId], queryFn: () => client.get(runId) });
  const log = useRunLog(runId);
  if (detail.isPending) return <Loading what={`run ${runId}`} />;
  if (detail.isError) return <ErrorState error={detail.error} retry={() => void detail.refetch()} />;
  return <RunView detail={detail.data} log={log} />;
}

function RunView({ detail, log }: { detail: RunDetail; log: ReturnType<typeof useRunLog> }) {
  const { run, usage } = detail;
  const workflows = useWorkflows();
  const [panel, setPanel] = useState<Panel>();
  const now = useNow(run.endedAt === null);
  const fork = forkedFrom(run);
  const forkRun = fork?.runId;
  const forkStep = fork?.stepId;
  const facts = useMemo(
    () => stepFacts(detail, log.entries, forkRun ? { stepId: forkStep } : undefined),
    [detail, log.entries, forkRun, forkStep],
  );
  const inProgress = useMemo(() => stepsInProgress(log.entries, log.live), [log.entries, log.live]);
  const isAgent =
    workflows.data?.find((w) => w.name === run.workflow)?.kind === "agent" ||
    facts.some((f) => f.turn !== undefined);
  const reusedTokens = facts
    .filter((f) => f.reused && f.turn?.usage)
    .reduce((sum, f) => sum + f.turn!.usage!.input + f.turn!.usage!.output, 0);
  const took = run.startedAt ? (run.endedAt ?? now) - run.startedAt : null;
  return (
    <article aria-labelledby="run-title" data-run-id={run.id} data-status={run.status}>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <Link to="/runs">Runs</Link> /{" "}
            <Link to={`/runs?workflow=${encodeURIComponent(run.workflow)}`}>{run.workflow}</Link>
          </p>
          <h1 id="run-title" className="mono">
            {run.id}
          </h1>
        </div>
        <StatusBadge status={run.status} />
      </div>
      <dl className="facts run-facts">
        <dt>Created</dt>
        <dd>{formatTime(run.createdAt)}</dd>
        <dt>Took</dt>
        <dd>
          {formatDuration(took)}
          {run.endedAt ? "" : " so far"}
        </dd>
        {usage.modelCalls > 0 ? (
          <>
            <dt>Tokens</dt>
            <dd>
              {formatTokens(usage.usage.input + usage.usage.output)} ({usage.usage.input} in,{" "}
              {usage.usage.output} out
              {usage.usage.cached ? `, ${usage.usage.cached} cached` : ""})
            </dd>
            <dt>Cost</dt>
            <dd>
              {formatCost(usage.cost)}
              {reusedTokens > 0
                ? ` (${formatTokens(reusedTokens)} tokens reused from the original, not paid again)`
                : ""}
            </dd>
            <dt>Model calls</dt>
            <dd>
              {usage.modelCalls}
              {usage.resentCalls ? ` (${usage.resentCalls} sent again)` : ""}
            </dd>
          </>
        ) : null}
        {run.parentRunId ? (
          <>
            <dt>Parent</dt>
            <dd>
              <Link to={path("runs", run.parentRunId)} className="mono">
                {run.parentRunId}
              </Link>
            </dd>
          </>
        ) : null}
        {fork ? (
          <>
            <dt>Forked from</dt>
            <dd>
              <Link to={path("runs", fork.runId)} className="mono">
                {fork.runId}
              </Link>
              {fork.stepId ? ` at ${fork.stepId}` : ""} ·{" "}
              <Link to={`/compare?a=${encodeURIComponent(fork.runId)}&b=${encodeURIComponent(run.id)}`}>
                compare
              </Link>
            </dd>
          </>
        ) : null}
      </dl>
      {run.reason || run.error ? (
        <p className={run.error ? "run-reason error-text" : "run-reason"} role="status">
          {run.error ? `${run.error.name}: ${run.error.message}` : run.reason}
          {run.status === "waiting" && /approval/.test(run.reason ?? "") ? (
            <>
              {" "}
              <Link to="/approvals">Decide it in the approvals inbox</Link>
            </>
          ) : null}
        </p>
      ) : null}
      <RunActions run={run} panel={panel} setPanel={setPanel} />
      {panel === "fork" ? (
        <ForkForm run={run} facts={facts} isAgent={isAgent} onClose={() => setPanel(undefined)} />
      ) : null}
      {log.error ? <ErrorState error={log.error} /> : null}
      <div className={isAgent ? "run-columns" : undefined}>
        {isAgent ? (
          <section aria-labelledby="conversation-title">
            <h2 id="conversation-title">Conversation</h2>
            <Conversation run={run} facts={facts} live={log.live} inProgress={inProgress} />
          </section>
        ) : null}
        <section aria-labelledby="steps-title">
          <h2 id="steps-title">Steps</h2>
          {facts.length === 0 ? (
            <p className="muted">
              {run.status === "queued" ? "Queued: no worker has taken it yet." : "No steps yet."}
            </p>
          ) : (
            <StepWaterfall detail={detail} facts={facts} live={log.live} now={now} />
          )}
          {!isAgent ? (
            <>
              <h3>Input</h3>
              <JsonView value={run.input} label="Run input" />
              {run.status === "completed" ? (
                <>
                  <h3>Output</h3>
                  <JsonView value={run.output} label="Run output" />
                </>
              ) : null}
            </>
          ) : null}
        </section>
      </div>
    </article>
  );
}

/**
 * Steps started and not yet ended, by the run's log. A model call that follows another one may
 * log no `step.started` (the previous commit stands in for its intent): its tokens say it began.
 */
function stepsInProgress(entries: readonly RunEvent[], live: ReadonlyMap<string, unknown>): string[] {
  const open = new Set<string>(live.keys());
  for (const e of entries) {
    if (!e.stepId) continue;
    if (e.type === "step.started") open.add(e.stepId);
    else if (e.type === "step.ended") open.delete(e.stepId);
  }
  return [...open];
}
