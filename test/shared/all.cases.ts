// Every shared behaviour case, in the order each runtime runs them.
import { authCases } from "./auth.cases.ts";
import { clientCases } from "./client.cases.ts";
import { expositionCases } from "./exposition.cases.ts";
import type { SharedCase } from "./harness.ts";
import { strictCases } from "./strict.cases.ts";
import { wireCases } from "./wire.cases.ts";

export const allCases: SharedCase[] = [...wireCases, ...expositionCases, ...strictCases, ...clientCases, ...authCases];
