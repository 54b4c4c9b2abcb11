/**
 * The sample lines a metric snapshot hands out.
 *
 * Built with a constructor, not an object literal: V8 tracks each literal's allocation site and
 * "pretenures" one whose objects it finds alive at a young-generation GC, after which every
 * object from that site is allocated in the old generation. A snapshot of 10,000 series is alive
 * while it is built, so literals here got pretenured and a steady-state collect + flush cost
 * several times more (see bench/sender-path.ts, Registry row). Constructors have no such site.
 */

import type { ExpositionSample } from "../exposition/model.ts";
import type { Exemplar, Labels } from "../wire/types.ts";

class SnapshotSample implements ExpositionSample {
  constructor(
    readonly name: string,
    readonly labels: Labels,
    readonly value: number,
  ) {}
}

/** One sample line of a snapshot (with its exemplar, when there is one). */
export function snapshotSample(name: string, labels: Labels, value: number, exemplar?: Exemplar): ExpositionSample {
  return exemplar === undefined ? new SnapshotSample(name, labels, value) : { name, labels, value, exemplar };
}
