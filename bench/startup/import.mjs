// The runtime entry's import and nothing else. scripts/bench-startup.mjs copies this file into
// the consumer project once per runtime, rewriting "promwire/node" to "promwire/deno" / "promwire/bun".
import "promwire/node";
