import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeSubscriptionEnvelope, syntheticEventId } from '../encode/cloudwatch-logs.js';
import { decodeSubscriptionEnvelope } from './cloudwatch-envelope.js';
import { decodeSubscriptionEnvelopeGeneral } from './cloudwatch-logs.js';
import { decodeEnvelopeFast } from './cloudwatch-logs-fast.js';

/** The outcome of a decoder: the payload, or the error's code and message. */
function outcome(decode: (json: Buffer) => unknown, json: Buffer): unknown {
  try {
    return { ok: decode(json) };
  } catch (err) {
    return { code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

/** The fast path either declines or returns exactly what the general decoder returns. */
function expectEquivalent(json: Buffer): void {
  const general = outcome(decodeSubscriptionEnvelopeGeneral, json);
  const fast = decodeEnvelopeFast(json);
  if (fast !== undefined) expect({ ok: fast }).toEqual(general);
  expect(outcome(decodeSubscriptionEnvelope, json)).toEqual(general);
}

const message = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => Buffer.from(s)),
  fc.constantFrom(
    Buffer.from('1.2.3.4 - - [09/Mar/2024:10:58:30 +0000] "GET / HTTP/1.1" 200 5\n'),
    Buffer.from('{"requestId":"abc","path":"/日本"}'),
    Buffer.alloc(64, 'x'),
  ),
);

/** Names as CloudWatch writes them: no character that JSON escapes (those take the general path). */
const name = (minLength: number, maxLength: number) =>
  fc.string({
    unit: fc.oneof(
      fc.constantFrom('/', '.', '-', '_', '#', ' ', 'é', '日'),
      fc
        .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })
        .filter((c) => c !== '"' && c !== '\\' && c >= ' '),
    ),
    minLength,
    maxLength,
  });

const envelopeInput = fc.record({
  logGroup: name(1, 12),
  logStream: name(1, 12),
  owner: name(0, 12),
  subscriptionFilters: fc.array(name(0, 6), { maxLength: 3 }),
  messages: fc.array(message, { maxLength: 12 }),
  policyLevel: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
});

type EnvelopeInput = typeof envelopeInput extends fc.Arbitrary<infer T> ? T : never;

function envelopeOf(input: EnvelopeInput): Buffer {
  return encodeSubscriptionEnvelope({
    logGroup: input.logGroup,
    logStream: input.logStream,
    owner: input.owner,
    subscriptionFilters: input.subscriptionFilters,
    ...(input.policyLevel === undefined ? {} : { extra: { policyLevel: input.policyLevel } }),
    logEvents: input.messages.map((m, i) => ({
      id: syntheticEventId(1_700_000_000_000 + i, i),
      timestamp: 1_700_000_000_000 + i,
      message: m,
    })),
  });
}

/** Edits that keep or break validity: JSON whitespace, byte flips, truncation, junk, key swaps. */
const mutation = fc.oneof(
  fc.record({
    kind: fc.constant('ws' as const),
    at: fc.nat(),
    ws: fc.constantFrom(' ', '\n', '\t', '\r', '  \n'),
  }),
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    text: fc.constantFrom(
      '"',
      '\\',
      ',',
      '}',
      ']',
      '{',
      '0',
      '-',
      '.5',
      'e3',
      '\\u00e9',
      '\\ud800',
      '"extractedFields":{"a":"b"},',
      '"id":"2",',
      '"policyLevel":"ACCOUNT_LEVEL_POLICY",',
      '\u0001',
    ),
  }),
  fc.record({
    kind: fc.constant('replace' as const),
    from: fc.constantFrom(
      '"timestamp":',
      '"message":',
      '"id":',
      '"logEvents":',
      '"owner":',
      '"DATA_MESSAGE"',
      '"subscriptionFilters":',
    ),
    to: fc.constantFrom(
      '"timestamp" : ',
      '"timestamp":-',
      '"timestamp":0',
      '"timestamp":1.0e0+',
      '"message":\n',
      '"mess\\u0061ge":',
      '"id":1,"id":',
      '"extra":null,"logEvents":',
      '"owner":"o","owner":',
      '"CONTROL_MESSAGE"',
      '"subscriptionFilters":[1],"x":',
      '"__proto__":',
    ),
  }),
);

