import { useQuery } from "@tanstack/react-query";
import type { UsageBucket } from "cairn-runtime/client";
import { useMemo } from "react";
import { useClient } from "../api/api-context.js";
import { useLocation, useSetQuery } from "../router/router.js";
import { formatCost, formatTokens } from "../ui/format.js";
import { Empty, ErrorState, Loading } from "../ui/states.js";
import type { Series } from "./usage-chart.js";
import { UsageChart } from "./usage-chart.js";

const RANGES = {
  "24h": { label: "Last 24 hours", ms: 24 * 3600_000, bucket: "hour" as const },
  "7d": { label: "Last 7 days", ms: 7 * 86400_000, bucket: "day" as const },
  "30d": { label: "Last 30 days", ms: 30 * 86400_000, bucket: "day" as const },
};
type Range = keyof typeof RANGES;
type GroupBy = "agent" | "model" | "both";

/** Tokens and cost per agent and per model over time. */
export function UsagePage() {
  const client = useClient();
  const { query } = useLocation();
  const setQuery = useSetQuery();
  const range: Range = (query.get("range") as Range | null) ?? "7d";
  const metric = query.get("metric") === "tokens" ? "tokens" : "cost";
  const by: GroupBy = (query.get("by") as GroupBy | null) ?? "both";
  const r = RANGES[range] ?? RANGES["7d"];
  // Whole buckets, as the API makes them (UTC hours and days): the range ends with the current one.
  const to = ceilTo(Date.now(), r.bucket);
  const from = to - r.ms;
  const usage = useQuery({
    queryKey: ["usage", range],
    queryFn: () => client.usage({ from, to, bucket: r.bucket }),
  });
  const chart = useMemo(
    () => (usage.data ? toSeries(usage.data, from, to, r.bucket, metric, by) : undefined),
    [usage.data, from, to, r.bucket, metric, by],
  );
  return (
    <section aria-labelledby="usage-title">
      <h1 id="usage-title">Usage</h1>
      <div className="filters" role="group" aria-label="What to show">
        <label>
          Period
          <select aria-label="Period" value={range} onChange={(e) => setQuery({ range: e.target.value })}>
            {Object.entries(RANGES).map(([k, v]) => (
              <option key={k} value={k}>
                {v.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Show
          <select aria-label="Show" value={metric} onChange={(e) => setQuery({ metric: e.target.value })}>
            <option value="cost">Cost (USD)</option>
            <option value="tokens">Tokens</option>
          </select>
        </label>
        <label>
          Per
          <select aria-label="Per" value={by} onChange={(e) => setQuery({ by: e.target.value })}>
            <option value="both">agent and model</option>
            <option value="agent">agent</option>
            <option value="model">model</option>
          </select>
        </label>
      </div>
      {usage.isPending ? (
        <Loading what="usage" />
      ) : usage.isError ? (
        <ErrorState error={usage.error} retry={() => void usage.refetch()} />
      ) : !chart || chart.series.length === 0 ? (
        <Empty title={`No model calls in the ${r.label.toLowerCase()}`}>
          <p>Tokens and cost appear here once agents call models.</p>
        </Empty>
      ) : (
        <>
          <UsageChart
            buckets={chart.labels}
            series={chart.series}
            metric={metric}
            label={`${metric === "cost" ? "Cost" : "Tokens"} per ${r.bucket}, ${r.label.toLowerCase()}, per ${by === "both" ? "agent and model" : by}`}
          />
          <UsageTable rows={chart.totals} />
          {chart.unpriced ? (
            <p className="muted">
              Some calls have no known price (a model missing from the price table): their cost is not
              counted.
            </p>
          ) : null}
        </>
      )}
    </section>
  );
}

function UsageTable({ rows }: { rows: { name: string; input: number; output: number; cost: number }[] }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Agent · model</th>
            <th scope="col">Input tokens</th>
            <th scope="col">Output tokens</th>
            <th scope="col">Cost</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.name}>
              <td>{r.name}</td>
              <td>{formatTokens(r.input)}</td>
              <td>{formatTokens(r.output)}</td>
              <td>{formatCost(r.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function ceilTo(ms: number, bucket: "hour" | "day"): number {
  const width = bucket === "hour" ? 3600_000 : 86400_000;
  return Math.floor(ms / width) * width + width;
}

/** The API's buckets as chart series: one value per hour or day of the range, per group. */
function toSeries(
  data: UsageBucket[],
  from: number,
  to: number,
  bucket: "hour" | "day",
  metric: "cost" | "tokens",
  by: GroupBy,
) {
  const width = bucket === "hour" ? 3600_000 : 86400_000;
  const count = Math.round((to - from) / width);
  const labels = Array.from({ length: count }, (_, i) => {
    const d = new Date(from + i * width);
    return bucket === "hour"
      ? d.toLocaleTimeString(undefined, { hour: "2-digit" })
      : d.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
  });
  const groups = new Map<string, Series>();
  const totals = new Map<string, { name: string; input: number; output: number; cost: number }>();
  let unpriced = false;
  for (const b of data) {
    const name = by === "agent" ? b.agent : by === "model" ? b.model : `${b.agent} · ${b.model}`;
    const i = Math.floor((b.at - from) / width);
    const value = metric === "cost" ? (b.costUsd ?? 0) : b.inputTokens + b.outputTokens;
    if (b.costUsd === null) unpriced = true;
    if (i >= 0 && i < count) {
      const s = groups.get(name) ?? { name, values: new Array<number>(count).fill(0) };
      s.values[i] = (s.values[i] ?? 0) + value;
      groups.set(name, s);
    }
    const t = totals.get(name) ?? { name, input: 0, output: 0, cost: 0 };
    t.input += b.inputTokens;
    t.output += b.outputTokens;
    t.cost += b.costUsd ?? 0;
    totals.set(name, t);
  }
  return { labels, series: [...groups.values()], totals: [...totals.values()], unpriced };
}
