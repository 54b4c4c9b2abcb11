#!/usr/bin/env node
// `npm run build` (also `prepack`: the package is built when it is packed, never when it is
// installed — a consumer's install runs no script of ours): compile to dist/ and copy the assets
// tsc does not (the WASM the Workers adapter imports).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
mkdirSync("dist/adapters", { recursive: true });
copyFileSync("adapters/snappy.wasm", "dist/adapters/snappy.wasm");
if (existsSync("dist/cli/main.js")) chmodSync("dist/cli/main.js", 0o755);
