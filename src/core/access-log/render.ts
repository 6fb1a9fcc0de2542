import { type AccessLogFormat, toAccessLogFormat } from './format.js';

/**
 * The values of one request, keyed by variable name without the `$context.` prefix
 * (`requestId`, `identity.sourceIp`, `error.messageString`).
 */
export type AccessLogContext = Readonly<Record<string, string | number | undefined>>;

/** What API Gateway writes for a variable with no value (seen in real samples, aws-facts.md 1.2). */
export const MISSING_VALUE = '-';

/**
 * Renders one access-log line as API Gateway would: each `$context.name` is replaced by the context's
 * value, and a missing, undefined or empty value becomes `-`. Numbers are written with `String(n)`.
 *
 * Values are substituted raw. AWS documents no escaping of substituted values (aws-facts.md 1.2), so a
 * `"` in a user agent breaks a JSON format exactly as it would in API Gateway; the engine does not
 * escape either. The result is a JS string whose UTF-8 encoding is the line's bytes; a format ending in
 * `\n` gives a line ending in `\n`. Pass a format tokenized once with `parseAccessLogFormat` on hot paths.
 *
 * @example
 * renderAccessLog('$context.requestId $context.identity.caller', { requestId: 'r-1' }) // 'r-1 -'
 */
export function renderAccessLog(format: string | AccessLogFormat, context: AccessLogContext): string {
  let line = '';
  for (const part of toAccessLogFormat(format).parts) {
    if (part.kind === 'literal') {
      line += part.text;
    } else {
      // hasOwn: a name like `toString` or `__proto__` must not read Object.prototype.
      const value = Object.hasOwn(context, part.name) ? context[part.name] : undefined;
      line += value === undefined || value === '' ? MISSING_VALUE : String(value);
    }
  }
  return line;
}
