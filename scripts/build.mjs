#!/usr/bin/env node
// `npm run build` (also run by `prepare`, i.e. on every `npm ci`/`npm install` of this checkout):
// compile to dist/ and copy the assets tsc does not (the WASM the Workers adapter imports).
import { execFileSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync } from "node:fs";

// An installed package (from npm or a tarball) ships dist/ already built and has no TypeScript:
// nothing to do there.
if (!existsSync("node_modules/typescript/bin/tsc") && existsSync("dist/core/index.js")) process.exit(0);
rmSync("dist", { recursive: true, force: true });
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.build.json"], { stdio: "inherit" });
mkdirSync("dist/adapters", { recursive: true });
copyFileSync("adapters/snappy.wasm", "dist/adapters/snappy.wasm");
if (existsSync("dist/cli/main.js")) chmodSync("dist/cli/main.js", 0o755);
