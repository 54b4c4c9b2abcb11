// The shared behaviour cases on Node, through the Node adapter (`promwire/node`).
import { describe, it } from "vitest";
import * as promwire from "../../adapters/node.ts";
import * as exposition from "../../core/exposition/index.ts";
import * as wire from "../../core/wire/index.ts";
import { allCases } from "../shared/all.cases.ts";

describe("shared behaviour on node", () => {
  for (const c of allCases) {
    it(c.name, () =>
      c.run({ promwire, wire, exposition, runtime: "node", receiverUrl: process.env.PROMWIRE_TEST_RECEIVER, pushgatewayUrl: process.env.PROMWIRE_TEST_PUSHGATEWAY }),
    );
  }
});
