import { useState } from "react";
import type { FormEvent } from "react";
import { useApi } from "./api-context.js";

/** Asks for an API key when the server needs one; it is kept in this browser (localStorage). */
export function KeyForm() {
  const { setKey, keyProblem } = useApi();
  const [value, setValue] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const key = value.trim();
    if (key) setKey(key);
  };
  return (
    <section className="key-form" aria-labelledby="key-title">
      <h1 id="key-title">This server needs an API key</h1>
      {keyProblem ? (
        <p className="inline-error" role="alert">
          The key was refused: {keyProblem}
        </p>
      ) : null}
      <p>
        Create one with <code>cairn keys create NAME --scopes read,run,approve</code> and paste it here. It is
        kept in this browser only.
      </p>
      <form onSubmit={submit}>
        <label htmlFor="api-key">API key</label>
        <div className="row">
          <input
            id="api-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            placeholder="cairn_…"
            value={value}
            onChange={(e) => setValue(e.target.value)}
            autoFocus
          />
          <button type="submit" className="primary" disabled={value.trim() === ""}>
            Use this key
          </button>
        </div>
      </form>
    </section>
  );
}
