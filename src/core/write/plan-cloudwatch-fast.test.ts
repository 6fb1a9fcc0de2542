import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeSubscriptionEnvelopeGeneral } from '../decode/cloudwatch-logs.js';
import { encodeSubscriptionEnvelope, syntheticEventId } from '../encode/cloudwatch-logs.js';
import { compilePathTemplate } from '../layout/path-template.js';
import { planCloudWatchFast, planCloudWatchGeneral } from './plan-cloudwatch-fast.js';

const TEMPLATES = [
  '{logGroup}/{yyyy}/{MM}/{dd}/{HH}.log', // the default: one file per hour
  '{logGroup}/{yyyy}/{MM}/{dd}.log', // daily: two hours of a payload share a file
  '{logGroup}/{logStream}.log', // no time at all
  '{owner}/{logStream}/{HH}.log',
].map(compilePathTemplate);

const HOUR = 3_600_000;
const T0 = Date.UTC(2025, 7, 6, 13, 58, 0);

const message = fc.oneof(
  fc.uint8Array({ maxLength: 60 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => Buffer.from(s)),
  fc.constantFrom(
    Buffer.from('1.2.3.4 - - [06/Aug/2025:13:58:00 +0000] "GET / HTTP/1.1" 200 5\n'),
    Buffer.from('{"requestId":"abc","path":"/日本"}'),
    Buffer.from(''),
    Buffer.from('\n'),
    Buffer.from('ends with CRLF\r\n'),
  ),
);

/** Events whose timestamps move forward (mostly) across up to six hours. */
const eventsArb = fc.array(fc.tuple(message, fc.integer({ min: -60_000, max: 40 * 60_000 })), {
  minLength: 0,
  maxLength: 14,
});

const envelopeArb = fc.record({
  logGroup: fc.constantFrom('/aws/apigateway/prod', 'API-Gateway-Execution-Logs_abc/prod', 'g'),
  logStream: fc.constantFrom('s1', 'stream/日本', '0123456789abcdef'),
  owner: fc.constantFrom('123456789012', ''),
  events: eventsArb,
  useRealIds: fc.boolean(),
});

function envelopeOf(input: typeof envelopeArb extends fc.Arbitrary<infer T> ? T : never): Buffer {
  let t = T0;
  return encodeSubscriptionEnvelope({
    logGroup: input.logGroup,
    logStream: input.logStream,
    owner: input.owner,
    logEvents: input.events.map(([m, step], i) => {
      t = Math.max(0, t + step);
      return { id: input.useRealIds ? syntheticEventId(t, i) : `id-${i}-é`, timestamp: t, message: m };
    }),
  });
}

/** The same bytes as the general result, compared as plain data (Buffers by content). */
function expectSamePlan(json: Buffer, templateIndex: number): 'fast' | 'declined' {
  const template = TEMPLATES[templateIndex % TEMPLATES.length] as (typeof TEMPLATES)[number];
  const fast = planCloudWatchFast(json, template);
  if (fast === undefined) return 'declined';
  const general = planCloudWatchGeneral(decodeSubscriptionEnvelopeGeneral(json), template);
  expect(fast.summary).toEqual(general.summary);
  expect(fast.plan.unitId).toBe(general.plan.unitId);
  expect(fast.plan.entryCount).toBe(general.plan.entryCount);
  expect(fast.plan.segments.map((s) => ({ ...s, bytes: Buffer.from(s.bytes).toString('hex') }))).toEqual(
    general.plan.segments.map((s) => ({ ...s, bytes: Buffer.from(s.bytes).toString('hex') })),
  );
  return 'fast';
}

describe('planCloudWatchFast (decode and frame in one pass)', () => {
  it('plans exactly what decode + planCloudWatchUnit plan, whenever it does not decline', () => {
    const outcomes = { fast: 0, declined: 0 };
    fc.assert(
      fc.property(envelopeArb, fc.nat(), (input, t) => {
        outcomes[expectSamePlan(envelopeOf(input), t)]++;
      }),
      { numRuns: 400 },
    );
    // The fast path really runs for most payloads (it declines only rare shapes).
    expect(outcomes.fast).toBeGreaterThan(outcomes.declined);
  });

  it('never differs on mutated payloads: it declines, or plans what the general way plans', () => {
    fc.assert(
      fc.property(
        envelopeArb,
        fc.nat(),
        fc.nat(),
        fc.constantFrom(
          ['"timestamp":', '"timestamp" : '],
          ['"message":"', '"message" :"'],
          ['{"id":', '{"message":"m","id":'],
          ['"timestamp":', '"timestamp":-'],
          ['"id":"', '"id":"\\u0041'],
          ['"logEvents":[', '"policyLevel":"ACCOUNT_LEVEL_POLICY","logEvents":['],
          ['DATA_MESSAGE', 'CONTROL_MESSAGE'],
          ['"message":"', '"message":1,"x":"'],
        ),
        (input, t, at, [from, to]) => {
          const text = envelopeOf(input).toString('latin1');
          const k = text.indexOf(from, at % (text.length + 1));
          const json = Buffer.from(
            k < 0 ? text : text.slice(0, k) + to + text.slice(k + from.length),
            'latin1',
          );
          let general: unknown;
          try {
            general = decodeSubscriptionEnvelopeGeneral(json);
          } catch {
            // Invalid for the general decoder: the fast planner must decline too.
            expect(planCloudWatchFast(json, TEMPLATES[0] as (typeof TEMPLATES)[number])).toBeUndefined();
            return;
          }
          expect(general).toBeDefined();
          expectSamePlan(json, t);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('decodes a message with escapes into its hour’s file, framed, and a plain one too', () => {
    const json = encodeSubscriptionEnvelope({
      logGroup: 'g',
      logStream: 's',
      logEvents: [
        { id: '1', timestamp: T0, message: 'say "hi"' },
        { id: '2', timestamp: T0 + HOUR, message: 'plain\n' },
        { id: '3', timestamp: T0 + 1, message: 'tab\there' },
      ],
    });
    const fast = planCloudWatchFast(json, TEMPLATES[0] as (typeof TEMPLATES)[number]);
    expect(fast?.plan.segments.map((s) => [s.relPath, s.bytes.toString(), s.meta?.firstEventId])).toEqual([
      ['g/2025/08/06/13.log', 'say "hi"\ntab\there\n', '1'],
      ['g/2025/08/06/14.log', 'plain\n', '2'],
    ]);
  });
});
