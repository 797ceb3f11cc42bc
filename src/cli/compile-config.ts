import { readFile } from "node:fs/promises";
import { dirname, extname, isAbsolute, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Plugin } from "esbuild";

export interface CompiledConfig {
  /** One ES module: the config and its local imports, packages left as imports. */
  code: string;
  /** Absolute paths of every local file compiled into it. */
  sources: string[];
}

/**
 * Compiles a TypeScript or JavaScript config and the local files it imports into one ES module,
 * leaving packages (`cairn-runtime`, `zod`…) as imports resolved at run time. `import.meta.url`,
 * `.dirname` and `.filename` keep meaning the file they are written in, not the compiled file.
 */
export async function compileConfig(path: string): Promise<CompiledConfig> {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [path],
    absWorkingDir: dirname(path),
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    write: false,
    metafile: true,
    logLevel: "silent",
    sourcemap: "inline",
    sourcesContent: false,
    // The compiled file lives in the cache folder: its map names the sources by absolute URL, so
    // a step's error stack points at the file and line the user wrote.
    sourceRoot: `${pathToFileURL(dirname(path)).href}/`,
    plugins: [keepImportMeta],
  });
  const output = result.outputFiles[0];
  if (output === undefined) throw new Error(`esbuild produced no output for ${path}`);
  const sources = Object.keys(result.metafile.inputs).map((p) =>
    isAbsolute(p) ? p : resolve(dirname(path), p),
  );
  return { code: output.text, sources };
}

const LOADERS: Record<string, "ts" | "tsx" | "js" | "jsx"> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".jsx": "jsx",
};

/** Writes each file's own location in place of `import.meta.url`, `.dirname` and `.filename`. */
const keepImportMeta: Plugin = {
  name: "cairn-keep-import-meta",
  setup(build) {
    build.onLoad({ filter: /\.[cm]?[jt]sx?$/ }, async (args) => {
      const loader = LOADERS[extname(args.path)];
      if (loader === undefined || args.path.includes("/node_modules/")) return undefined;
      const text = await readFile(args.path, "utf8");
      if (!text.includes("import.meta")) return { contents: text, loader };
      const values: Record<string, string> = {
        url: pathToFileURL(args.path).href,
        dirname: dirname(args.path),
        filename: args.path,
      };
      const contents = text.replace(/\bimport\.meta\.(url|dirname|filename)\b/g, (_, key: string) =>
        JSON.stringify(values[key]),
      );
      return { contents, loader };
    });
  },
};
