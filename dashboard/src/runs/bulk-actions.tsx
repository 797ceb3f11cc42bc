import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { BulkAction, BulkFilter, BulkResult } from "cairn-runtime/client";
import { useState } from "react";
import { useClient } from "../api/api-context.js";
import { InlineError } from "../ui/states.js";

const VERBS: Record<BulkAction, { label: string; done: string }> = {
  cancel: { label: "Cancel", done: "cancelled" },
  rerun: { label: "Rerun", done: "rerun" },
  delete: { label: "Delete", done: "deleted" },
};

/**
 * Cancel, rerun or delete every run the filters match: first the count (nothing happens), then
 * a confirmation with that count, which the server checks against what matches by then.
 */
export function BulkActions({ filter }: { filter: BulkFilter }) {
  const client = useClient();
  const queries = useQueryClient();
  const [action, setAction] = useState<BulkAction>("cancel");
  const [preview, setPreview] = useState<{ action: BulkAction; result: BulkResult } | undefined>();
  const [done, setDone] = useState<string | undefined>();
  const ask = useMutation({
    mutationFn: () => client.bulk(action, filter),
    onSuccess: (result) => {
      setDone(undefined);
      setPreview({ action, result });
    },
  });
  const act = useMutation({
    mutationFn: (p: { action: BulkAction; result: BulkResult }) =>
      client.bulk(p.action, filter, p.result.confirmWith ?? p.result.matched),
    onSuccess: (result, p) => {
      setPreview(undefined);
      setDone(`${result.affected ?? result.matched} runs ${VERBS[p.action].done}.`);
      void queries.invalidateQueries({ queryKey: ["runs"] });
    },
  });
  const described = describeFilter(filter);
  return (
    <section className="bulk" aria-labelledby="bulk-title">
      <h2 id="bulk-title" className="small-heading">
        Act on every run matching the filters
      </h2>
      <div className="row">
        <label>
          <span className="visually-hidden">Action</span>
          <select value={action} onChange={(e) => setAction(e.target.value as BulkAction)}>
            <option value="cancel">Cancel</option>
            <option value="rerun">Rerun</option>
            <option value="delete">Delete</option>
          </select>
        </label>
        <button type="button" onClick={() => ask.mutate()} disabled={ask.isPending}>
          {VERBS[action].label} {described}…
        </button>
      </div>
      <InlineError error={ask.error} />
      {preview ? (
        <div className="confirm" role="alertdialog" aria-labelledby="bulk-confirm">
          {preview.result.matched === 0 ? (
            <p id="bulk-confirm">No run matches: nothing to {preview.action}.</p>
          ) : (
            <>
              <p id="bulk-confirm">
                <strong>{preview.result.matched}</strong> run{preview.result.matched === 1 ? "" : "s"} match.{" "}
                {VERBS[preview.action].label} {preview.result.matched === 1 ? "it" : "them"}?
                {preview.action === "delete" ? " Deleted runs cannot be brought back." : ""}
              </p>
              <div className="row">
                <button
                  type="button"
                  className={preview.action === "delete" ? "danger" : "primary"}
                  onClick={() => act.mutate(preview)}
                  disabled={act.isPending}
                >
                  {VERBS[preview.action].label} {preview.result.matched} run
                  {preview.result.matched === 1 ? "" : "s"}
                </button>
                <button type="button" onClick={() => setPreview(undefined)}>
                  Keep them
                </button>
              </div>
            </>
          )}
          <InlineError error={act.error} />
        </div>
      ) : null}
      {done ? (
        <p className="notice" role="status">
          {done}
        </p>
      ) : null}
    </section>
  );
}

function describeFilter(f: BulkFilter): string {
  const parts = [f.status, f.workflow ? `${f.workflow}` : undefined].filter(Boolean);
  return parts.length ? `all ${parts.join(" ")} runs` : "all runs";
}
