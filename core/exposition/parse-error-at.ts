/**
 * Building a {@link ParseError} for a position of a page: the line's number, the column, and a
 * quote of the line cut to 120 characters around the column (a page may hold one huge line).
 */

import { ParseError, type ParseRule } from "../errors.ts";

/**
 * The error for position `at` of the line numbered `line` that starts at `lineStart` in `page`.
 *
 * @example parseErrorAt("a 1\nb x\n", 2, 4, 6, 'invalid value "x"', "value-invalid") // line 2, column 3
 */
export function parseErrorAt(page: string, line: number, lineStart: number, at: number, reason: string, rule: ParseRule): ParseError {
  let end = page.indexOf("\n", lineStart);
  if (end < 0) end = page.length;
  let from = lineStart;
  if (end - from > 120) {
    from = Math.max(lineStart, Math.min(at - 40, end - 120));
    end = Math.min(end, from + 120);
  }
  return new ParseError(line, at - lineStart + 1, page.slice(from, end), reason, rule);
}
