/**
 * The part of a remote-write writer that takes data: options checked, series queued, counts
 * kept. Plain, synchronous code (no Effect, no encoder): `collect`, `write` and `writeText`
 * return before anything is sent, so a job pays for the sender — Effect, the encoders, snappy —
 * only once it has something to send (the sender is loaded then: see writer.ts). The Effect
 * writer (effect-writer.ts) runs its sender loop on this same front.
 */

import { ClosedError, RejectedError, ValidationError, type PromwireError } from "../../errors.ts";
import { parsePage } from "../../exposition/parse-page.ts";
import { familiesToSeries } from "../../exposition/to-series.ts";
import type { Collectable } from "../../metrics/collectable.ts";
import type { MetricMetadata, Series } from "../../wire/types.ts";
import type { Auth } from "../http/auth.ts";
import { plainConnect, type Connect } from "../http/connection.ts";
import type { AttemptError, Transport } from "../http/types.ts";
import { Intake } from "./intake.ts";
import { notify } from "./notify.ts";
import { resolveOptions, type FailureInfo, type RemoteWriteOptions, type ResolvedOptions, type SpoolOptions } from "./options.ts";
import type { SpoolHandle } from "./spool/handle.ts";
import { WriterState } from "./state.ts";

/**
 * Opens a writer's spool: given by a runtime with a file system (see spool/spool.ts), so that
 * the spool's code stays out of the writers of runtimes without one.
 */
export type OpenSpool = (options: SpoolOptions, target: URL) => SpoolHandle;

/** What a runtime hands a writer's front. */
export interface FrontHooks {
  /** How requests are made (default: plain `fetch`). */
  readonly connect?: Connect;
  /** Opens `options.spool`; without it a spool is refused. */
  readonly openSpool?: OpenSpool;
}

export class WriterFront {
  readonly resolved: ResolvedOptions;
  /** The endpoint without credentials (they are in {@link auth}). */
  readonly url: URL;
  readonly auth: Auth | undefined;
  /** What requests are sent with (the connection's). */
  readonly fetch: Transport;
  readonly describeError: ((err: unknown, url: URL) => Promise<AttemptError>) | undefined;
  readonly now: () => number;
  readonly log: (message: string) => void;
  /** Where failures go: the option, else the log (silently losing data is the one thing not to do). */
  readonly onError: (error: PromwireError, info: FailureInfo) => void;
  readonly state: WriterState;
  readonly intake: Intake;
  /** The spool, opened with the writer (a directory that cannot be used fails `remoteWrite()`). */
  readonly spool: SpoolHandle | undefined;
  /**
   * Called after each write that left data queued: the sender starts (or is loaded) here. Set by
   * whoever runs the sender.
   */
  onData: () => void = () => {};

  /**
   * Throws `ValidationError` for bad options, `TypeError` for a bad URL: before anything is
   * queued. `connect` (default: plain `fetch`) is the runtime's: proxy, TLS, SigV4/OAuth2 data forms.
   */
  constructor(
    readonly options: RemoteWriteOptions,
    hooks: FrontHooks = {},
  ) {
    this.resolved = resolveOptions(options);
    this.now = options.now ?? Date.now;
    const { url, fetch, auth, describeError } = (hooks.connect ?? plainConnect)({ ...options, now: this.now });
    this.url = url;
    this.auth = auth;
    this.fetch = fetch;
    this.describeError = describeError;
    const log = (this.log = options.log ?? ((m: string) => console.warn(m)));
    this.onError = options.onError ?? ((e) => log(`promwire: ${e.message}`));
    this.state = new WriterState(this.resolved.protocol, this.resolved.maxPendingSamples);
    this.intake = new Intake(this.state, options, this.resolved, this.now);
    if (options.spool !== undefined && hooks.openSpool === undefined) {
      throw new ValidationError("option-invalid", "spool: this runtime has no file system for a spool (use promwire/node, /bun or /deno; on Workers, push from a Durable Object instead)");
    }
    this.spool = options.spool === undefined ? undefined : hooks.openSpool!(options.spool, url);
    // What earlier runs left for this target goes out first, even if this run writes nothing.
    if (this.spool?.waiting()) this.state.spoolAhead = true;
  }

  /**
   * A process's last moments before the sender was loaded (nothing was sent yet): what is queued
   * cannot be encoded for the spool now, so it is counted as failed and reported. Returns 0.
   */
  giveUpUnloaded(): number {
    const { state } = this;
    state.closed = true;
    const u = state.takeUnsettled();
    state.abandoned += u.samples;
    if (u.samples > 0) {
      state.metrics.samplesFailed += u.samples;
      notify(this.onError, new RejectedError("closed", u.samples, 0), { samples: u.samples, attempts: 0 });
    }
    return 0;
  }

  /** Enqueue series; throws {@link ClosedError} after close. */
  write(series: readonly Series[], metadata?: readonly MetricMetadata[]): void {
    const { state } = this;
    if (state.closed) throw new ClosedError();
    const wake = this.intake.add(series, metadata);
    if (state.queue.isEmpty) return;
    this.onData();
    if (wake) state.signal();
  }

  /**
   * Snapshot a registry (or any Collectable) now and enqueue it. With `after`, the snapshot's
   * timestamp is later than it (a periodic handle's timestamps strictly increase, whatever the
   * clock does). Returns the timestamp used.
   */
  collect(source: Collectable, options?: { readonly after?: number }): number {
    if (this.state.closed) throw new ClosedError();
    const after = options?.after;
    const timestamp = after === undefined ? this.now() : Math.max(this.now(), after + 1);
    const { series, metadata } = familiesToSeries(source.collect(), { timestamp, version: this.state.protocol });
    this.write(series, metadata);
    return timestamp;
  }

  /** Parse exposition text and enqueue it; throws `ParseError` on a bad page (nothing is queued then). */
  writeText(text: string): void {
    if (this.state.closed) throw new ClosedError();
    const { series, metadata } = familiesToSeries(parsePage(text), { timestamp: this.now(), version: this.state.protocol });
    this.write(series, metadata);
  }

  /** The writer's own metrics, pending count current. */
  readonly metrics: Collectable = {
    collect: () => {
      this.state.metrics.pending = this.state.queue.samples;
      return this.state.metrics.collect(this.resolved.shards, this.spool?.families(this.state));
    },
  };
}
