import { useQuery } from "@tanstack/react-query";
import type { RunDiff, StepView } from "cairn-runtime/client";
import { useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { Link, navigate, path, useLocation } from "../router/router.js";
import { formatCost, formatDuration, formatValue } from "../ui/format.js";
import { Empty, ErrorState, Loading } from "../ui/states.js";
import { StatusBadge } from "../ui/status-badge.js";
import { withoutImages } from "../run/step-facts.js";

/** Two runs side by side, step by step, with the first step where they part ways. */
export function ComparePage() {
  const { query } = useLocation();
  const a = query.get("a") ?? "";
  const b = query.get("b") ?? "";
  return (
    <section aria-labelledby="compare-title">
      <p className="crumbs">
        <Link to="/runs">Runs</Link> / compare
      </p>
      <h1 id="compare-title">Compare two runs</h1>
      <PickRuns a={a} b={b} />
      {a && b ? (
        <Diff a={a} b={b} />
      ) : (
        <Empty title="Pick two runs">Give two run ids, or tick two runs in the list and press Compare.</Empty>
      )}
    </section>
  );
}

function PickRuns({ a, b }: { a: string; b: string }) {
  const [left, setLeft] = useState(a);
  const [right, setRight] = useState(b);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    navigate(`/compare?a=${encodeURIComponent(left.trim())}&b=${encodeURIComponent(right.trim())}`);
  };
  return (
    <form className="row wrap compare-pick" onSubmit={submit}>
      <label>
        Run A
        <input className="mono" value={left} onChange={(e) => setLeft(e.target.value)} required />
      </label>
      <label>
        Run B
        <input className="mono" value={right} onChange={(e) => setRight(e.target.value)} required />
      </label>
      <button type="submit">Compare</button>
    </form>
  );
}

function Diff({ a, b }: { a: string; b: string }) {
  const client = useClient();
  const diff = useQuery({ queryKey: ["diff", a, b], queryFn: () => client.diff(a, b) });
  if (diff.isPending) return <Loading what="the comparison" />;
  if (diff.isError) return <ErrorState error={diff.error} retry={() => void diff.refetch()} />;
  return <DiffTable diff={diff.data} a={a} b={b} />;
}

function DiffTable({ diff, a, b }: { diff: RunDiff; a: string; b: string }) {
  return (
    <>
      <p className="diverge" role="status">
        {diff.firstDivergence ? (
          <>
            They part ways at step <strong className="mono">{diff.firstDivergence}</strong>.
          </>
        ) : (
          "Every step has the same outcome in both runs."
        )}
      </p>
      <div className="table-wrap">
        <table className="diff">
          <thead>
            <tr>
              <th scope="col">Step</th>
              <th scope="col">
                A ·{" "}
                <Link to={path("runs", a)} className="mono">
                  {a}
                </Link>{" "}
                <RunStatus summary={diff.a} />
              </th>
              <th scope="col">
                B ·{" "}
                <Link to={path("runs", b)} className="mono">
                  {b}
                </Link>{" "}
                <RunStatus summary={diff.b} />
              </th>
            </tr>
          </thead>
          <tbody>
            {diff.steps.map((s) => (
              <tr
                key={s.stepId}
                className={`${s.same ? "same" : "differs"}${s.stepId === diff.firstDivergence ? " first-divergence" : ""}`}
                data-step-id={s.stepId}
              >
                <th scope="row">
                  <span className="mono">{s.stepId}</span>
                  <span className="muted"> {s.kind}</span>
                  {s.same ? null : <span className="mark mark-differs">differs</span>}
                </th>
                <td>
                  <Side view={s.a} />
                </td>
                <td>
                  <Side view={s.b} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function RunStatus({ summary }: { summary: unknown }) {
  const status = (summary as { status?: unknown } | null)?.status;
  return typeof status === "string" ? <StatusBadge status={status} /> : null;
}

function Side({ view }: { view: StepView | null }) {
  if (view === null) return <span className="muted">not in this run</span>;
  const out = formatValue(withoutImages(view.output));
  return (
    <div className="diff-side">
      <div className="row wrap">
        <StatusBadge status={view.status} />
        <span>{formatDuration(view.durationMs)}</span>
        {view.attempts > 1 ? <span>{view.attempts} attempts</span> : null}
        {view.tokens ? <span>{view.tokens.input + view.tokens.output} tok</span> : null}
        {view.costUsd !== undefined ? <span>{formatCost(view.costUsd)}</span> : null}
      </div>
      {view.error ? <p className="error-text">{view.error.message}</p> : null}
      {view.output !== undefined && view.output !== null ? (
        <pre className="json small">{out.length > 600 ? `${out.slice(0, 600)}…` : out}</pre>
      ) : null}
    </div>
  );
}
