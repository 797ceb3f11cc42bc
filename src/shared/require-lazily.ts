import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/**
 * Loads a CommonJS package the first time a synchronous API needs it, so importing Cairn does
 * not pay for packages most processes never use (pg, yaml, zod for profiles). Node caches it.
 */
export function requireLazily<T>(id: string): T {
  return require(id) as T;
}
