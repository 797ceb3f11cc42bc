import { chmod, readdir, rm } from "node:fs/promises";
import { join } from "node:path";

/**
 * Removes a folder even when parts of it are read-only (a written-out skill version, or folders a
 * sandboxed command made read-only): write permission is given back from the top down first.
 */
export async function removeReadOnly(path: string): Promise<void> {
  try {
    await rm(path, { recursive: true, force: true });
    return;
  } catch {
    // Not root, and a read-only folder in the way: open it up and try again.
  }
  await openUp(path);
  await rm(path, { recursive: true, force: true });
}

async function openUp(dir: string): Promise<void> {
  await chmod(dir, 0o755).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of entries) if (e.isDirectory()) await openUp(join(dir, e.name));
}
