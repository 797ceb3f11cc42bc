/** The API key the dashboard sends, kept in this browser only (localStorage). */
const STORAGE = "cairn.apiKey";

export function storedKey(): string | undefined {
  try {
    return localStorage.getItem(STORAGE) ?? undefined;
  } catch {
    return undefined;
  }
}

export function storeKey(key: string | undefined): void {
  try {
    if (key) localStorage.setItem(STORAGE, key);
    else localStorage.removeItem(STORAGE);
  } catch {
    // Storage refused (private mode): the key lasts for this page only.
  }
}

/** Whether the server needs a key: it says so in the page it serves (`open` under `cairn dev`). */
export function serverNeedsKey(): boolean {
  const meta = document.querySelector('meta[name="cairn-auth"]');
  return meta?.getAttribute("content") !== "open";
}