function mutate(json: Buffer, m: MutationValue): Buffer {
  const at = 'at' in m ? m.at % (json.length + 1) : 0;
  switch (m.kind) {
    case 'ws':
      return Buffer.concat([json.subarray(0, at), Buffer.from(m.ws), json.subarray(at)]);
    case 'flip': {
      const out = Buffer.from(json);
      if (at < out.length) out[at] = m.byte;
      return out;
    }
    case 'truncate':
      return json.subarray(0, at);
    case 'insert':
      return Buffer.concat([json.subarray(0, at), Buffer.from(m.text), json.subarray(at)]);
    case 'replace':
      return Buffer.from(json.toString('latin1').replace(m.from, m.to), 'latin1');
  }
}
type MutationValue = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** Reorders the members of every event object `{"id":…,"timestamp":…,"message":…}`. */
function reorderEventKeys(json: Buffer, order: number): Buffer {
  const text = json.toString('latin1');
  const re = /\{"id":("[^"]*"),"timestamp":(\d+),"message":("(?:[^"\\]|\\.)*")\}/g;
  return Buffer.from(
    text.replace(re, (_all, id: string, ts: string, msg: string) => {
      const parts = [`"id":${id}`, `"timestamp":${ts}`, `"message":${msg}`];
      const perm = [
        [0, 1, 2],
        [2, 1, 0],
        [1, 2, 0],
        [2, 0, 1],
        [1, 0, 2],
        [0, 2, 1],
      ][order % 6] as number[];
      return `{${perm.map((p) => parts[p]).join(' , ')}}`;
    }),
    'latin1',
  );
}

describe('decodeEnvelopeFast', () => {
  it('returns exactly what the general decoder returns for any valid envelope (and does not decline it)', () => {
    fc.assert(
      fc.property(envelopeInput, fc.nat(), (input, order) => {
        for (const json of [envelopeOf(input), reorderEventKeys(envelopeOf(input), order)]) {
          const fast = decodeEnvelopeFast(json);
          expect(fast).toBeDefined();
          expect(fast).toEqual(decodeSubscriptionEnvelopeGeneral(json));
          fast?.logEvents.forEach((e, i) => {
            expect(Buffer.compare(e.message, Buffer.from(input.messages[i] as Uint8Array))).toBe(0);
          });
        }
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with the general decoder (result or error code and message) on mutated envelopes', () => {
    fc.assert(
      fc.property(envelopeInput, fc.array(mutation, { minLength: 1, maxLength: 3 }), (input, mutations) => {
        let json = envelopeOf(input);
        for (const m of mutations) json = mutate(json, m);
        expectEquivalent(json);
      }),
      { numRuns: 2000 },
    );
    // 2,000 runs are CPU-bound: 5.3–7.7 s at load 27 on the shared 2-core machine (default 5 s).
  }, 60_000);

  it('agrees with the general decoder on arbitrary bytes and on JSON values', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => expectEquivalent(Buffer.from(bytes))),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => expectEquivalent(Buffer.from(JSON.stringify(v)))),
      { numRuns: 500 },
    );
  });

  it('returns a message without escapes as a view of the input', () => {
    const json = envelopeOf({
      logGroup: 'g',
      logStream: 's',
      owner: '1',
      subscriptionFilters: [],
      messages: [Buffer.from('plain message of more than sixteen bytes')],
      policyLevel: undefined,
    });
    const p = decodeEnvelopeFast(json);
    expect(p?.logEvents[0]?.message.buffer).toBe(json.buffer);
  });

  it.each([
    ['extractedFields in an event', '{"id":"1","timestamp":1,"message":"m","extractedFields":{"a":"b"}}'],
    ['an escaped key', '{"\\u0069d":"1","timestamp":1,"message":"m"}'],
    ['a fractional timestamp', '{"id":"1","timestamp":1.0,"message":"m"}'],
    ['an exponent', '{"id":"1","timestamp":1e3,"message":"m"}'],
    ['a 16-digit timestamp', '{"id":"1","timestamp":1234567890123456,"message":"m"}'],
    ['a duplicate member', '{"id":"1","id":"2","timestamp":1,"message":"m"}'],
    ['a missing member', '{"id":"1","timestamp":1}'],
    ['an empty id', '{"id":"","timestamp":1,"message":"m"}'],
    ['an escaped id', '{"id":"\\u0031","timestamp":1,"message":"m"}'],
    ['a raw control character', '{"id":"1","timestamp":1,"message":"a\u0001 and more than sixteen bytes"}'],
    ['an invalid escape', '{"id":"1","timestamp":1,"message":"a\\x"}'],
    ['an invalid \\u escape', '{"id":"1","timestamp":1,"message":"a\\u12g4"}'],
    ['a bad low surrogate', '{"id":"1","timestamp":1,"message":"\\ud800\\u12g4"}'],
    ['an unterminated message', '{"id":"1","timestamp":1,"message":"abc'],
    ['an unterminated escaped message', '{"id":"1","timestamp":1,"message":"a\\"bc'],
    ['an object where a message should be', '{"id":"1","timestamp":1,"message":{}}'],
    ['a string timestamp', '{"id":"1","timestamp":"1","message":"m"}'],
    ['a truncated timestamp', '{"id":"1","message":"m","timestamp":'],
    ['a number as id', '{"id":1,"timestamp":1,"message":"m"}'],
    ['an unterminated id', '{"id":"1'],
    ['a missing colon', '{"id" "1","timestamp":1,"message":"m"}'],
    ['a missing comma', '{"id":"1" "timestamp":1,"message":"m"}'],
    ['a non-object event', '7'],
  ])('declines %s and the general decoder decides', (_what, event) => {
    const json = Buffer.from(
      `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[${event}]}`,
    );
    expect(decodeEnvelopeFast(json)).toBeUndefined();
    expectEquivalent(json);
  });

  it('decodes escapes as the general parser does: short escapes, \\u, surrogate pairs, lone surrogates', () => {
    const msg =
      'q\\" b\\\\ s\\/ \\b\\f\\n\\r\\t caf\\u00e9 \\u65e5 \\uD83D\\uDE00 \\ud800! \\ud800\\u0041 \\u0001';
    const json = Buffer.from(
      `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":["a","b"],"logEvents":[{"id":"1","timestamp":0,"message":"${msg}"},{"id":"é","timestamp":2,"message":"x"}]}`,
    );
    const fast = decodeEnvelopeFast(json);
    expect(fast).toBeDefined();
    expect(fast).toEqual(decodeSubscriptionEnvelopeGeneral(json));
  });

  it('skips unknown top-level members with the general parser, and declines when they are invalid', () => {
    const head =
      '"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[]';
    const events = '"logEvents":[{"id":"1","timestamp":1,"message":"m"}]';
    const ok = Buffer.from(`{"policyLevel":{"a":[1,2,{"b":null}]},${head},${events}}`);
    expect(decodeEnvelopeFast(ok)).toEqual(decodeSubscriptionEnvelopeGeneral(ok));
    for (const bad of [`{"policyLevel":[1,],${head},${events}}`, `{"p\u0001":1,${head},${events}}`]) {
      expect(decodeEnvelopeFast(Buffer.from(bad))).toBeUndefined();
      expectEquivalent(Buffer.from(bad));
    }
    for (const shape of [
      '{}',
      '[]',
      `{${head},${events}} x`,
      `{${head}}`,
      `{${head},${events},}`,
      `{${head},${events} ${events.slice(1)}`,
      `{${head},${events.replace('[', '{')}}`,
      `{${head.replace('[]', '{}')},${events}}`,
      `{${head.replace('[]', '["a" "b"]')},${events}}`,
      `{${head.replace('"DATA_MESSAGE"', 'null')},${events}}`,
      `{${head.replace('"g"', '""')},${events}}`,
      `{${head},${events},${events}}`,
      `{${head},"owner":"2",${events}}`,
      `{${head},"logGroup":"2",${events}}`,
      `{${head},"logStream":"2",${events}}`,
      `{${head},"subscriptionFilters":[],${events}}`,
      `{${head},"messageType":"DATA_MESSAGE",${events}}`,
      `{${head},"logEvents":[],${events}}`,
      `{${head.replace(',"owner":"1"', '')},${events}}`,
    ]) {
      expect(decodeEnvelopeFast(Buffer.from(shape))).toBeUndefined();
    }
  });

  it('finds a control character at every position and alignment of long messages', () => {
    const body = Buffer.alloc(40, 'a');
    const build = (m: Buffer, pad: number) =>
      Buffer.concat([
        Buffer.from(
          `{"messageType":"DATA_MESSAGE","owner":"1","logGroup":"g","logStream":"s","subscriptionFilters":[],"logEvents":[{"id":"${'1'.repeat(pad + 1)}","timestamp":1,"message":"`,
        ),
        m,
        Buffer.from('"}]}'),
      ]);
    for (let pad = 0; pad < 4; pad++) {
      expect(decodeEnvelopeFast(build(body, pad))).toBeDefined();
      for (let at = 0; at < body.length; at++) {
        for (const control of [0x00, 0x0a, 0x1f]) {
          const m = Buffer.from(body);
          m[at] = control;
          expect(decodeEnvelopeFast(build(m, pad))).toBeUndefined();
        }
        const m = Buffer.from(body);
        m[at] = 0x20 + at; // no control character: every byte in 0x20..0x47, no quote
        if (m[at] === 0x22) m[at] = 0x7f;
        expect(decodeEnvelopeFast(build(m, pad))).toBeDefined();
      }
    }
  });
});
