import { defineConfig } from "../../src/cli/define-config.js";
import { chaosWorkflows } from "./workflows.js";

// The chaos workers: the store comes from CAIRN_STORE (the proxy in front of the test server).
// A short lease, so a killed or frozen worker's runs are taken over within seconds.
export default defineConfig({
  workflows: chaosWorkflows,
  leaseTtlMs: 3_000,
});
