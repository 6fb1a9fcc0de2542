import { describe, expect, it } from 'vitest';
import { parseFirehoseObjectName } from '../core/write/plan-firehose.js';
import { compareFiles, expectedFiles, expectedRelPath } from './expected.js';
import { firehoseObjectKey, formEncodeKey } from './firehose-s3.js';

const H8 = Date.UTC(2026, 10, 22, 8, 59, 59);
const H9 = Date.UTC(2026, 10, 22, 9, 0, 1);
const b = (s: string) => Buffer.from(s);

describe('expectedFiles', () => {
  it('routes by hour, frames each entry, keeps units together, orders units by their first entry', () => {
    const files = expectedFiles([
      {
        path: 'cloudwatch',
        logGroup: 'g',
        entries: [
          { bytes: b('late-1'), routeMs: H8 + 500 },
          { bytes: b('h9'), routeMs: H9 },
        ],
      },
      {
        path: 'cloudwatch',
        logGroup: 'g',
        entries: [
          { bytes: b('early-1'), routeMs: H8 },
          { bytes: b('early-2\n'), routeMs: H8 + 900 },
        ],
      },
    ]);
    expect([...files.keys()]).toEqual(['g/2026/11/22/08.log', 'g/2026/11/22/09.log']);
    expect(files.get('g/2026/11/22/08.log')?.toString()).toBe('early-1\nearly-2\nlate-1\n');
    expect(files.get('g/2026/11/22/09.log')?.toString()).toBe('h9\n');
  });

  it('refuses two units that tie for a place in a file', () => {
    const unit = { path: 'firehose-http' as const, logGroup: 'g', entries: [{ bytes: b('x'), routeMs: H8 }] };
    expect(() => expectedFiles([unit, unit])).toThrow(/two units start/);
  });

  it('refuses log group names that would need encoding', () => {
    expect(() => expectedRelPath('/a/.hidden', H8)).toThrow(RangeError);
    expect(() => expectedRelPath('/g', H8)).toThrow(RangeError); // one directory, `%2Fg` (ADR 0014)
    expect(() => expectedRelPath('g/prod', H8)).toThrow(RangeError);
  });

  it('compareFiles: a flipped byte, a missing file and an extra file all fail', () => {
    const want = new Map([['a.log', b('x\n')]]);
    expect(compareFiles(want, new Map([['a.log', b('x\n')]])).exact).toBe(true);
    expect(compareFiles(want, new Map([['a.log', b('y\n')]])).exact).toBe(false);
    expect(compareFiles(want, new Map()).exact).toBe(false);
    expect(
      compareFiles(
        want,
        new Map([
          ['a.log', b('x\n')],
          ['b.log', b('')],
        ]),
      ).unexpected,
    ).toEqual(['b.log']);
  });
});

describe('Firehose S3 object names', () => {
  it('are what efsink parses back: stream name and the time in seconds', () => {
    const key = firehoseObjectKey(
      'amazon-apigateway-x',
      H9 + 123,
      '0b1c2d3e-4f50-4617-8899-aabbccddeeff',
      '.gz',
    );
    expect(key).toBe(
      '2026/11/22/09/amazon-apigateway-x-1-2026-11-22-09-00-01-0b1c2d3e-4f50-4617-8899-aabbccddeeff.gz',
    );
    expect(parseFirehoseObjectName(key)).toEqual({
      deliveryStreamName: 'amazon-apigateway-x',
      streamVersion: 1,
      timestampMs: H9,
    });
  });

  it('notification keys are form-encoded', () => {
    expect(formEncodeKey('a b/c+d')).toBe('a+b/c%2Bd');
  });
});
