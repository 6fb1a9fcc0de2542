import { describe, expect, it } from 'vitest';
import {
  codeOf,
  ERROR_CATALOGUE,
  entryOf,
  exitCodeOf,
  httpStatusOf,
  isCatalogued,
} from './error-catalogue.js';
import { EfsinkError } from './errors.js';

/** A system error as Node reports it (fs calls set code and errno). */
const errno = (code: string, n: number) => Object.assign(new Error(`${code}: x`), { code, errno: -n });

describe('codeOf: one name for one failure, whoever reports it', () => {
  it.each([
    ['an efsink error', new EfsinkError('DECODE_INVALID_GZIP', 'x'), 'DECODE_INVALID_GZIP'],
    ['ENOSPC', errno('ENOSPC', 28), 'FS_ENOSPC'],
    ['EIO', errno('EIO', 5), 'FS_EIO'],
    // Node 20's libuv has no name for ESTALE (test/nfs/FINDINGS.md F3): it is named from errno 116.
    ['ESTALE as Node 20 reports it', errno('Unknown system error -116', 116), 'FS_ESTALE'],
    [
      'an S3 service error',
      Object.assign(new Error('gone'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }),
      'S3_NoSuchKey',
    ],
    [
      'a Node programming error (ERR_*, not an errno)',
      Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARG_TYPE' }),
      'INTERNAL',
    ],
    ['a plain Error', new Error('bug'), 'INTERNAL'],
    ['a thrown string', 'oops', 'INTERNAL'],
    ['null', null, 'INTERNAL'],
  ])('%s → %s', (_what, err, code) => {
    expect(codeOf(err)).toBe(code);
  });

  it('reads the code of an efsink error made by another copy of the module (bundles)', () => {
    const foreign = Object.assign(new Error('x'), { name: 'EfsinkError', code: 'CONFIG_INVALID' });
    expect(codeOf(foreign)).toBe('CONFIG_INVALID');
  });
});

describe('the catalogue answers exit code, HTTP status and retry for every code', () => {
  it('maps the exit codes: usage 2, unit failures 1, internal 70', () => {
    expect(
      [
        'CLI_USAGE',
        'CONFIG_INVALID',
        'LAYOUT_INVALID_TEMPLATE',
        'DECODE_INVALID_JSON',
        'FS_ENOSPC',
        'INTERNAL',
      ].map(exitCodeOf),
    ).toEqual([2, 2, 2, 1, 1, 70]);
  });

  it('gives families their entry and unknown codes the INTERNAL one', () => {
    expect(entryOf('FS_ENOSPC')).toBe(ERROR_CATALOGUE.FS_);
    expect(entryOf('S3_AccessDenied')).toBe(ERROR_CATALOGUE.S3_);
    expect(entryOf('NOT_A_CODE')).toBe(ERROR_CATALOGUE.INTERNAL);
    expect([
      isCatalogued('FS_EIO'),
      isCatalogued('FS_'),
      isCatalogued('NOT_A_CODE'),
      isCatalogued('INTERNAL'),
    ]).toEqual([true, false, false, true]);
  });

  it('answers Firehose 413 only for what it must never resend, 5xx for what may heal', () => {
    const permanent = Object.entries(ERROR_CATALOGUE)
      .filter(([, e]) => e.http === 413)
      .map(([k]) => k);
    expect(permanent.sort()).toEqual(['DECODE_TOO_LARGE', 'RECEIVER_BODY_TOO_LARGE']);
    expect([
      httpStatusOf('FS_ENOSPC'),
      httpStatusOf('RECEIVER_OVERLOADED'),
      httpStatusOf('CLI_USAGE'),
    ]).toEqual([500, 503, 500]);
    for (const [code, e] of Object.entries(ERROR_CATALOGUE))
      if (e.http !== null && e.http >= 500) expect({ code, retry: e.retry }).toEqual({ code, retry: true });
  });
});
