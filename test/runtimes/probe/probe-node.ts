// `node probe-node.mjs <url> <adapter module path>` (bundled by scripts/runtime-bench.mjs; the
// adapter stays a separate module, the built package, so its import is what is timed).
import { probe } from "./probe.ts";

const [url, adapter] = process.argv.slice(2);
console.log(JSON.stringify(await probe(() => import(adapter), url)));
