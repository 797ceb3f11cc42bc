import { useQuery } from "@tanstack/react-query";
import type { RunSummary } from "cairn-runtime/client";
import { useState } from "react";
import { useClient } from "../api/api-context.js";
import { Link, path } from "../router/router.js";
import { ErrorState, Loading } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";
import { stepFacts } from "./step-facts.js";
import { StepWaterfall } from "./step-waterfall.js";
import { useNow } from "./use-now.js";

/** A child run inside its parent's waterfall: a line, opening to its own steps. */
export function ChildRun({ summary, depth }: { summary: RunSummary; depth: number }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="child-run">
      <div className="row">
        <button type="button" className="link-button" aria-expanded={open} onClick={() => setOpen(!open)}>
          {open ? "▾" : "▸"} child run
        </button>
        <Link to={path("runs", summary.id)} className="mono">
          {summary.id}
        </Link>
        <span>{summary.workflow}</span>
        <StatusBadge status={summary.status} />
      </div>
      {open ? <ChildSteps runId={summary.id} depth={depth} /> : null}
    </div>
  );
}

function ChildSteps({ runId, depth }: { runId: string; depth: number }) {
  const client = useClient();
  const detail = useQuery({ queryKey: ["run", runId], queryFn: () => client.get(runId) });
  const now = useNow(detail.data !== undefined && detail.data.run.endedAt === null);
  if (detail.isPending) return <Loading what="the child run" />;
  if (detail.isError) return <ErrorState error={detail.error} />;
  return (
    <StepWaterfall
      detail={detail.data}
      facts={stepFacts(detail.data, [], undefined)}
      live={new Map()}
      now={now}
      depth={depth}
    />
  );
}
