/**
 * Collects a stream's bytes up to a limit, keeping its start and its end (an error is usually
 * at the end); what is cut in between is replaced by a marker that says how many bytes.
 */
export class CappedOutput {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    this.total += chunk.length;
    const headRoom = Math.ceil(this.limit / 2) - this.headBytes;
    if (headRoom > 0) {
      const part = chunk.subarray(0, headRoom);
      this.head.push(part);
      this.headBytes += part.length;
      chunk = chunk.subarray(part.length);
    }
    if (chunk.length === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailRoom = Math.floor(this.limit / 2);
    // Drop whole chunks from the front of the tail once it holds more than its half.
    while (this.tail.length > 1 && this.tailBytes - this.tail[0]!.length >= tailRoom) {
      this.tailBytes -= this.tail.shift()!.length;
    }
  }

  /** Bytes received but not kept. */
  get cutBytes(): number {
    return Math.max(0, this.total - this.limit);
  }

  text(): string {
    const head = Buffer.concat(this.head);
    let tail = Buffer.concat(this.tail);
    const cut = this.cutBytes;
    if (cut === 0) return Buffer.concat([head, tail]).toString("utf8");
    tail = tail.subarray(tail.length - Math.floor(this.limit / 2));
    return (
      `${head.toString("utf8")}\n[… ${cut} bytes cut: the output was ${this.total} bytes, over the ` +
      `${this.limit}-byte limit …]\n${tail.toString("utf8")}`
    );
  }
}
