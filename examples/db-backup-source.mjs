// Bundles a TypeScript entry that imports `promwire`, `promwire/node`, … from this checkout's
// sources (Node 20 cannot run .ts itself), so the examples run without a publish step. npm
// packages stay external and load from node_modules. Used by `npm run demo` and the README test.
import { build } from "esbuild";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

const ENTRY = { promwire: "core/index.ts", "promwire/node": "adapters/node.ts", "promwire/deno": "adapters/deno.ts", "promwire/bun": "adapters/bun.ts" };

/** True when the entry point (or core/index.ts it re-exports) already exports the transport. */
function exportsTransport(file) {
  const text = readFileSync(resolve(ROOT, file), "utf8");
  if (/\bremoteWrite\b|client\/index/.test(text)) return true;
  return /core\/index\.ts/.test(text) && /client\/index/.test(readFileSync(resolve(ROOT, "core/index.ts"), "utf8"));
}

/** esbuild plugin: `promwire[/runtime]` → the checkout's entry point. */
export const promwireFromSource = {
  name: "promwire-from-source",
  setup(b) {
    b.onResolve({ filter: /^promwire(\/(node|deno|bun))?$/ }, (args) => ({ path: args.path, namespace: "promwire" }));
    b.onLoad({ filter: /.*/, namespace: "promwire" }, (args) => {
      const file = ENTRY[args.path];
      let contents = `export * from ${JSON.stringify(resolve(ROOT, file))};\n`;
      // The public API (DESIGN.md) has remoteWrite/pushgateway in every entry point; until the
      // entry point re-exports core/client itself, add it here.
      if (!exportsTransport(file)) contents += `export * from ${JSON.stringify(resolve(ROOT, "core/client/index.ts"))};\n`;
      return { contents, resolveDir: ROOT, loader: "ts" };
    });
  },
};

/**
 * Bundle `entry` (a path, or `{ contents, name }`) into .cache/examples/<name>.mjs; returns its path.
 * @example const file = await bundleExample("examples/db-backup.ts");
 */
export async function bundleExample(entry, name = basename(typeof entry === "string" ? entry : entry.name).replace(/\.ts$/, "")) {
  const outdir = resolve(ROOT, ".cache/examples");
  if (!existsSync(outdir)) mkdirSync(outdir, { recursive: true });
  const outfile = resolve(outdir, `${name}.mjs`);
  await build({
    ...(typeof entry === "string"
      ? { entryPoints: [resolve(ROOT, entry)] }
      : { stdin: { contents: entry.contents, resolveDir: ROOT, loader: "ts", sourcefile: entry.name } }),
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    packages: "external",
    plugins: [promwireFromSource],
    logLevel: "error",
  });
  return outfile;
}
