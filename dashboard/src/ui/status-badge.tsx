/** A run's or step's status as a coloured word (the word carries the meaning; colour only helps). */
export function StatusBadge({ status }: { status: string }) {
  return <span className={`badge badge-${status.replace(/[^a-z-]/g, "")}`}>{status}</span>;
}
