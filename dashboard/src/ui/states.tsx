import { CairnApiError } from "cairn-runtime/client";
import type { ReactNode } from "react";

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status">
      Loading {what}…
    </p>
  );
}

/** Nothing to show, and what to do about it. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <p className="state-title">{title}</p>
      {children ? <div className="state-hint">{children}</div> : null}
    </div>
  );
}

/** What went wrong, in the API's words (its stable code too), and a way to try again. */
export function ErrorState({ error, retry }: { error: unknown; retry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <p className="state-title">{errorTitle(error)}</p>
      <p className="state-hint">{errorMessage(error)}</p>
      {retry ? (
        <button type="button" onClick={retry}>
          Try again
        </button>
      ) : null}
    </div>
  );
}

export function errorTitle(error: unknown): string {
  if (error instanceof CairnApiError) {
    if (error.status === 401) return "This server needs a valid API key";
    if (error.status === 403) return "This key may not do that";
    if (error.status === 404) return "Not found";
    if (error.status === 0 || error.status >= 500) return "The server could not answer";
    return "The server refused the request";
  }
  if (error instanceof TypeError) return "The server is out of reach";
  return "Something went wrong";
}

export function errorMessage(error: unknown): string {
  if (error instanceof CairnApiError) return `${error.message} (${error.code})`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** A one-line error beside a form or button. */
export function InlineError({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p className="inline-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
