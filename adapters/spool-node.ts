// The spool on Node (and the CLI, a Node program): spool-fs.ts with node:fs, node:os and node:path
// imported as usual. Bun's entry opens its spools through spool-fs.ts directly, loading the
// modules on first use.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { OpenSpool } from "../core/client/remote-write/effect-writer.ts";
import type { SpoolStorage } from "../core/client/remote-write/spool/storage.ts";
import { fsSpoolOpener, fsSpoolStorage, type NodeFileModules } from "./spool-fs.ts";

const modules: NodeFileModules = { fs, os, path };

/** A spool directory through node:fs. */
export const nodeSpoolStorage = (dir: string): SpoolStorage => fsSpoolStorage(dir, modules);

/** What the Node entry and the CLI hand the writer. */
export const openNodeSpool: OpenSpool = fsSpoolOpener(() => modules);
