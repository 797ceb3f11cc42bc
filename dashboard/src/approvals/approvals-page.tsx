import { useQuery } from "@tanstack/react-query";
import type { Approval } from "cairn-runtime/client";
import { useClient } from "../api/api-context.js";
import { Link, useLocation, useSetQuery } from "../router/router.js";
import { Empty, ErrorState, Loading } from "../ui/states.js";
import { ApprovalCard } from "./approval-card.js";

/** The approvals inbox: what waits for a person, newest first; decided ones on request. */
export function ApprovalsPage() {
  const client = useClient();
  const { query } = useLocation();
  const setQuery = useSetQuery();
  const show = query.get("show") === "all" ? "all" : "pending";
  const approvals = useQuery({
    queryKey: ["approvals", show],
    queryFn: () => client.approvals(show === "all" ? { status: "all" } : {}),
  });
  return (
    <section aria-labelledby="approvals-title">
      <div className="page-head">
        <h1 id="approvals-title">Approvals</h1>
        <div className="segmented" role="group" aria-label="Which approvals">
          <button
            type="button"
            aria-pressed={show === "pending"}
            onClick={() => setQuery({ show: undefined })}
          >
            Waiting
          </button>
          <button type="button" aria-pressed={show === "all"} onClick={() => setQuery({ show: "all" })}>
            All
          </button>
        </div>
      </div>
      {approvals.isPending ? (
        <Loading what="approvals" />
      ) : approvals.isError ? (
        <ErrorState error={approvals.error} retry={() => void approvals.refetch()} />
      ) : approvals.data.length === 0 ? (
        <Empty title={show === "pending" ? "Nothing waits for approval" : "No approval requests yet"}>
          <p>
            When an agent calls a tool that needs a person&apos;s approval, the request appears here at once.{" "}
            {show === "pending" ? <Link to="/approvals?show=all">See decided ones</Link> : null}
          </p>
        </Empty>
      ) : (
        <div className="cards">
          {approvals.data.map((a: Approval) => (
            <ApprovalCard key={a.id} approval={a} />
          ))}
        </div>
      )}
    </section>
  );
}
