// What a plain job pays for: with neither `proxy` nor `tls` (nor a proxy variable) a Node job
// never loads promwire's own transport (node:https and the CONNECT tunnel stay unloaded: Node's
// global fetch does the work); with a proxy, the transport is loaded at its first request. Run on
// the built package (dist/, as users import it), in a fresh process each.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";

const NODE_ENTRY = resolve(import.meta.dirname, "../../dist/node.js");

function loadedAfterOneWrite(options: string, env: Record<string, string> = {}): string[] {
  const program = `
    const { remoteWrite, Registry, Gauge } = await import(${JSON.stringify(NODE_ENTRY)});
    const before = new Set(process.moduleLoadList);
    const rw = remoteWrite({ url: "http://127.0.0.1:9/api/v1/write", flushOnExit: false, retry: { maxAttempts: 1 }, onError: () => {}, ...${options} });
    const r = new Registry();
    new Gauge({ name: "x", help: "x", registry: r }).set(1);
    rw.collect(r);
    await rw.close();
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => !before.has(m))));`;
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/_proxy$/i.test(k)) clean[k] = v;
  const r = spawnSync(process.execPath, ["--input-type=module", "-e", program], { encoding: "utf8", env: { ...clean, ...env } });
  expect(r.status, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as string[];
}

describe("the Node transport is loaded only when used", () => {
  it("a plain job: node:https never loaded", () => {
    expect(loadedAfterOneWrite("{}")).not.toContain("NativeModule https");
  });

  it("with a proxy option, or HTTP_PROXY set: loaded at the first request", () => {
    expect(loadedAfterOneWrite(`{ proxy: "http://127.0.0.1:9" }`)).toContain("NativeModule https");
    expect(loadedAfterOneWrite("{}", { HTTP_PROXY: "http://127.0.0.1:9" })).toContain("NativeModule https");
  });
});
