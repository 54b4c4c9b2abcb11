/**
 * A heap budget for large inputs. V8 lets garbage pile up in the old generation until a limit it
 * sets generously on a machine with memory to spare: parsing a 50 MB page chunk by chunk keeps
 * about 30 MB alive, yet peaked at 260-330 MB RSS. Between chunks, {@link HeapBudget.check} runs
 * a full collection once the heap passes the budget, so the peak stays near the budget whatever
 * the input size (measured: 175 MB), for some CPU (each collection walks only what is alive).
 * Node only (`node:v8`, `node:vm`); where `gc` cannot be had it does nothing.
 */
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collect: (() => void) | null | undefined;

/** V8's `gc()`, obtained without a command-line flag; null where that does not work. */
function collector(): (() => void) | null {
  if (collect !== undefined) return collect;
  try {
    // The flag exposes `gc` in contexts created from now on (not in the main one, left as is).
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    collect = typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    collect = null;
  }
  return collect;
}

export class HeapBudget {
  private limit: number;

  /** `bytes`: heap allowed before a collection; it grows when more than half of it stays alive. */
  constructor(private readonly bytes: number) {
    this.limit = bytes;
  }

  /**
   * Collect now if the heap holds more than the budget.
   * @example const heap = new HeapBudget(48 << 20); for (const c of chunks) { handle(c); heap.check(); }
   */
  check(): void {
    if (getHeapStatistics().used_heap_size <= this.limit) return;
    const gc = collector();
    if (gc === null) return;
    gc();
    // If much stays alive (a huge line, many families' metadata), collecting at every chunk
    // would cost a lot for nothing: allow twice what survived.
    this.limit = Math.max(this.bytes, 2 * getHeapStatistics().used_heap_size);
  }
}
