// Types of db-backup-source.mjs, for the tests that import it.
export declare const ROOT: string;
/** esbuild plugin: `promwire[/runtime]` → the checkout's entry point. */
export declare const promwireFromSource: { name: string; setup(build: unknown): void };
/** Bundle `entry` (a path, or `{ contents, name }`) into .cache/examples/<name>.mjs; returns its path. */
export declare function bundleExample(entry: string | { contents: string; name: string }, name?: string): Promise<string>;
