import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The dashboard builds into dist/dashboard, which ships in the package and which `cairn serve`
 * and `cairn dev` serve at `/`. `npm run dashboard:dev` serves it with live reload, its API calls
 * sent to a `cairn dev` on port 3000 (CAIRN_API to change).
 */
export default defineConfig({
  root: here("."),
  base: "/",
  plugins: [react()],
  resolve: {
    // The typed client from source: the dashboard is a browser app of the public client.
    alias: { "cairn-runtime/client": here("../src/client/index.ts") },
  },
  build: {
    outDir: here("../dist/dashboard"),
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 1000,
    rollupOptions: {
      onwarn(warning, warn) {
        // zod's sources carry comments Rollup cannot place; harmless, and not ours to fix.
        if (warning.code === "INVALID_ANNOTATION") return;
        warn(warning);
      },
    },
  },
  server: {
    proxy: { "/v1": { target: process.env.CAIRN_API ?? "http://127.0.0.1:3000", changeOrigin: true } },
  },
  logLevel: "warn",
});
