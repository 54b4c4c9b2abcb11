// The shared behaviour cases on Deno, through the Deno adapter. Run with only --allow-net and
// --allow-env: the adapter needs no file access (`npm run test:deno`).
import * as promwire from "../../adapters/deno.ts";
import { allCases } from "../shared/all.cases.ts";

declare const Deno: {
  test(name: string, fn: () => void | Promise<void>): void;
  env: { get(name: string): string | undefined };
};

for (const c of allCases) {
  Deno.test(c.name, () =>
    c.run({ promwire, runtime: "deno", receiverUrl: Deno.env.get("PROMWIRE_TEST_RECEIVER"), pushgatewayUrl: Deno.env.get("PROMWIRE_TEST_PUSHGATEWAY") }),
  );
}
