import { formatCost, formatTokens } from "../ui/format.js";

export interface Series {
  name: string;
  /** One value per bucket. */
  values: number[];
}

const COLORS = ["#2563eb", "#d97706", "#059669", "#db2777", "#7c3aed", "#0891b2", "#65a30d", "#dc2626"];

export function seriesColor(i: number): string {
  return COLORS[i % COLORS.length]!;
}

/**
 * Stacked bars, one per time bucket, one colour per series (an agent, a model, or both); drawn
 * as SVG that scales to the width it is given. The table under it holds the same numbers.
 */
export function UsageChart({
  buckets,
  series,
  metric,
  label,
}: {
  buckets: string[];
  series: Series[];
  metric: "cost" | "tokens";
  label: string;
}) {
  const totals = buckets.map((_, i) => series.reduce((sum, s) => sum + (s.values[i] ?? 0), 0));
  const max = Math.max(...totals, metric === "cost" ? 0.0001 : 1);
  const W = 720;
  const H = 260;
  const left = 64;
  const bottom = 28;
  const plotH = H - bottom - 10;
  const step = (W - left - 8) / Math.max(1, buckets.length);
  const barW = Math.max(2, Math.min(48, step * 0.7));
  const fmt = (v: number) => (metric === "cost" ? formatCost(v) : formatTokens(Math.round(v)));
  const labelEvery = Math.ceil(buckets.length / 8);
  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={label}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={left} x2={W - 4} y1={10 + plotH * (1 - f)} y2={10 + plotH * (1 - f)} className="grid" />
            <text x={left - 6} y={14 + plotH * (1 - f)} textAnchor="end" className="axis">
              {fmt(max * f)}
            </text>
          </g>
        ))}
        {buckets.map((b, i) => {
          let y = 10 + plotH;
          const x = left + i * step + (step - barW) / 2;
          return (
            <g key={b}>
              {series.map((s, k) => {
                const v = s.values[i] ?? 0;
                if (v <= 0) return null;
                const h = (v / max) * plotH;
                y -= h;
                return (
                  <rect key={s.name} x={x} y={y} width={barW} height={Math.max(h, 1)} fill={seriesColor(k)}>
                    <title>{`${b} · ${s.name}: ${fmt(v)}`}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 ? (
                <text x={x + barW / 2} y={H - 8} textAnchor="middle" className="axis">
                  {b}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <figcaption>
        <ul className="legend">
          {series.map((s, k) => (
            <li key={s.name}>
              <span className="swatch" style={{ background: seriesColor(k) }} aria-hidden="true" />
              {s.name}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
