// An in-memory stand-in for a Durable Object's storage, state and namespace, for driving the
// metrics aggregator (core/edge/aggregate/aggregator.ts) in vitest. It keeps the rules that
// matter to it: values are copied when put (structured clone, as the runtime serialises them),
// `list` is ordered by key with `prefix`/`startAfter`/`limit`, at most 128 keys per put/delete,
// one alarm. The real thing is exercised in workerd by test/edge/aggregator-workerd.test.ts.
import type { AggregatorContext, AggregatorStorage, MetricsAggregatorObject } from "../../core/edge/aggregate/aggregator.ts";
import type { AggregatorNamespace } from "../../core/edge/aggregate/report-to-aggregator.ts";
import type { AggregatorStub } from "../../core/edge/aggregate/reporter.ts";

export class MemoryStorage implements AggregatorStorage {
  readonly data = new Map<string, unknown>();
  alarm: number | null = null;
  /** put() calls and keys written so far. */
  puts = 0;
  keysWritten = 0;
  /** Make the next put fail (as a storage error does; the object is then reset by the runtime). */
  failNextPut = false;

  async get<T>(key: string): Promise<T | undefined> {
    return structuredClone(this.data.get(key)) as T | undefined;
  }

  async list<T>(options: { prefix: string; startAfter?: string; limit?: number }): Promise<Map<string, T>> {
    const keys = [...this.data.keys()].filter((k) => k.startsWith(options.prefix) && (options.startAfter === undefined || k > options.startAfter)).sort();
    const out = new Map<string, T>();
    for (const k of keys.slice(0, options.limit ?? Infinity)) out.set(k, structuredClone(this.data.get(k)) as T);
    return out;
  }

  put<T>(entries: Record<string, T>): Promise<void> {
    const keys = Object.keys(entries);
    if (keys.length > 128) return Promise.reject(new Error(`put of ${keys.length} keys: at most 128`));
    if (this.failNextPut) {
      this.failNextPut = false;
      return Promise.reject(new Error("storage failure (test)"));
    }
    const copy = structuredClone(entries); // serialised at the call, as the runtime does
    this.puts++;
    this.keysWritten += keys.length;
    for (const k of keys) this.data.set(k, copy[k]);
    return Promise.resolve();
  }

  async delete(keys: string[]): Promise<number> {
    if (keys.length > 128) throw new Error(`delete of ${keys.length} keys: at most 128`);
    let n = 0;
    for (const k of keys) if (this.data.delete(k)) n++;
    return n;
  }

  async getAlarm(): Promise<number | null> {
    return this.alarm;
  }

  async setAlarm(at: number): Promise<void> {
    this.alarm = at;
  }
}

/** A Durable Object state over a storage (`blockConcurrencyWhile` just runs the callback). */
export function memoryContext(storage: MemoryStorage = new MemoryStorage()): AggregatorContext & { storage: MemoryStorage } {
  return { storage, blockConcurrencyWhile: (fn) => fn() };
}

/** What the namespace does with one call to an object's `fetch`. */
export type Fault = "none" | "drop-request" | "drop-response";

/**
 * A namespace of aggregator objects by name, each an instance of `make(ctx)` over its own
 * storage. `restart(name)` replaces an object with a new instance over the same storage (what an
 * eviction or a deployment does); `fault` decides per call whether the request or the response is lost.
 */
export class MemoryNamespace implements AggregatorNamespace {
  readonly storages = new Map<string, MemoryStorage>();
  readonly objects = new Map<string, MetricsAggregatorObject>();
  calls = 0;
  fault: (call: number, name: string) => Fault = () => "none";

  constructor(private readonly make: (ctx: AggregatorContext) => MetricsAggregatorObject) {}

  idFromName(name: string): string {
    return name;
  }

  object(name: string): MetricsAggregatorObject {
    let o = this.objects.get(name);
    if (o === undefined) {
      let s = this.storages.get(name);
      if (s === undefined) {
        s = new MemoryStorage();
        this.storages.set(name, s);
      }
      o = this.make(memoryContext(s));
      this.objects.set(name, o);
    }
    return o;
  }

  restart(name: string): void {
    this.objects.delete(name);
  }

  get(id: never): AggregatorStub {
    const name = id as unknown as string;
    return {
      fetch: async (url, init) => {
        const call = ++this.calls;
        const fault = this.fault(call, name);
        if (fault === "drop-request") throw new Error("network connection lost (before delivery)");
        const res = await this.object(name).fetch(new Request(url, init));
        if (fault === "drop-response") throw new Error("network connection lost (after delivery)");
        return res;
      },
    };
  }

  /** Run every object's alarm that is due by `now` (default: all set). */
  async runAlarms(now = Infinity): Promise<void> {
    for (const [name, s] of this.storages) {
      if (s.alarm !== null && s.alarm <= now) await this.object(name).alarm();
    }
  }
}
