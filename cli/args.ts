/** A small argv parser: positionals, `--name value`, `--name=value`, repeatable flags, booleans. */

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string[]>;
}

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Parse argv; `booleans` are flags that take no value. */
export function parseArgs(argv: readonly string[], booleans: readonly string[] = []): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string[]>();
  const add = (k: string, v: string): void => {
    flags.set(k, [...(flags.get(k) ?? []), v]);
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      if (eq >= 0) add(name, a.slice(eq + 1));
      else if (booleans.includes(name)) add(name, "true");
      else {
        const v = argv[i + 1];
        if (v === undefined) throw new UsageError(`--${name} needs a value`);
        add(name, v);
        i++;
      }
    } else if (a === "-h") add("help", "true");
    else positionals.push(a);
  }
  return { positionals, flags };
}

export function flag(args: ParsedArgs, name: string): string | undefined {
  const v = args.flags.get(name);
  return v === undefined ? undefined : v[v.length - 1];
}

export function flagList(args: ParsedArgs, name: string): string[] {
  return args.flags.get(name) ?? [];
}

/** `k=v` pairs (from `--label k=v`), checked. */
export function keyValues(items: readonly string[], what: string, sep = "="): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of items) {
    const i = item.indexOf(sep);
    if (i <= 0) throw new UsageError(`${what} must look like name${sep}value (got ${JSON.stringify(item)})`);
    out[item.slice(0, i).trim()] = item.slice(i + 1).trim();
  }
  return out;
}

export function checkFlags(args: ParsedArgs, allowed: readonly string[]): void {
  for (const k of args.flags.keys()) {
    if (!allowed.includes(k) && k !== "help") throw new UsageError(`unknown option --${k}`);
  }
}
