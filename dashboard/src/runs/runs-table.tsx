import type { RunSummary } from "cairn-runtime/client";
import { Link, path } from "../router/router.js";
import { formatAgo, formatDuration } from "../ui/format.js";
import { StatusBadge } from "../ui/status-badge.js";

interface Props {
  runs: RunSummary[];
  selected: ReadonlySet<string>;
  onToggle: (id: string) => void;
}

/** Runs, newest first: a row per run, the id a link to it; a checkbox picks runs to compare. */
export function RunsTable({ runs, selected, onToggle }: Props) {
  return (
    <div className="table-wrap">
      <table className="runs">
        <thead>
          <tr>
            <th scope="col">
              <span className="visually-hidden">Compare</span>
            </th>
            <th scope="col">Run</th>
            <th scope="col">Workflow</th>
            <th scope="col">Status</th>
            <th scope="col">Created</th>
            <th scope="col">Took</th>
            <th scope="col" className="wide-only">
              Why
            </th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id} data-run-id={r.id} data-status={r.status}>
              <td>
                <input
                  type="checkbox"
                  aria-label={`Pick ${r.id} to compare`}
                  checked={selected.has(r.id)}
                  onChange={() => onToggle(r.id)}
                />
              </td>
              <td className="mono">
                <Link to={path("runs", r.id)}>{r.id}</Link>
                {r.parentRunId ? <span className="muted"> child</span> : null}
                {forkedFrom(r) ? <span className="muted"> fork</span> : null}
              </td>
              <td>{r.workflow}</td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              <td title={new Date(r.createdAt).toISOString()}>{formatAgo(r.createdAt)}</td>
              <td>{r.endedAt && r.startedAt ? formatDuration(r.endedAt - r.startedAt) : "—"}</td>
              <td className="wide-only why">{r.error?.message ?? r.reason ?? ""}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Where a forked run came from, whichever shape the API gives it. */
export function forkedFrom(run: object): { runId: string; stepId: string | undefined } | undefined {
  const f = (run as { forkedFrom?: unknown }).forkedFrom;
  if (typeof f === "string") return { runId: f, stepId: undefined };
  if (typeof f === "object" && f !== null) {
    const o = f as { runId?: unknown; stepId?: unknown; from?: unknown };
    if (typeof o.runId === "string")
      return {
        runId: o.runId,
        stepId: typeof o.stepId === "string" ? o.stepId : typeof o.from === "string" ? o.from : undefined,
      };
  }
  return undefined;
}
