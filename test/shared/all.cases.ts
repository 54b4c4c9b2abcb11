// Every shared behaviour case, in the order each runtime runs them.
import type { SharedCase } from "./harness.ts";
import { wireCases } from "./wire.cases.ts";

export const allCases: SharedCase[] = [...wireCases];
