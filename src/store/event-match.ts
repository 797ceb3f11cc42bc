/**
 * Whether an event satisfies a wait's `match`: every key is a dot path into the event
 * (`name`, `id`, `data.…`) and its value must equal the given one (compared as JSON).
 */
export function eventMatches(
  event: { id: string; name: string; data: unknown },
  match: Record<string, unknown> | null,
): boolean {
  if (match === null) return true;
  for (const [path, expected] of Object.entries(match)) {
    let cursor: unknown = event;
    for (const key of path.split(".")) {
      if (typeof cursor !== "object" || cursor === null) {
        cursor = undefined;
        break;
      }
      cursor = (cursor as Record<string, unknown>)[key];
    }
    if (JSON.stringify(cursor) !== JSON.stringify(expected)) return false;
  }
  return true;
}
