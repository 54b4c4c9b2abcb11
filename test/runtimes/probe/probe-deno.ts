// `deno run --allow-net probe-deno.ts <url>` (the adapter is imported from the checkout, as from JSR).
import { probe } from "./probe.ts";

declare const Deno: { args: string[] };
console.log(JSON.stringify(await probe(() => import("../../../adapters/deno.ts"), Deno.args[0])));
