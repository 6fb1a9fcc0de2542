import { describe, expect, it } from 'vitest';
import { isEfsinkError } from '../errors.js';
import { AccessLogFormatError } from './errors.js';
import { ACCESS_LOG_PRESET_NAMES, ACCESS_LOG_PRESETS } from './presets.js';
import { assertValidFormat, MAX_FORMAT_BYTES, validateAccessLogFormat } from './validate.js';

const codes = (format: string) => validateAccessLogFormat(format).map((p) => p.code);

describe('validateAccessLogFormat', () => {
  it.each(ACCESS_LOG_PRESET_NAMES)('accepts the %s preset, with and without a trailing newline', (name) => {
    expect(validateAccessLogFormat(ACCESS_LOG_PRESETS[name])).toEqual([]);
    expect(validateAccessLogFormat(`${ACCESS_LOG_PRESETS[name]}\n`)).toEqual([]);
  });

  it('accepts $context.extendedRequestId alone as the request id', () => {
    expect(codes('$context.extendedRequestId')).toEqual([]);
  });

  it('fails an empty format with FORMAT_EMPTY only', () => {
    expect(codes('')).toEqual(['FORMAT_EMPTY']);
  });

  it('reads 3 KB as 3072 bytes of UTF-8: 3072 passes, 3073 fails with FORMAT_TOO_LONG', () => {
    const base = '$context.requestId ';
    expect(MAX_FORMAT_BYTES).toBe(3072);
    expect(codes(base + 'x'.repeat(3072 - base.length))).toEqual([]);
    expect(codes(base + 'x'.repeat(3073 - base.length))).toEqual(['FORMAT_TOO_LONG']);
  });

  it('fails a format of 3000 characters that is over 3072 bytes because é is 2 bytes', () => {
    const problems = validateAccessLogFormat(`$context.requestId${'é'.repeat(1600)}`);
    expect(problems).toEqual([expect.objectContaining({ code: 'FORMAT_TOO_LONG' })]);
    expect(problems[0]?.message).toContain('3218 bytes');
  });

  it('counts the trailing newline toward the size', () => {
    const format = `$context.requestId ${'x'.repeat(3072 - 19)}`;
    expect(codes(format)).toEqual([]);
    expect(codes(`${format}\n`)).toEqual(['FORMAT_TOO_LONG']);
  });

  it.each([
    ['$context.requestId\n$context.status', 18],
    ['\n$context.requestId', 0],
    ['$context.requestId\n\n', 18],
  ])('fails %j with FORMAT_MULTILINE at the first misplaced newline', (format, index) => {
    const problems = validateAccessLogFormat(format);
    expect(problems).toEqual([expect.objectContaining({ code: 'FORMAT_MULTILINE', index })]);
    expect(problems[0]?.message).toContain('new line character is allowed only at end of the format');
  });

  it('allows a carriage return (only \\n is a newline for this check)', () => {
    expect(codes('$context.requestId\r')).toEqual([]);
  });

  it.each(['$context.status', '$context.requestIdX', '$context.requestid', 'requestId'])(
    'fails %j with FORMAT_MISSING_REQUEST_ID',
    (format) => {
      expect(codes(format)).toEqual(['FORMAT_MISSING_REQUEST_ID']);
    },
  );

  it('fails $input and $stageVariables with FORMAT_FORBIDDEN_VARIABLE, once per reference, with offsets', () => {
    const problems = validateAccessLogFormat('$context.requestId $input.body $stageVariables.x');
    expect(problems).toEqual([
      expect.objectContaining({ code: 'FORMAT_FORBIDDEN_VARIABLE', index: 19 }),
      expect.objectContaining({ code: 'FORMAT_FORBIDDEN_VARIABLE', index: 31 }),
    ]);
    expect(problems[0]?.message).toBe(
      '$input at offset 19 is not allowed; access log formats may use only $context variables',
    );
  });

  it('fails $util and $contextual with FORMAT_FORBIDDEN_VARIABLE', () => {
    expect(codes('$context.requestId $util.escapeJavaScript $contextual')).toEqual([
      'FORMAT_FORBIDDEN_VARIABLE',
      'FORMAT_FORBIDDEN_VARIABLE',
    ]);
  });

  it('fails a bare $context or $context. with FORMAT_INVALID_VARIABLE', () => {
    expect(codes('$context.requestId $context $context.')).toEqual([
      'FORMAT_INVALID_VARIABLE',
      'FORMAT_INVALID_VARIABLE',
    ]);
  });

  it('fails VTL formal (dollar-brace) and quiet ($!) references with FORMAT_UNSUPPORTED_SYNTAX (they do not count as the request id)', () => {
    expect(codes(`\${context.requestId} $!context.extendedRequestId`)).toEqual([
      'FORMAT_UNSUPPORTED_SYNTAX',
      'FORMAT_UNSUPPORTED_SYNTAX',
      'FORMAT_MISSING_REQUEST_ID',
    ]);
  });

  it('allows a lone $ that starts no reference', () => {
    expect(codes('$context.requestId costs $5 $')).toEqual([]);
  });

  it('reports every problem at once', () => {
    expect(codes(`$input.x\n$context.status ${'x'.repeat(3100)}`)).toEqual([
      'FORMAT_TOO_LONG',
      'FORMAT_MULTILINE',
      'FORMAT_FORBIDDEN_VARIABLE',
      'FORMAT_MISSING_REQUEST_ID',
    ]);
  });
});

describe('assertValidFormat', () => {
  it('returns quietly for a valid format', () => {
    expect(() => assertValidFormat(ACCESS_LOG_PRESETS['http-json'])).not.toThrow();
  });

  it('fails with the first problem as code and every problem attached', () => {
    let thrown: unknown;
    try {
      assertValidFormat('$input.body\n$context.status');
    } catch (err) {
      thrown = err;
    }
    expect(isEfsinkError(thrown)).toBe(true);
    expect(thrown).toBeInstanceOf(AccessLogFormatError);
    const error = thrown as AccessLogFormatError;
    expect(error.code).toBe('FORMAT_MULTILINE');
    expect(error.problems.map((p) => p.code)).toEqual([
      'FORMAT_MULTILINE',
      'FORMAT_FORBIDDEN_VARIABLE',
      'FORMAT_MISSING_REQUEST_ID',
    ]);
    expect(error.message).toMatch(
      /^invalid access log format: format has a newline at offset 11; .*\(and 2 more problem\(s\)\)$/,
    );
  });

  it('fails with a message without a count when there is one problem', () => {
    expect(() => assertValidFormat('')).toThrow(
      'invalid access log format: format is empty; it must contain at least $context.requestId or $context.extendedRequestId',
    );
  });
});
