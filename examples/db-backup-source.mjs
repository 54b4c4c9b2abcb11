// Bundles a TypeScript entry that imports `promwire`, `promwire/node`, … from this checkout's
// sources (Node 20 cannot run .ts itself), so the examples run without a publish step. npm
// packages stay external and load from node_modules. Used by `npm run demo` and the Pushgateway e2e test.
import { build } from "esbuild";
import { existsSync, mkdirSync } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** `promwire[/entry]` → the source file the package builds that entry from (package.json's map). */
const ENTRY = {
  promwire: "core/index.ts",
  "promwire/node": "adapters/node.ts",
  "promwire/deno": "adapters/deno.ts",
  "promwire/bun": "adapters/bun.ts",
  "promwire/wire": "core/wire/index.ts",
  "promwire/exposition": "core/exposition/index.ts",
  "promwire/edge": "core/edge/index.ts",
};

/** esbuild plugin: `promwire[/entry]` → the checkout's source of that entry. */
export const promwireFromSource = {
  name: "promwire-from-source",
  setup(b) {
    b.onResolve({ filter: /^promwire(\/(node|deno|bun|wire|exposition|edge))?$/ }, (args) => ({ path: resolve(ROOT, ENTRY[args.path]) }));
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
