/** Parses what a person typed as JSON, saying where it is wrong. Empty text is `undefined`. */
export function parseJsonField(text: string, what: string): { value?: unknown; error?: string } {
  if (text.trim() === "") return {};
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    return { error: `${what} is not valid JSON: ${(err as Error).message}` };
  }
}
