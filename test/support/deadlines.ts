import type { AddressInfo, Server as NetServer } from "node:net";

/**
 * Waits with deadlines, free of vitest so that scripts outside the test runner (the chaos run)
 * may use them too; test/helpers.ts re-exports them.
 */

/** Resolves as `promise` does, or throws naming `what` once `ms` have passed. */
export async function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts `server` on a free port on 127.0.0.1 (rejecting on error, or after 10 s); returns the port. */
export async function listenOnLoopback(server: NetServer): Promise<number> {
  await within(
    new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => {
        server.off("error", reject);
        resolve();
      });
    }),
    "a test server to listen on a port",
    10_000,
  );
  return (server.address() as AddressInfo).port;
}

/** Closes `server`, its open connections too, within 10 s. */
export function closeServer(server: NetServer): Promise<void> {
  (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  return within(
    new Promise<void>((resolve) => server.close(() => resolve())),
    "a test server to close",
    10_000,
  );
}
