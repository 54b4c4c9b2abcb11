#!/usr/bin/env node
// Runs a TypeScript entry point on Node 20 (which cannot strip types): bundle it with esbuild,
// npm packages left external, then import the bundle. Used by `npm run bench` and the CLI in dev.
import { build } from "esbuild";
import { mkdirSync } from "node:fs";
import { basename, resolve } from "node:path";
import { pathToFileURL } from "node:url";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: run-ts.mjs <entry.ts> [args…]");
  process.exit(2);
}
const outdir = resolve(".cache/run-ts");
mkdirSync(outdir, { recursive: true });
const outfile = resolve(outdir, basename(entry).replace(/\.ts$/, ".mjs"));
await build({ entryPoints: [entry], bundle: true, platform: "node", format: "esm", target: "node20", outfile, packages: "external", logLevel: "error" });
process.argv = [process.argv[0], outfile, ...args];
await import(pathToFileURL(outfile).href);
