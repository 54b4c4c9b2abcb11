#!/usr/bin/env node
// `npm run build` (also `prepack`: the package is built when it is packed, never when it is
// installed — a consumer's install runs no script of ours). What a short-lived job pays for at
// start-up is module loading, so each entry ships as one tree-shaken, minified ESM file:
//
//   dist/{index,node,deno,bun,workers,wire,exposition,edge,proto}.js  one build with code
//       splitting, so the entries share one copy of each module (one Registry class, one snappy
//       state) through dist/chunks/; Effect is bundled in (tree-shaken): a Promise API user
//       installs no `effect` at all.
//   dist/effect.js  `promwire/effect`, built apart on the user's own `effect` (a peer
//       dependency of this entry only), so its services compose with the user's program.
//   dist/cli.js  the `promwire` command; each command's code is a chunk loaded on demand.
//   dist/types/  declarations from tsc, one per source file.
//
// Source maps carry promwire's own sources; bundled dependencies' sources are left out of them
// (they would be most of the package's size). `--analyze` prints the largest inputs of the
// Workers entry.
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { build } from "esbuild";

const shared = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  mainFields: ["module", "main"],
  conditions: ["import", "module"],
  minify: true,
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  // Bun runs every module it loads through its own transpiler unless the file's first line says
  // it is already plain JavaScript Bun can load as it is (`// @bun`, what `bun build` writes).
  // These files are: ES2022 modules, nothing to rewrite. Skipping the transpiler takes 7–9 ms off
  // a Bun job's start (measured, `import "promwire/bun"`). For every other runtime and bundler it
  // is a comment; esbuild shifts the source maps for it, and a hashbang stays first (dist/cli.js).
  banner: { js: "// @bun" },
};

rmSync("dist", { recursive: true, force: true });

/**
 * The bundled Effect's view of `Error.stackTraceLimit`, as if stack traces were off. Effect
 * reads it for debugging aids only: at evaluation it probes how the engine names stack frames
 * (`internalCall`, the continuation probe: the code it then picks behaves the same either way), and
 * `Effect.fn` and Layer capture call-site errors for span traces. The first read of a probe's
 * `.stack` costs Deno 5–18 ms at each job's start (measured: it formats a frame in a dynamically
 * imported chunk). The bundled copy serves promwire's own sender: no user code sees its spans or
 * stack frames, so it skips those captures and never writes the global `Error.stackTraceLimit`.
 * `promwire/effect` runs on the user's own `effect`, untouched.
 */
const effectWithoutStackProbes = {
  name: "effect-without-stack-probes",
  setup(b) {
    b.onLoad({ filter: /[\\/]effect[\\/]dist[\\/]internal[\\/]stackTraceLimit\.js$/ }, () => ({
      contents: "export const isStackTraceLimitWritable = () => false;\nexport const getStackTraceLimit = () => 0;\nexport const setStackTraceLimit = () => {};\n",
      loader: "js",
    }));
  },
};

const main = await build({
  ...shared,
  entryPoints: {
    index: "core/index.ts",
    node: "adapters/node.ts",
    deno: "adapters/deno.ts",
    bun: "adapters/bun.ts",
    workers: "adapters/workers.ts",
    wire: "core/wire/index.ts",
    exposition: "core/exposition/index.ts",
    edge: "core/edge/index.ts",
    proto: "core/proto/index.ts",
    cli: "cli/main.ts",
  },
  outdir: "dist",
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  // The generated messages are for users who bring @bufbuild/protobuf (peer of promwire/proto);
  // Workers' wrangler bundles the .wasm import as a CompiledWasm module itself.
  external: ["@bufbuild/protobuf", "@bufbuild/protobuf/*", "*.wasm", "node:*"],
  // Effect probes `globalThis.process` when its modules are evaluated (Node's AsyncResource for
  // fiber async context, `hrtime` for its clock). In Deno that one property read boots the Node
  // compatibility layer: 20–45 ms of a short job's run, measured. promwire's sender needs
  // neither (its fibers carry no AsyncLocalStorage context; performance.now() is Effect's
  // fallback clock), and no other code in these bundles reads `globalThis.process` (the
  // adapters use the runtime's own globals), so the read is folded away at build time.
  define: { "globalThis.process": "undefined" },
  plugins: [effectWithoutStackProbes],
  metafile: true,
});

await build({
  ...shared,
  entryPoints: { effect: "core/client/effect.ts" },
  outdir: "dist",
  external: ["effect", "effect/*"],
});

copyFileSync("adapters/snappy.wasm", "dist/snappy.wasm");
chmodSync("dist/cli.js", 0o755);

for (const dir of ["dist", "dist/chunks"]) {
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".map"))) {
    const map = JSON.parse(readFileSync(`${dir}/${file}`, "utf8"));
    map.sourcesContent = map.sources.map((source, i) => (source.includes("node_modules/") ? null : map.sourcesContent[i]));
    writeFileSync(`${dir}/${file}`, JSON.stringify(map));
  }
}

execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });

if (process.argv.includes("--analyze")) {
  const inputs = Object.entries(main.metafile.outputs)
    .filter(([file]) => file === "dist/workers.js" || file.startsWith("dist/chunks/"))
    .flatMap(([, o]) => Object.entries(o.inputs));
  for (const [file, { bytesInOutput }] of inputs.sort((a, b) => b[1].bytesInOutput - a[1].bytesInOutput).slice(0, 30)) {
    console.log(`${String(bytesInOutput).padStart(7)}  ${file.replace(/.*node_modules\//, "")}`);
  }
}
