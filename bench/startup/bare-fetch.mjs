// What the job does on the wire, with nothing but the runtime's fetch: POST a prebuilt
// snappy-compressed remote-write body with the same headers. scripts/bench-startup.mjs fills in
// the body and headers the job itself sent (captured at the bench's receiver), per runtime.
const BODY_BASE64 = /*BODY*/ "";
const HEADERS = /*HEADERS*/ {};

const url = globalThis.Deno ? globalThis.Deno.args[0] : process.argv[2];
const body = Uint8Array.from(atob(BODY_BASE64), (c) => c.charCodeAt(0));
const res = await fetch(url, { method: "POST", headers: HEADERS, body });
await res.arrayBuffer();
if (!res.ok) throw new Error(`bare fetch: HTTP ${res.status}`);
