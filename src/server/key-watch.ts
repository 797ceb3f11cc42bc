import type { Logger } from "../shared/logger.js";

/** How often the keys of open streams are checked against the store by default. */
export const KEY_CHECK_MS = 5_000;

interface Watched {
  /** False once the key is revoked (or gone); a store that fails answers nothing. */
  stillValid: () => Promise<boolean>;
  onRevoked: Set<() => void>;
  timer: NodeJS.Timeout;
}

/**
 * Ends the open streams of an API key once it is revoked: a stream is authorized once, when it
 * opens, and may then stay open for days. One check per key (not per stream) every `everyMs`,
 * and at once when this server revokes it.
 */
export class KeyWatch {
  private readonly keys = new Map<string, Watched>();

  constructor(
    private readonly logger: Logger,
    private readonly everyMs = KEY_CHECK_MS,
  ) {}

  /** Calls `onRevoked` once the key is found revoked; returns how to stop watching. */
  watch(keyId: string, stillValid: () => Promise<boolean>, onRevoked: () => void): () => void {
    let w = this.keys.get(keyId);
    if (w === undefined) {
      const timer = setInterval(() => void this.check(keyId), this.everyMs);
      timer.unref();
      w = { stillValid, onRevoked: new Set(), timer };
      this.keys.set(keyId, w);
    }
    w.onRevoked.add(onRevoked);
    const watched = w;
    return () => {
      watched.onRevoked.delete(onRevoked);
      if (watched.onRevoked.size === 0 && this.keys.get(keyId) === watched) this.forget(keyId);
    };
  }

  /** The key was revoked through this server: its streams end now. */
  revoked(keyId: string): void {
    const w = this.keys.get(keyId);
    if (w === undefined) return;
    this.forget(keyId);
    for (const end of w.onRevoked) end();
  }

  /** How many keys are watched (for tests). */
  get size(): number {
    return this.keys.size;
  }

  close(): void {
    for (const keyId of [...this.keys.keys()]) this.forget(keyId);
  }

  private async check(keyId: string): Promise<void> {
    const w = this.keys.get(keyId);
    if (w === undefined) return;
    let valid = true;
    try {
      valid = await w.stillValid();
    } catch (err) {
      // A store that does not answer revokes nothing: checked again next time.
      this.logger.warn("could not check an open stream's API key", { keyId, error: String(err) });
    }
    if (!valid && this.keys.get(keyId) === w) this.revoked(keyId);
  }

  private forget(keyId: string): void {
    const w = this.keys.get(keyId);
    if (w === undefined) return;
    clearInterval(w.timer);
    this.keys.delete(keyId);
  }
}
