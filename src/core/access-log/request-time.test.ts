import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRequestTime, parseRequestTime, requestTimeFields } from './request-time.js';

describe('formatRequestTime', () => {
  it.each([
    [0, '01/Jan/1970:00:00:00 +0000'],
    [1709971503123, '09/Mar/2024:08:05:03 +0000'],
    [1704067199999, '31/Dec/2023:23:59:59 +0000'],
    [951782400000, '29/Feb/2000:00:00:00 +0000'],
    [-1, '31/Dec/1969:23:59:59 +0000'],
    [-62135596800000, '01/Jan/0001:00:00:00 +0000'],
    [253402300799000, '31/Dec/9999:23:59:59 +0000'],
  ])('writes %d as %s', (epochMs, text) => {
    expect(formatRequestTime(epochMs)).toBe(text);
  });

  it('uses English month abbreviations for every month', () => {
    const months = Array.from({ length: 12 }, (_, m) => formatRequestTime(Date.UTC(2024, m, 15)).slice(3, 6));
    expect(months).toEqual([
      'Jan',
      'Feb',
      'Mar',
      'Apr',
      'May',
      'Jun',
      'Jul',
      'Aug',
      'Sep',
      'Oct',
      'Nov',
      'Dec',
    ]);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 253402300800000, -62167219200001])(
    'fails %d with RENDER_INVALID_REQUEST_TIME',
    (epochMs) => {
      expect(() => formatRequestTime(epochMs)).toThrow(
        expect.objectContaining({ code: 'RENDER_INVALID_REQUEST_TIME' }),
      );
    },
  );
});

describe('parseRequestTime', () => {
  it('reads back what formatRequestTime writes, to the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: -62135596800000, max: 253402300799999 }), (epochMs) => {
        expect(parseRequestTime(formatRequestTime(epochMs))).toBe(Math.floor(epochMs / 1000) * 1000);
      }),
    );
  });

  it('honours a +hhmm or -hhmm offset', () => {
    expect(parseRequestTime('09/Mar/2024:10:35:03 +0230')).toBe(Date.UTC(2024, 2, 9, 8, 5, 3));
    expect(parseRequestTime('09/Mar/2024:03:05:03 -0500')).toBe(Date.UTC(2024, 2, 9, 8, 5, 3));
  });

  it.each([
    '',
    '-',
    '09/mar/2024:08:05:03 +0000',
    '09/Mrz/2024:08:05:03 +0000',
    '31/Feb/2024:08:05:03 +0000',
    '00/Jan/2024:08:05:03 +0000',
    '09/Mar/2024:24:00:00 +0000',
    '09/Mar/2024:08:60:00 +0000',
    '09/Mar/2024:08:05:60 +0000',
    '09/Mar/2024:08:05:03 +0060',
    '09/Mar/2024:08:05:03 0000',
    '9/Mar/2024:08:05:03 +0000',
  ])('fails %j with null', (text) => {
    expect(parseRequestTime(text)).toBeNull();
  });
});

describe('requestTimeFields', () => {
  it('gives requestTime and requestTimeEpoch (ms) for one instant', () => {
    expect(requestTimeFields(1709971503123)).toEqual({
      requestTime: '09/Mar/2024:08:05:03 +0000',
      requestTimeEpoch: 1709971503123,
    });
  });
});
