import { describe, expect, it } from 'vitest';
import { EfsinkError } from '../core/errors.js';
import { objectErrorCode } from './backfill-s3.js';

const s3Error = (name: string, status: number) =>
  Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

describe('objectErrorCode: which failures concern one object (continue) and which the whole run (stop)', () => {
  it('one object: undecodable or unroutable bytes, and S3 refusing that object', () => {
    expect(objectErrorCode(new EfsinkError('DECODE_INVALID_GZIP', 'x'))).toBe('DECODE_INVALID_GZIP');
    expect(objectErrorCode(new EfsinkError('DECODE_TOO_LARGE', 'x'))).toBe('DECODE_TOO_LARGE');
    expect(objectErrorCode(new EfsinkError('INPUT_INVALID_S3_OBJECT', 'x'))).toBe('INPUT_INVALID_S3_OBJECT');
    expect(objectErrorCode(new EfsinkError('LAYOUT_NAME_TOO_LONG', 'x'))).toBe('LAYOUT_NAME_TOO_LONG');
    expect(objectErrorCode(s3Error('NoSuchKey', 404))).toBe('S3_NoSuchKey');
    expect(objectErrorCode(s3Error('AccessDenied', 403))).toBe('S3_AccessDenied');
  });
  it('whole run: exhausted retries, file-system failures, anything unknown', () => {
    expect(objectErrorCode(new EfsinkError('SOURCE_RETRIES_EXHAUSTED', 'x'))).toBeUndefined();
    expect(objectErrorCode(new EfsinkError('ASSEMBLE_FENCED', 'x'))).toBeUndefined();
    expect(objectErrorCode(Object.assign(new Error('nospc'), { code: 'ENOSPC' }))).toBeUndefined();
    expect(objectErrorCode(new TypeError('bug'))).toBeUndefined();
  });
});
