/** What a writer or Pushgateway client reads metrics from. */

import type { MetricFamily } from "../exposition/model.ts";

/**
 * Anything that yields metric families: a `Registry`, a writer's own `metrics`, or a page parsed
 * once and pushed as it is (`{ collect: () => families }`).
 */
export interface Collectable {
  collect(): readonly MetricFamily[];
}
