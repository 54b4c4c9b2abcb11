/** Telling the two exposition formats apart (parse.ts, parse-page.ts). */

import type { ExpositionFormat } from "./parse.ts";

/**
 * Pick the format of a page: `application/openmetrics-text` means OpenMetrics and `text/plain`
 * means text 0.0.4 (Prometheus negotiates with exactly these media types); without a usable
 * Content-Type, a page whose last line is `# EOF` is OpenMetrics and anything else is text.
 *
 * @example detectFormat("application/openmetrics-text; version=1.0.0; charset=utf-8") // "openmetrics"
 */
export function detectFormat(contentType?: string, text?: string): ExpositionFormat {
  if (contentType !== undefined) {
    const semi = contentType.indexOf(";");
    const media = (semi < 0 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
    if (media === "application/openmetrics-text") return "openmetrics";
    if (media === "text/plain") return "text";
  }
  if (text !== undefined) {
    let end = text.length;
    while (end > 0 && text.charCodeAt(end - 1) === 10) end--;
    if (text.endsWith("# EOF", end) && (end === 5 || text.charCodeAt(end - 6) === 10)) return "openmetrics";
  }
  return "text";
}
