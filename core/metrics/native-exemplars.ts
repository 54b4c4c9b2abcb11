/**
 * The exemplars kept for a native histogram, chosen as client_golang's `nativeExemplars` does:
 * up to `max`, kept sorted by value; when full, an exemplar older than the TTL is replaced, and
 * otherwise the older one of the closest pair (on a log scale, counting the newcomer) is
 * dropped, so the kept exemplars stay spread across the value range.
 */

import type { Exemplar } from "../wire/types.ts";

export class NativeExemplars {
  private list: Exemplar[] = [];

  constructor(
    /** Most exemplars kept (0: none). */
    readonly max: number,
    /** Age in ms past which the oldest exemplar is replaced first; negative: always the oldest. */
    readonly ttlMs: number,
  ) {}

  /** The kept exemplars, sorted by value. */
  get exemplars(): readonly Exemplar[] {
    return this.list;
  }

  /**
   * Offer one exemplar (client_golang's `addExemplar`).
   *
   * @example
   * const kept = new NativeExemplars(10, 300_000);
   * kept.add({ labels: ["trace_id", "a"], value: 0.3, timestamp: Date.now() });
   */
  add(e: Exemplar): void {
    const ex = this.list;
    if (this.max <= 0) return;
    if (ex.length < this.max) {
      let at = 0;
      while (at < ex.length && !(e.value < ex[at].value)) at++;
      ex.splice(at, 0, e);
      return;
    }
    if (ex.length === 1) {
      ex[0] = e;
      return;
    }
    const ts = (x: Exemplar): number => x.timestamp ?? 0;
    let ot = 0;
    let otIdx = -1;
    let md = -1;
    let nIdx = -1;
    let rIdx = -1;
    let cLog = 0;
    let pLog = 0;
    for (let i = 0; i < ex.length; i++) {
      if (otIdx === -1 || ts(ex[i]) < ot) {
        ot = ts(ex[i]);
        otIdx = i;
      }
      if (nIdx === -1 && e.value <= ex[i].value) nIdx = i;
      pLog = cLog;
      cLog = Math.log(ex[i].value);
      if (i === 0) continue;
      const diff = Math.abs(cLog - pLog);
      if (md === -1 || diff < md) {
        md = diff;
        rIdx = ts(ex[i]) < ts(ex[i - 1]) ? i : i - 1;
      }
    }
    if (nIdx === -1) nIdx = ex.length;
    if (otIdx !== -1 && ts(e) - ot > this.ttlMs) {
      rIdx = otIdx;
    } else {
      const eLog = Math.log(e.value);
      if (nIdx > 0) {
        const diff = Math.abs(eLog - Math.log(ex[nIdx - 1].value));
        if (diff < md) {
          md = diff;
          rIdx = nIdx - 1;
        }
      }
      if (nIdx < ex.length) {
        const diff = Math.abs(Math.log(ex[nIdx].value) - eLog);
        if (diff < md) rIdx = nIdx;
      }
    }
    if (rIdx === nIdx) {
      ex[nIdx] = e;
    } else if (rIdx < nIdx) {
      ex.splice(nIdx, 0, e);
      ex.splice(rIdx, 1);
    } else {
      ex.splice(rIdx, 1);
      ex.splice(nIdx, 0, e);
    }
  }

  /** Forget every exemplar. */
  clear(): void {
    this.list = [];
  }
}
