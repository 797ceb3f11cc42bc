import { defineConfig } from "vitest/config";

/**
 * Two projects: everything on SQLite files, and the engine and agent suites again on a
 * throwaway PostgreSQL server (CAIRN_TEST_STORE=postgres; test/helpers.ts picks the store).
 */
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    projects: [
      {
        extends: true,
        test: {
          name: "sqlite",
          include: ["test/**/*.test.ts", "docs/examples/**/*.test.ts"],
          globalSetup: ["test/global-setup.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "postgres",
          include: [
            "test/engine/**/*.test.ts",
            "test/agent/*.test.ts",
            "test/agent/providers/*.test.ts",
            "test/server/*.test.ts",
            // The credential tests that run agents on the store: the canary searches both.
            "test/tools/{canary,credential-proxy,mcp,oauth,tool-policy}.test.ts",
            "test/tools/workspace/*.test.ts",
            "test/observe/*.test.ts",
            "test/testing/test-env.test.ts",
            "test/testing/versions.test.ts",
          ],
          env: { CAIRN_TEST_STORE: "postgres" },
          globalSetup: ["test/postgres-setup.ts"],
        },
      },
    ],
  },
});
