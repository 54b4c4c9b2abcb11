// The shared behaviour cases on Deno, through the Deno adapter (`npm run test:deno`). Run with
// --allow-net and only the two server variables readable (--allow-env=PROMWIRE_TEST_RECEIVER,
// PROMWIRE_TEST_PUSHGATEWAY): the adapter itself needs no file access and no environment.
import * as promwire from "../../adapters/deno.ts";
import * as exposition from "../../core/exposition/index.ts";
import * as wire from "../../core/wire/index.ts";
import { assertRejects } from "../shared/harness.ts";
import { allCases } from "../shared/all.cases.ts";

declare const Deno: {
  test(name: string, fn: () => void | Promise<void>): void;
  env: { get(name: string): string | undefined };
};

for (const c of allCases) {
  Deno.test(c.name, () =>
    c.run({ promwire, wire, exposition, runtime: "deno", receiverUrl: Deno.env.get("PROMWIRE_TEST_RECEIVER"), pushgatewayUrl: Deno.env.get("PROMWIRE_TEST_PUSHGATEWAY") }),
  );
}

Deno.test("deno: without --allow-env for PROMWIRE_*, remoteWrite() with no URL names the missing permission", async () => {
  await assertRejects(() => promwire.remoteWrite(), "EnvPermissionError", /PROMWIRE_REMOTE_WRITE_URL: run with --allow-env/);
});
