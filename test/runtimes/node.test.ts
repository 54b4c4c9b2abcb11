// The shared behaviour cases on Node, through the Node adapter (`promwire/node`).
import { describe, it } from "vitest";
import * as promwire from "../../adapters/node.ts";
import { allCases } from "../shared/all.cases.ts";

describe("shared behaviour on node", () => {
  for (const c of allCases) {
    it(c.name, () =>
      c.run({ promwire, runtime: "node", receiverUrl: process.env.PROMWIRE_TEST_RECEIVER, pushgatewayUrl: process.env.PROMWIRE_TEST_PUSHGATEWAY }),
    );
  }
});
