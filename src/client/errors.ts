/** An error answered by the API: its HTTP status and Cairn's stable error code. */
export class CairnApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "CairnApiError";
  }
}

/** The run ended without a result: failed or cancelled. */
export class RunFailedError extends Error {
  constructor(
    readonly runId: string,
    readonly status: string,
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = "RunFailedError";
  }
}
