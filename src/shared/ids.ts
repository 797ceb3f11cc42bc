import { randomBytes } from "node:crypto";

const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
const RANDOM_DIGITS = 10;

/** The last id's time and random digits: ids made in the same millisecond count up from them. */
let lastTime = -1;
let lastRandom: number[] = [];

/**
 * A sortable unique id: `<prefix>_<time><random>`, e.g. `run_01jc3x…`. Within a process ids sort
 * in the order they were made, even within one millisecond (the random part counts up), so
 * things created one after another (a session's queued runs, its messages) keep their order.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now > lastTime || !countUp(lastRandom)) {
    lastTime = now > lastTime ? now : lastTime + 1;
    lastRandom = [...randomBytes(RANDOM_DIGITS)].map((b) => b % 32);
  }
  let time = lastTime;
  let t = "";
  for (let i = 0; i < 9; i++) {
    t = ALPHABET[time % 32]! + t;
    time = Math.floor(time / 32);
  }
  return `${prefix}_${t}${lastRandom.map((d) => ALPHABET[d]!).join("")}`;
}

/** Adds one to base-32 digits in place; false when they overflow. */
function countUp(digits: number[]): boolean {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i]!++;
      return true;
    }
    digits[i] = 0;
  }
  return false;
}
