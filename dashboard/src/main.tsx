import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { CairnApiError } from "cairn-runtime/client";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { ApiProvider } from "./api/api-context.js";
import { App } from "./app.js";
import "./styles.css";

const queries = new QueryClient({
  defaultOptions: {
    queries: {
      // The feed refreshes what changes; polling only backs it up.
      staleTime: 5_000,
      refetchOnWindowFocus: true,
      // A refusal (4xx) will not change by asking again; a server that was away might come back.
      retry: (count, error) => !(error instanceof CairnApiError && error.status < 500) && count < 2,
    },
  },
});

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queries}>
      <ApiProvider>
        <App />
      </ApiProvider>
    </QueryClientProvider>
  </StrictMode>,
);
