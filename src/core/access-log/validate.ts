import { AccessLogErrorCode, AccessLogFormatError, type FormatProblem } from './errors.js';
import { scanDollarReferences } from './format.js';
import { utf8ByteLength } from './utf8.js';

/**
 * The "Access log template size" quota is documented as 3 KB and cannot be raised (REST, HTTP API and
 * WebSocket quota tables; aws-facts.md 1.2). We read 3 KB as 3 × 1024 = 3072 bytes of UTF-8, counting the
 * optional trailing newline. AWS does not say whether it counts bytes or characters; for ASCII formats
 * (all presets) the two agree, and counting bytes is the stricter reading for non-ASCII ones.
 */
export const MAX_FORMAT_BYTES = 3072;

/** Either variable satisfies API Gateway's "must include at least $context.requestId" rule (user guide). */
export const REQUEST_ID_VARIABLES: readonly string[] = ['requestId', 'extendedRequestId'];

/**
 * Checks a format as API Gateway would when a stage's access log settings are updated, and returns
 * every problem found (empty when the format is valid). Problems are data; nothing is thrown.
 *
 * Rules (aws-facts.md 1.2): not empty; at most {@link MAX_FORMAT_BYTES}; a single line, where one `\n`
 * is allowed as the very last character (the service says "Access Log format must be single line,
 * new line character is allowed only at end of the format"); only `$context` variables; at least
 * `$context.requestId` or `$context.extendedRequestId`. Beyond AWS: `${…}` and `$!` VTL references are
 * reported as FORMAT_UNSUPPORTED_SYNTAX because efsink cannot render them faithfully. Unknown
 * `$context` names are not reported: AWS publishes no closed list and adds variables over time. A `\r`
 * is allowed (it is not a newline for the service's check as far as we know; UNCONFIRMED).
 *
 * @example
 * validateAccessLogFormat('$context.httpMethod\n$context.requestId').map((p) => p.code)
 * // ['FORMAT_MULTILINE']
 */
export function validateAccessLogFormat(format: string): FormatProblem[] {
  if (format.length === 0) {
    return [
      {
        code: AccessLogErrorCode.formatEmpty,
        message: `format is empty; it must contain at least $context.requestId or $context.extendedRequestId`,
      },
    ];
  }
  const problems: FormatProblem[] = [];
  const bytes = utf8ByteLength(format);
  if (bytes > MAX_FORMAT_BYTES) {
    problems.push({
      code: AccessLogErrorCode.formatTooLong,
      message: `format is ${bytes} bytes of UTF-8; the access log template size quota is 3 KB (${MAX_FORMAT_BYTES} bytes)`,
    });
  }
  const newline = format.indexOf('\n');
  if (newline !== -1 && newline !== format.length - 1) {
    problems.push({
      code: AccessLogErrorCode.formatMultiline,
      message: `format has a newline at offset ${newline}; Access Log format must be single line, new line character is allowed only at end of the format`,
      index: newline,
    });
  }
  let hasRequestId = false;
  for (const ref of scanDollarReferences(format)) {
    const text = format.slice(ref.start, ref.end);
    if (ref.kind === 'context') {
      if (REQUEST_ID_VARIABLES.includes(ref.name)) hasRequestId = true;
    } else if (ref.kind === 'foreign') {
      problems.push({
        code: AccessLogErrorCode.formatForbiddenVariable,
        message: `${text} at offset ${ref.start} is not allowed; access log formats may use only $context variables`,
        index: ref.start,
      });
    } else if (ref.kind === 'bare-context') {
      problems.push({
        code: AccessLogErrorCode.formatInvalidVariable,
        message: `$context at offset ${ref.start} has no variable name; expected $context.name such as $context.requestId`,
        index: ref.start,
      });
    } else {
      problems.push({
        code: AccessLogErrorCode.formatUnsupportedSyntax,
        message: `${text} at offset ${ref.start} is VTL syntax efsink does not model; write $context.name`,
        index: ref.start,
      });
    }
  }
  if (!hasRequestId) {
    problems.push({
      code: AccessLogErrorCode.formatMissingRequestId,
      message: 'format must include $context.requestId or $context.extendedRequestId',
    });
  }
  return problems;
}

/**
 * Throws an {@link AccessLogFormatError} (code = the first problem's code, `problems` = all) when the
 * format is invalid; returns nothing otherwise.
 *
 * @example
 * assertValidFormat('$input.body $context.requestId'); // throws, code 'FORMAT_FORBIDDEN_VARIABLE'
 */
export function assertValidFormat(format: string): void {
  const [first, ...rest] = validateAccessLogFormat(format);
  if (first !== undefined) throw new AccessLogFormatError([first, ...rest]);
}
