import type { Clock } from "../../core/metrics/clock.ts";

/** A clock the test moves by hand. */
export class FakeClock implements Clock {
  constructor(
    public wall = 1_700_000_000_000,
    public mono = 1_000,
  ) {}
  now(): number {
    return this.wall;
  }
  monotonic(): number {
    return this.mono;
  }
  advance(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}
