import { CairnApiError, CairnClient } from "cairn-runtime/client";
import { useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { serverNeedsKey, storedKey, storeKey } from "./api-key.js";

interface Api {
  client: CairnClient;
  /** True when the server needs a key and the one we have is missing or refused. */
  needsKey: boolean;
  /** Why the last key was refused, if it was. */
  keyProblem: string | undefined;
  hasKey: boolean;
  setKey: (key: string | undefined) => void;
  /** Called with every failed request: a 401 asks for a (new) key. */
  reportError: (error: unknown) => void;
}

const ApiContext = createContext<Api | undefined>(undefined);

export function ApiProvider({ children }: { children: ReactNode }) {
  const [key, setKeyState] = useState(storedKey);
  const [refused, setRefused] = useState<string | undefined>();
  const needs = useMemo(serverNeedsKey, []);
  const client = useMemo(
    () => new CairnClient({ baseUrl: window.location.origin, ...(key ? { apiKey: key } : {}) }),
    [key],
  );
  const queries = useQueryClient();
  const setKey = useCallback(
    (next: string | undefined) => {
      storeKey(next);
      setKeyState(next);
      setRefused(undefined);
      // Whatever was read with the old key is not this key's to show.
      queries.clear();
    },
    [queries],
  );
  const reportError = useCallback((error: unknown) => {
    if (error instanceof CairnApiError && error.status === 401) setRefused(error.message);
  }, []);
  useEffect(() => {
    const offQueries = queries.getQueryCache().subscribe((e) => {
      if (e.type === "updated" && e.action.type === "error") reportError(e.action.error);
    });
    const offMutations = queries.getMutationCache().subscribe((e) => {
      if (e.type === "updated" && e.action.type === "error") reportError(e.action.error);
    });
    return () => {
      offQueries();
      offMutations();
    };
  }, [queries, reportError]);
  const value = useMemo<Api>(
    () => ({
      client,
      needsKey: (needs && !key) || refused !== undefined,
      keyProblem: refused,
      hasKey: key !== undefined,
      setKey,
      reportError,
    }),
    [client, needs, key, refused, setKey, reportError],
  );
  return <ApiContext.Provider value={value}>{children}</ApiContext.Provider>;
}

export function useApi(): Api {
  const api = useContext(ApiContext);
  if (api === undefined) throw new Error("useApi outside ApiProvider");
  return api;
}

/** The client, for queries and actions. */
export function useClient(): CairnClient {
  return useApi().client;
}
