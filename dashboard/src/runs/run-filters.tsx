import type { RunStatus } from "cairn-runtime/client";
import { useWorkflows } from "./use-workflows.js";

export const STATUSES: RunStatus[] = [
  "queued",
  "running",
  "waiting",
  "needs-attention",
  "completed",
  "failed",
  "cancelled",
];

export interface Filters {
  status: RunStatus | undefined;
  workflow: string | undefined;
}

/** Status and workflow filters; they live in the address (shareable, kept on reload). */
export function RunFilters({
  value,
  onChange,
}: {
  value: Filters;
  onChange: (next: Partial<Filters>) => void;
}) {
  const workflows = useWorkflows();
  return (
    <div className="filters" role="group" aria-label="Filters">
      <label>
        Status
        <select
          aria-label="Status"
          value={value.status ?? ""}
          onChange={(e) => onChange({ status: (e.target.value || undefined) as RunStatus | undefined })}
        >
          <option value="">any</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      <label>
        Workflow
        <select
          aria-label="Workflow"
          value={value.workflow ?? ""}
          onChange={(e) => onChange({ workflow: e.target.value || undefined })}
        >
          <option value="">any</option>
          {(workflows.data ?? []).map((w) => (
            <option key={w.name} value={w.name}>
              {w.name}
              {w.kind === "agent" ? " (agent)" : ""}
            </option>
          ))}
          {value.workflow && !workflows.data?.some((w) => w.name === value.workflow) ? (
            <option value={value.workflow}>{value.workflow}</option>
          ) : null}
        </select>
      </label>
    </div>
  );
}
