/**
 * `cairn-runtime/client`: the HTTP API from any JavaScript runtime with `fetch` (browsers too).
 * Nothing here imports Node modules or the server's code.
 */
export { CairnClient } from "./cairn-client.js";
export type { CairnClientOptions, ListOptions, StartOptions, StreamOptions } from "./cairn-client.js";
export { CairnApiError, RunFailedError } from "./errors.js";
export { parseSse } from "./sse.js";
export type { SseMessage } from "./sse.js";
export type * from "./types.js";
