// What an import of a runtime entry loads before the first send: the modules reached from
// dist/<entry>.js by static imports. Effect (the transport's runtime, ~45 KB minified) must not
// be among them: it belongs to the sender, loaded by a dynamic import on first data. esbuild
// puts modules reached from the same entries into one chunk, so a single plain helper imported
// from an Effect module (as `parseRetryAfter` once was, from attempt.ts) silently makes Effect
// eager again; this test reads the built chunks' source maps to catch that.
import { readdirSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const DIST = resolve(import.meta.dirname, "../../dist");

interface Graph {
  /** Chunks reached by static imports, the entry included. */
  readonly eager: Set<string>;
  /** Chunks named in dynamic imports of the eager ones. */
  readonly lazy: Set<string>;
}

function graph(entry: string): Graph {
  const eager = new Set<string>();
  const lazy = new Set<string>();
  const visit = (file: string): void => {
    if (eager.has(file)) return;
    eager.add(file);
    const code = readFileSync(file, "utf8");
    // JavaScript chunks only: the Workers entry also imports its snappy.wasm (a module there).
    for (const m of code.matchAll(/(?:\bfrom|\bimport)\s*"(\.[^"]+\.js)"/g)) visit(resolve(dirname(file), m[1]));
    for (const m of code.matchAll(/\bimport\("(\.[^"]+)"\)/g)) lazy.add(resolve(dirname(file), m[1]));
  };
  visit(resolve(DIST, entry));
  return { eager, lazy };
}

/** The source files a built chunk holds, from its linked source map. */
function sources(file: string): string[] {
  return (JSON.parse(readFileSync(`${file}.map`, "utf8")) as { sources: string[] }).sources;
}

const fromEffect = (file: string): string[] => sources(file).filter((s) => s.includes("node_modules/effect/"));

describe("importing a runtime entry loads no Effect", () => {
  for (const entry of ["index.js", "node.js", "deno.js", "bun.js", "workers.js", "edge.js", "exposition.js", "wire.js"]) {
    it(`dist/${entry}: no Effect module among its static imports`, () => {
      const { eager } = graph(entry);
      const offenders = [...eager].flatMap((f) => fromEffect(f).slice(0, 3).map((s) => `${f.slice(DIST.length + 1)} holds ${s.replace(/.*node_modules\//, "")}`));
      expect(offenders).toEqual([]);
    });
  }

  it("the sender, loaded on first data, is where Effect is (so the check above can fail)", () => {
    const { eager, lazy } = graph("node.js");
    const engine = [...lazy].find((f) => /send-engine-[A-Z0-9]+\.js$/.test(f));
    expect(engine, "dist/node.js has no dynamic import of the send engine").toBeDefined();
    const engineGraph = graph(engine!.slice(DIST.length + 1));
    const withEffect = [...engineGraph.eager].filter((f) => !eager.has(f) && fromEffect(f).length > 0);
    expect(withEffect.length).toBeGreaterThan(0);
  });
});

describe("what else a runtime entry leaves for later", () => {
  const nodeBuiltins = (entry: string): string[] =>
    [...graph(entry).eager].flatMap((f) => [...readFileSync(f, "utf8").matchAll(/\bfrom\s*"(node:[\w/]+)"|\bimport\s*"(node:[\w/]+)"/g)].map((m) => m[1] ?? m[2]));

  it("dist/bun.js imports no node: module (Bun loads node:fs and node:os only for a spool or a certificate file)", () => {
    expect(nodeBuiltins("bun.js")).toEqual([]);
  });

  it("dist/node.js does import them (so the check above can fail)", () => {
    expect(new Set(nodeBuiltins("node.js"))).toEqual(new Set(["node:fs", "node:os", "node:path"]));
  });
});

describe("the bundled Effect skips its stack-trace probes (scripts/build.mjs)", () => {
  const chunks = readdirSync(resolve(DIST, "chunks"))
    .filter((f) => f.endsWith(".js"))
    .map((f) => resolve(DIST, "chunks", f));
  const effectChunks = chunks.filter((f) => fromEffect(f).length > 0);

  it("the chunks holding Effect's modules never set Error.stackTraceLimit", () => {
    expect(effectChunks.length).toBeGreaterThan(0);
    for (const f of effectChunks) expect(readFileSync(f, "utf8"), f).not.toMatch(/Error\.stackTraceLimit\s*=/);
  });

  it("Effect's own module does set it (so the check above can fail), and promwire/effect keeps the user's effect", () => {
    const own = readFileSync(resolve(import.meta.dirname, "../../node_modules/effect/dist/internal/stackTraceLimit.js"), "utf8");
    expect(own).toMatch(/Error\.stackTraceLimit\s*=/);
    const effectEntry = readFileSync(resolve(DIST, "effect.js"), "utf8");
    expect(effectEntry).toMatch(/from\s*"effect\/Effect"/);
  });
});
