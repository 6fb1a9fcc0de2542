import { EfsinkError } from '../errors.js';

/**
 * Codes raised by the access-log format engine. Validation problems are returned as data
 * (`validateAccessLogFormat`); these same codes are thrown only by the asserting helpers.
 * Every code is listed in docs/errors.md.
 */
export const AccessLogErrorCode = {
  /** The format is the empty string. */
  formatEmpty: 'FORMAT_EMPTY',
  /** The format is over the 3 KB "Access log template size" quota (3072 bytes of UTF-8). */
  formatTooLong: 'FORMAT_TOO_LONG',
  /** A newline appears anywhere but as the very last character. */
  formatMultiline: 'FORMAT_MULTILINE',
  /** Neither `$context.requestId` nor `$context.extendedRequestId` appears. */
  formatMissingRequestId: 'FORMAT_MISSING_REQUEST_ID',
  /** A `$name` reference other than `$context` (for example `$input`, `$stageVariables`). */
  formatForbiddenVariable: 'FORMAT_FORBIDDEN_VARIABLE',
  /** `$context` with no variable name after it (`$context`, `$context.`). */
  formatInvalidVariable: 'FORMAT_INVALID_VARIABLE',
  /** VTL syntax efsink does not model: `${…}` formal references and `$!` quiet references. */
  formatUnsupportedSyntax: 'FORMAT_UNSUPPORTED_SYNTAX',
  /** An epoch that cannot be written as `dd/MMM/yyyy:HH:mm:ss +0000` (not finite, or outside years 0–9999). */
  invalidRequestTime: 'RENDER_INVALID_REQUEST_TIME',
  /** Options given to the test-data generator are out of range or cannot be satisfied. */
  invalidGeneratorOptions: 'GENERATE_INVALID_OPTIONS',
} as const;

export type AccessLogErrorCode = (typeof AccessLogErrorCode)[keyof typeof AccessLogErrorCode];

/** One thing wrong with an access-log format, as API Gateway (or efsink's model of it) would reject it. */
export interface FormatProblem {
  readonly code: AccessLogErrorCode;
  /** What was received and what is allowed. */
  readonly message: string;
  /** UTF-16 offset in the format where the problem starts, when it has a position. */
  readonly index?: number;
}

/**
 * Thrown by `assertValidFormat`. `code` is the first problem's code; `problems` holds them all.
 * Branch on `code` (see `isEfsinkError`), not on `instanceof`.
 */
export class AccessLogFormatError extends EfsinkError {
  readonly problems: readonly FormatProblem[];

  constructor(problems: readonly [FormatProblem, ...FormatProblem[]], options?: ErrorOptions) {
    const [first] = problems;
    const more = problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : '';
    super(first.code, `invalid access log format: ${first.message}${more}`, options);
    this.problems = problems;
  }
}
