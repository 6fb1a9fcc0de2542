import { describe, expect, it } from 'vitest';
import { generateAccessLogEntries, generateAccessLogLines, iterateAccessLogEntries } from './generate.js';
import { generateRequestContext, uuid } from './generate-context.js';
import { parseAccessLog } from './parse-line.js';
import { HTTP_JSON_FORMAT, REST_CLF_FORMAT } from './presets.js';
import { createPrng } from './prng.js';
import { parseRequestTime } from './request-time.js';
import { utf8ByteLength } from './utf8.js';

const start = Date.UTC(2024, 2, 9, 8, 5, 3);
const base = { seed: 1, count: 200, startEpochMs: start } as const;

describe('generateAccessLogEntries', () => {
  it('is deterministic: same options, same lines; another seed, other lines', () => {
    expect(generateAccessLogLines(base)).toEqual(generateAccessLogLines(base));
    expect(generateAccessLogLines({ ...base, seed: 2 })).not.toEqual(generateAccessLogLines(base));
  });

  it('pins the first line for seed 1 (a change here changes every fixture built on it)', () => {
    expect(generateAccessLogLines({ ...base, count: 1 })).toEqual([
      '68.173.243.235 - - [09/Mar/2024:08:05:03 +0000] "PUT /pets HTTP/1.1" 400 44825 49b6f772-6327-46c4-b069-c43a8c3b7cf3 JUaPJukIQDn3P/t=',
    ]);
  });

  it('uses the REST CLF preset by default and renders each context with the chosen format', () => {
    for (const { context, line } of generateAccessLogEntries(base)) {
      expect(parseAccessLog(REST_CLF_FORMAT, line)).not.toBeNull();
      expect(context.requestId).toEqual(expect.any(String));
    }
    const custom = generateAccessLogEntries({
      ...base,
      format: '$context.requestId $context.identity.userAgent',
    });
    for (const { context, line } of custom)
      expect(line).toBe(`${context.requestId} ${context['identity.userAgent']}`);
  });

  it('gives realistic request ids, extended request ids, times, methods, statuses and addresses', () => {
    const entries = generateAccessLogEntries({ ...base, count: 500 });
    let previous = start;
    for (const { context: c } of entries) {
      expect(c.requestId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(c.extendedRequestId).toMatch(/^[A-Za-z0-9+/]{15}=$/);
      expect(c.requestTimeEpoch).toBeGreaterThanOrEqual(previous);
      previous = c.requestTimeEpoch as number;
      expect(parseRequestTime(c.requestTime as string)).toBe(Math.floor(previous / 1000) * 1000);
      expect(['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD']).toContain(c.httpMethod);
      expect(c.status).toBeGreaterThanOrEqual(200);
      expect(c.status).toBeLessThan(600);
      expect(c['identity.sourceIp']).toMatch(/^(\d{1,3}(\.\d{1,3}){3}|2001:db8:[0-9a-f:]+)$/);
      expect(c.error_message).toBeUndefined();
      if ((c.status as number) < 400) expect(c['error.message']).toBeUndefined();
      else expect(c['error.messageString']).toBe(`"${c['error.message']}"`);
    }
    expect(entries[0]?.context.requestTimeEpoch).toBe(start);
    const lines = entries.map((e) => e.line).join('\n');
    for (const text of ['é', '日本', '🎉']) expect(lines).toContain(text);
    const agents = entries.map((e) => e.context['identity.userAgent'] as string);
    expect(agents.some((ua) => utf8ByteLength(ua) > ua.length)).toBe(true);
    expect(new Set(entries.map((e) => e.context.requestId)).size).toBe(500);
  });

  it('ends every line with \\n when asked, without doubling a newline the format already has', () => {
    const lines = generateAccessLogLines({ ...base, trailingNewline: true });
    expect(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1)).toBe(true);
    expect(
      generateAccessLogLines({ ...base, format: `${REST_CLF_FORMAT}\n`, trailingNewline: true }),
    ).toEqual(lines);
    expect(generateAccessLogLines(base).every((l) => !l.includes('\n'))).toBe(true);
  });

  it('spaces requests by at most twice the mean interval', () => {
    const entries = generateAccessLogEntries({ ...base, meanIntervalMs: 0 });
    expect(entries.every((e) => e.context.requestTimeEpoch === start)).toBe(true);
    const spaced = generateAccessLogEntries({ ...base, meanIntervalMs: 1000 });
    const last = spaced.at(-1)?.context.requestTimeEpoch as number;
    expect(last).toBeGreaterThan(start);
    expect(last).toBeLessThanOrEqual(start + 199 * 2000);
  });

  it('makes long lines and one huge line of exactly the requested UTF-8 size, still parseable', () => {
    const entries = generateAccessLogEntries({
      ...base,
      preset: 'http-json',
      longLines: 3,
      hugeLine: true,
      trailingNewline: true,
    });
    const sizes = entries.map((e) => utf8ByteLength(e.line));
    const long = sizes.filter((s) => s >= 65_536);
    expect(long).toHaveLength(4);
    expect(long).toContain(1_000_000);
    expect(long.every((s) => s <= 262_144 || s === 1_000_000)).toBe(true);
    expect(sizes.filter((s) => s < 65_536).every((s) => s < 2000)).toBe(true);
    for (const { line } of entries) expect(parseAccessLog(`${HTTP_JSON_FORMAT}\n`, line)).not.toBeNull();
  });

  it('honours fixed sizes, even when every line is long', () => {
    const entries = generateAccessLogEntries({
      ...base,
      count: 3,
      longLines: 2,
      longLineBytes: 70_000,
      hugeLine: true,
      hugeLineBytes: 1_048_000,
    });
    expect(entries.map((e) => utf8ByteLength(e.line)).sort()).toEqual([1_048_000, 70_000, 70_000]);
    expect(entries.every((e) => (e.context.resourcePath as string).startsWith('/bulk/'))).toBe(true);
  });

  it('pads the user agent when it is the only long-capable variable in the format', () => {
    const [entry] = generateAccessLogEntries({
      ...base,
      count: 1,
      format: '$context.requestId "$context.identity.userAgent"',
      longLines: 1,
      longLineBytes: 100_000,
    });
    expect(utf8ByteLength(entry?.line ?? '')).toBe(100_000);
    expect(entry?.context['identity.userAgent']).toMatch(/^bulk-client\/1\.0 /);
  });

  it('stays at or under the size when the padded variable appears twice', () => {
    const [entry] = generateAccessLogEntries({
      ...base,
      count: 1,
      format: '$context.requestId $context.path $context.path',
      longLines: 1,
      longLineBytes: 100_001,
    });
    const bytes = utf8ByteLength(entry?.line ?? '');
    expect(bytes).toBeLessThanOrEqual(100_001);
    expect(bytes).toBeGreaterThan(99_990);
  });

  it.each([
    ['a negative count', { count: -1 }, 'count must be a non-negative integer'],
    ['a fractional count', { count: 1.5 }, 'count must be a non-negative integer'],
    ['a non-finite start', { startEpochMs: Number.NaN }, 'startEpochMs must be finite'],
    ['a negative mean interval', { meanIntervalMs: -1 }, 'meanIntervalMs must be ≥ 0'],
    ['negative long lines', { longLines: -1 }, 'longLines must be ≥ 0'],
    [
      'more long lines than lines',
      { count: 2, longLines: 2, hugeLine: true },
      '3 long or huge line(s) requested but count is 2',
    ],
    [
      'a format with nothing to pad',
      { format: '$context.requestId', longLines: 1 },
      'long lines need the format to use one of',
    ],
    [
      'a size below the unpadded line',
      { longLines: 1, longLineBytes: 10 },
      'a line of 10 bytes was requested',
    ],
  ])('fails %s with GENERATE_INVALID_OPTIONS', (_, overrides, message) => {
    expect(() => generateAccessLogEntries({ ...base, ...overrides })).toThrow(
      expect.objectContaining({
        code: 'GENERATE_INVALID_OPTIONS',
        message: expect.stringContaining(message),
      }),
    );
  });

  it('streams the same entries one at a time, checking options at the call', () => {
    const iterator = iterateAccessLogEntries({ ...base, count: 5 });
    expect([...iterator]).toEqual(generateAccessLogEntries({ ...base, count: 5 }));
    expect(() => iterateAccessLogEntries({ ...base, count: -1 })).toThrow(
      expect.objectContaining({ code: 'GENERATE_INVALID_OPTIONS' }),
    );
  });

  it('returns nothing for count 0', () => {
    expect(generateAccessLogLines({ ...base, count: 0 })).toEqual([]);
  });
});

describe('generateRequestContext', () => {
  it('uses the given API id, stage, region and account', () => {
    const c = generateRequestContext(createPrng(3), start, {
      apiId: 'zz99yy88xx',
      stage: 'dev',
      region: 'us-east-1',
      accountId: '111122223333',
    });
    expect(c).toMatchObject({ apiId: 'zz99yy88xx', stage: 'dev', accountId: '111122223333' });
    expect(c.domainName).toBe('zz99yy88xx.execute-api.us-east-1.amazonaws.com');
    expect(c.path).toMatch(/^\/dev\//);
  });

  it('writes UUIDs in version 4 form', () => {
    const prng = createPrng(4);
    for (let i = 0; i < 50; i++)
      expect(uuid(prng)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
});
