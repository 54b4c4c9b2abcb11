/**
 * The Pushgateway grouping-key path, built as client_golang's `push.go` builds it:
 * `/metrics/job/<job>{/<label>/<value>}`. A value containing `/`, or an empty value, goes as
 * `<label>@base64/<URL-safe base64>` (an empty value as `=`); other values are percent-encoded
 * (`%20`, never `+`: Pushgateway 1.5 stores a `+` literally).
 */

import { ValidationError } from "../../errors.ts";
import { isLegacyLabelName } from "../../wire/label-rules.ts";

function base64Url(s: string): string {
  let bin = "";
  for (const b of new TextEncoder().encode(s)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function component(name: string, value: string): string {
  if (value === "") return `${name}@base64/=`;
  if (value.includes("/")) return `${name}@base64/${base64Url(value)}`;
  return `${name}/${encodeURIComponent(value)}`;
}

/** Check a job name and grouping labels as client_golang does, plus the empty-`instance` trap. */
export function validateGrouping(job: string, grouping: Readonly<Record<string, string>>): void {
  if (typeof job !== "string" || job === "") throw new ValidationError("job-empty", "the job name must not be empty");
  for (const [name, value] of Object.entries(grouping)) {
    if (!isLegacyLabelName(name)) throw new ValidationError("grouping-label-invalid", `grouping label has invalid name: ${JSON.stringify(name)}`);
    if (name === "job") throw new ValidationError("grouping-label-invalid", "grouping label \"job\" is reserved: set the job option instead");
    if (typeof value !== "string") throw new ValidationError("grouping-label-invalid", `grouping label ${name} has a non-string value`);
    if (name === "instance" && value === "") {
      // Pushgateway 1.5: an explicit empty instance collides with the implicit one, leaves a
      // broken group and makes /metrics answer 500 until the group is deleted.
      throw new ValidationError("grouping-instance-empty", "an empty instance grouping value breaks the Pushgateway; omit instance or give it a value");
    }
  }
}

/**
 * The path (after the gateway's base URL) of a job's group, labels in name order.
 * @example groupingPath("backup", { instance: "db/1" }) // "/metrics/job/backup/instance@base64/ZGIvMQ"
 */
export function groupingPath(job: string, grouping: Readonly<Record<string, string>> = {}): string {
  validateGrouping(job, grouping);
  const parts = [component("job", job)];
  for (const name of Object.keys(grouping).sort()) parts.push(component(name, grouping[name]));
  return `/metrics/${parts.join("/")}`;
}
