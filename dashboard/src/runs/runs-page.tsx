import { useInfiniteQuery } from "@tanstack/react-query";
import type { RunStatus } from "cairn-runtime/client";
import { useState } from "react";
import { useClient } from "../api/api-context.js";
import { Link, navigate, useLocation, useSetQuery } from "../router/router.js";
import { Empty, ErrorState, Loading } from "../ui/states.js";
import { BulkActions } from "./bulk-actions.js";
import type { Filters } from "./run-filters.js";
import { RunFilters } from "./run-filters.js";
import { RunsTable } from "./runs-table.js";

/** Every run, newest first, filtered by status and workflow; kept current by the feed. */
export function RunsPage() {
  const client = useClient();
  const { query } = useLocation();
  const setQuery = useSetQuery();
  const filters: Filters = {
    status: (query.get("status") ?? undefined) as RunStatus | undefined,
    workflow: query.get("workflow") ?? undefined,
  };
  const [selected, setSelected] = useState<string[]>([]);
  const runs = useInfiniteQuery({
    queryKey: ["runs", filters],
    queryFn: ({ pageParam }) =>
      client.list({
        ...(filters.status ? { status: filters.status } : {}),
        ...(filters.workflow ? { workflow: filters.workflow } : {}),
        limit: 50,
        ...(pageParam ? { cursor: pageParam } : {}),
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const all = runs.data?.pages.flatMap((p) => p.runs) ?? [];
  const toggle = (id: string) =>
    setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s.slice(-1), id]));
  const filtered = filters.status !== undefined || filters.workflow !== undefined;
  return (
    <section aria-labelledby="runs-title">
      <div className="page-head">
        <h1 id="runs-title">Runs</h1>
        <div className="row">
          <button
            type="button"
            disabled={selected.length !== 2}
            title="Pick two runs with their checkboxes"
            onClick={() => navigate(`/compare?a=${selected[0]}&b=${selected[1]}`)}
          >
            Compare {selected.length === 2 ? "the two picked" : "two runs"}
          </button>
          <Link to="/start" className="button primary">
            Start a run
          </Link>
        </div>
      </div>
      <RunFilters
        value={filters}
        onChange={(next) =>
          setQuery({
            ...("status" in next ? { status: next.status } : {}),
            ...("workflow" in next ? { workflow: next.workflow } : {}),
          })
        }
      />
      {runs.isPending ? (
        <Loading what="runs" />
      ) : runs.isError ? (
        <ErrorState error={runs.error} retry={() => void runs.refetch()} />
      ) : all.length === 0 ? (
        filtered ? (
          <Empty title="No run matches these filters">
            <button type="button" onClick={() => setQuery({ status: undefined, workflow: undefined })}>
              Clear the filters
            </button>
          </Empty>
        ) : (
          <Empty title="No runs yet">
            <p>
              <Link to="/start">Start a workflow or an agent</Link>, or run <code>npx cairn demo</code>: runs
              appear here as they start.
            </p>
          </Empty>
        )
      ) : (
        <>
          <RunsTable runs={all} selected={new Set(selected)} onToggle={toggle} />
          {runs.hasNextPage ? (
            <button
              type="button"
              onClick={() => void runs.fetchNextPage()}
              disabled={runs.isFetchingNextPage}
            >
              {runs.isFetchingNextPage ? "Loading…" : "Show older runs"}
            </button>
          ) : null}
        </>
      )}
      <BulkActions
        filter={{
          ...(filters.status ? { status: filters.status } : {}),
          ...(filters.workflow ? { workflow: filters.workflow } : {}),
        }}
      />
    </section>
  );
}
