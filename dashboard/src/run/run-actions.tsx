import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Run } from "cairn-runtime/client";
import { useState } from "react";
import type { FormEvent } from "react";
import { useClient } from "../api/api-context.js";
import { navigate } from "../router/router.js";
import { parseJsonField } from "../ui/json-field.js";
import { InlineError } from "../ui/states.js";
import { forkedFrom } from "../runs/runs-table.js";

const ENDED = new Set(["completed", "failed", "cancelled"]);

export type Panel = "fork" | "event" | "compare" | undefined;

/** What can be done to a run: cancel, rerun from a step, compare, send an event, delete. */
export function RunActions({
  run,
  panel,
  setPanel,
}: {
  run: Run;
  panel: Panel;
  setPanel: (p: Panel) => void;
}) {
  const client = useClient();
  const queries = useQueryClient();
  const [confirm, setConfirm] = useState<"cancel" | "delete" | undefined>();
  const cancel = useMutation({
    mutationFn: () => client.cancel(run.id, "cancelled in the dashboard"),
    onSuccess: () => {
      setConfirm(undefined);
      void queries.invalidateQueries({ queryKey: ["run", run.id] });
    },
  });
  const remove = useMutation({
    mutationFn: () => client.remove(run.id),
    onSuccess: () => {
      void queries.invalidateQueries({ queryKey: ["runs"] });
      navigate("/runs");
    },
  });
  const ended = ENDED.has(run.status);
  const toggle = (p: Panel) => setPanel(panel === p ? undefined : p);
  return (
    <div className="actions">
      <div className="row wrap">
        {!ended ? (
          <button type="button" onClick={() => setConfirm("cancel")} disabled={run.cancelRequested}>
            {run.cancelRequested ? "Cancelling…" : "Cancel run"}
          </button>
        ) : null}
        <button type="button" aria-expanded={panel === "fork"} onClick={() => toggle("fork")}>
          Rerun from a step…
        </button>
        <button type="button" aria-expanded={panel === "compare"} onClick={() => toggle("compare")}>
          Compare with…
        </button>
        <button type="button" aria-expanded={panel === "event"} onClick={() => toggle("event")}>
          Send an event…
        </button>
        {ended ? (
          <button type="button" className="danger-quiet" onClick={() => setConfirm("delete")}>
            Delete…
          </button>
        ) : null}
      </div>
      {confirm ? (
        <div className="confirm" role="alertdialog" aria-labelledby="confirm-text">
          <p id="confirm-text">
            {confirm === "cancel"
              ? "Cancel this run and its child runs? A step in progress finishes; nothing after it runs."
              : "Delete this run and everything it stored? This cannot be undone."}
          </p>
          <div className="row">
            <button
              type="button"
              className="danger"
              onClick={() => (confirm === "cancel" ? cancel.mutate() : remove.mutate())}
              disabled={cancel.isPending || remove.isPending}
            >
              {confirm === "cancel" ? "Cancel the run" : "Delete the run"}
            </button>
            <button type="button" onClick={() => setConfirm(undefined)}>
              Keep it
            </button>
          </div>
          <InlineError error={cancel.error ?? remove.error} />
        </div>
      ) : null}
      {panel === "compare" ? <CompareWith run={run} onClose={() => setPanel(undefined)} /> : null}
      {panel === "event" ? <SendEvent onClose={() => setPanel(undefined)} /> : null}
    </div>
  );
}

function CompareWith({ run, onClose }: { run: Run; onClose: () => void }) {
  const [other, setOther] = useState(forkedFrom(run)?.runId ?? "");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (other.trim())
      navigate(`/compare?a=${encodeURIComponent(other.trim())}&b=${encodeURIComponent(run.id)}`);
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="Compare with another run">
      <label>
        The other run&apos;s id
        <input
          className="mono"
          value={other}
          onChange={(e) => setOther(e.target.value)}
          placeholder="run_…"
          required
        />
      </label>
      <div className="row">
        <button type="submit" className="primary">
          Compare
        </button>
        <button type="button" onClick={onClose}>
          Close
        </button>
      </div>
    </form>
  );
}

/** Sends an event to the workspace: resumes the runs waiting for it, starts those it triggers. */
export function SendEvent({ onClose }: { onClose?: () => void }) {
  const client = useClient();
  const [name, setName] = useState("");
  const [data, setData] = useState("");
  const [problem, setProblem] = useState<string | undefined>();
  const send = useMutation({
    mutationFn: (v: { name: string; data: unknown }) => client.sendEvent(v.name, v.data),
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const parsed = parseJsonField(data, "The data");
    setProblem(parsed.error);
    if (parsed.error) return;
    send.mutate({ name: name.trim(), data: parsed.value ?? null });
  };
  return (
    <form className="panel" onSubmit={submit} aria-label="Send an event">
      <label>
        Event name
        <input value={name} onChange={(e) => setName(e.target.value)} placeholder="order.paid" required />
      </label>
      <label>
        Data (JSON, optional)
        <textarea
          rows={3}
          className="mono"
          value={data}
          onChange={(e) => setData(e.target.value)}
          placeholder='{"orderId": 42}'
        />
      </label>
      {problem ? (
        <p className="inline-error" role="alert">
          {problem}
        </p>
      ) : null}
      <InlineError error={send.error} />
      {send.data ? (
        <p className="notice" role="status">
          Sent ({send.data.eventId}): resumed {send.data.resumedRuns.length} waiting run
          {send.data.resumedRuns.length === 1 ? "" : "s"}, started {send.data.startedRuns.length}.
        </p>
      ) : null}
      <div className="row">
        <button type="submit" className="primary" disabled={send.isPending || !name.trim()}>
          Send
        </button>
        {onClose ? (
          <button type="button" onClick={onClose}>
            Close
          </button>
        ) : null}
      </div>
    </form>
  );
}
