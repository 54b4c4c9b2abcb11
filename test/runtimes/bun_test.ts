// The shared behaviour cases on Bun, through the Bun adapter (`npm run test:bun`).
// @ts-expect-error bun:test exists only under Bun
import { test } from "bun:test";
import * as promwire from "../../adapters/bun.ts";
import * as exposition from "../../core/exposition/index.ts";
import * as wire from "../../core/wire/index.ts";
import { allCases } from "../shared/all.cases.ts";

for (const c of allCases) {
  (test as (name: string, fn: () => unknown) => void)(c.name, () =>
    c.run({ promwire, wire, exposition, runtime: "bun", receiverUrl: process.env.PROMWIRE_TEST_RECEIVER, pushgatewayUrl: process.env.PROMWIRE_TEST_PUSHGATEWAY }),
  );
}
