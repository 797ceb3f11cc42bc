import { useQuery } from "@tanstack/react-query";
import { useClient } from "../api/api-context.js";

/** The workflows and agents the server can start (rarely changes). */
export function useWorkflows() {
  const client = useClient();
  return useQuery({ queryKey: ["workflows"], queryFn: () => client.workflows(), staleTime: 60_000 });
}
