import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RANDOM_CHARS = 10;

let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A sortable unique id: `<prefix>_<time><random>`, e.g. `run_01jc3x…`. Ids made by one process
 * sort in the order they were made, even within one millisecond (the random part is then
 * incremented), so rows ordered by id keep their insertion order.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now <= lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = [...randomBytes(RANDOM_CHARS)].map((b) => b % 32);
    lastRandom[0] = lastRandom[0]! % 16; // headroom, so increments never overflow the width
  }
  let time = lastTime;
  let t = "";
  for (let i = 0; i < 9; i++) {
    t = ALPHABET[time % 32]! + t;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${t}${lastRandom.map((d) => ALPHABET[d]!).join("")}`;
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]!++;
      return;
    }
    digits[i] = 0;
  }
}
