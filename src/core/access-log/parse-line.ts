import { type AccessLogFormat, toAccessLogFormat } from './format.js';

/**
 * Reads a rendered line back into its variables, or returns null when the line does not fit the format.
 *
 * Matching is linear, with no backtracking (lines can be 1 MB): literals must appear where the format
 * puts them; each variable's value runs up to the first occurrence of the literal that follows it, and
 * the last variable runs up to the format's closing literal, which must end the line. Values come back
 * exactly as written, so a missing value is `'-'` and numbers are strings.
 *
 * Limitations (by design; the line alone cannot say more):
 * - Two adjacent variables with no literal between them (`$context.a$context.b`): always null.
 * - A value that contains the literal following it is cut at that literal. The line still renders back
 *   byte for byte when later literals happen to line up, but the values are wrong, or the result is
 *   null. Example: HTTP API CLF `"$context.httpMethod $context.routeKey $context.protocol"` with
 *   routeKey `GET /pets` reads routeKey `GET` and protocol `/pets HTTP/1.1`.
 * - A variable that appears twice must carry the same value both times, or the result is null.
 * - The line must match the format exactly, including a trailing `\n` when the format ends with one.
 *
 * @example
 * parseAccessLog('$context.requestId,$context.status', 'r-1,200') // { requestId: 'r-1', status: '200' }
 */
export function parseAccessLog(
  format: string | AccessLogFormat,
  line: string,
): Record<string, string> | null {
  const parts = toAccessLogFormat(format).parts;
  // A Map, not an object literal: `$context.__proto__` is a syntactically valid name.
  const values = new Map<string, string>();
  let at = 0;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] as (typeof parts)[number];
    if (part.kind === 'literal') {
      if (!line.startsWith(part.text, at)) return null;
      at += part.text.length;
      continue;
    }
    const next = parts[i + 1];
    let end: number;
    if (next === undefined) {
      end = line.length;
    } else if (next.kind === 'variable') {
      return null;
    } else if (i + 2 === parts.length) {
      // The closing literal: match it at the end, so the last value may contain it.
      end = line.length - next.text.length;
      if (end < at || !line.endsWith(next.text)) return null;
    } else {
      end = line.indexOf(next.text, at);
      if (end === -1) return null;
    }
    const value = line.slice(at, end);
    const seen = values.get(part.name);
    if (seen !== undefined && seen !== value) return null;
    values.set(part.name, value);
    at = end;
  }
  return at === line.length ? Object.fromEntries(values) : null;
}
