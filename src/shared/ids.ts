import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

/** A sortable unique id: `<prefix>_<time><random>`, e.g. `run_01jc3x…`. */
export function newId(prefix: string): string {
  let time = Date.now();
  let t = "";
  for (let i = 0; i < 9; i++) {
    t = ALPHABET[time % 32]! + t;
    time = Math.floor(time / 32);
  }
  const bytes = randomBytes(10);
  let r = "";
  for (const b of bytes) r += ALPHABET[b % 32]!;
  return `${prefix}_${t}${r}`;
}
