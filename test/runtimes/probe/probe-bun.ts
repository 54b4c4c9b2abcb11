// `bun probe-bun.ts <url> <adapter module path>`.
import { probe } from "./probe.ts";

const [url, adapter] = process.argv.slice(2);
console.log(JSON.stringify(await probe(() => import(adapter), url)));
