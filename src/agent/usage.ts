/** Tokens one model call used. */
export interface Usage {
  input: number;
  output: number;
  /** Input tokens served from the provider's prompt cache (part of `input`). */
  cached: number;
}

/** USD per million tokens. */
export interface Price {
  input: number;
  output: number;
  /** Price of cached input tokens; defaults to `input`. */
  cachedInput?: number;
}

/**
 * List prices (USD per 1M tokens) of common models, as published by their providers; override
 * or extend them with `prices` in the agent or the config. A model not listed has no cost.
 */
export const DEFAULT_PRICES: Record<string, Price> = {
  "openai:gpt-4.1": { input: 2, output: 8, cachedInput: 0.5 },
  "openai:gpt-4.1-mini": { input: 0.4, output: 1.6, cachedInput: 0.1 },
  "openai:gpt-4.1-nano": { input: 0.1, output: 0.4, cachedInput: 0.025 },
  "openai:gpt-4o": { input: 2.5, output: 10, cachedInput: 1.25 },
  "openai:gpt-4o-mini": { input: 0.15, output: 0.6, cachedInput: 0.075 },
  "anthropic:claude-sonnet-4-5": { input: 3, output: 15, cachedInput: 0.3 },
  "anthropic:claude-haiku-4-5": { input: 1, output: 5, cachedInput: 0.1 },
  "anthropic:claude-opus-4-1": { input: 15, output: 75, cachedInput: 1.5 },
};

export const ZERO_USAGE: Usage = { input: 0, output: 0, cached: 0 };

export function addUsage(a: Usage, b: Usage): Usage {
  return { input: a.input + b.input, output: a.output + b.output, cached: a.cached + b.cached };
}

/** USD for `usage` at `price`, or null when the model has no known price. */
export function costOf(usage: Usage, price: Price | undefined): number | null {
  if (price === undefined) return null;
  const uncached = usage.input - usage.cached;
  const cost =
    (uncached * price.input +
      usage.cached * (price.cachedInput ?? price.input) +
      usage.output * price.output) /
    1e6;
  return Math.round(cost * 1e8) / 1e8;
}
