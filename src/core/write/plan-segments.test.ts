import { describe, expect, it } from 'vitest';
import type { SubscriptionPayload } from '../decode/cloudwatch-logs.js';
import { syntheticEventId } from '../encode/cloudwatch-logs.js';
import { compilePathTemplate, DEFAULT_PATH_TEMPLATE } from '../layout/path-template.js';
import { planCloudWatchUnit, unitIdOf } from './plan-segments.js';

const T = compilePathTemplate(DEFAULT_PATH_TEMPLATE);
const h14 = Date.UTC(2025, 7, 6, 14, 59, 59, 0);

function payload(timestamps: number[], over: Partial<SubscriptionPayload> = {}): SubscriptionPayload {
  return {
    messageType: 'DATA_MESSAGE',
    owner: '123456789012',
    logGroup: '/aws/apigateway/prod',
    logStream: 's1',
    subscriptionFilters: ['f'],
    logEvents: timestamps.map((t, i) => ({
      id: syntheticEventId(t, i),
      timestamp: t,
      message: Buffer.from(`line ${i}`),
    })),
    ...over,
  };
}

describe('planCloudWatchUnit', () => {
  it('lands a unit that spans an hour boundary in both hours, keeping event order', () => {
    const plan = planCloudWatchUnit(payload([h14, h14 + 500, h14 + 1500, h14 + 999]), T);
    expect(plan.segments.map((s) => [s.relPath, s.bytes.toString()])).toEqual([
      ['aws/apigateway/prod/2025/08/06/14.log', 'line 0\nline 1\nline 3\n'],
      ['aws/apigateway/prod/2025/08/06/15.log', 'line 2\n'],
    ]);
    expect(plan.entryCount).toBe(4);
  });

  it('names segments from the unit identity only, so redelivery yields the same names and bytes', () => {
    const a = planCloudWatchUnit(payload([h14, h14 + 1]), T);
    const b = planCloudWatchUnit(payload([h14, h14 + 1]), T);
    expect(b).toEqual(a);
    expect(a.segments[0]?.name).toMatch(/^\d{15}-\d{60}~[0-9a-f]{32}\.seg$/);
    const otherStream = planCloudWatchUnit(payload([h14, h14 + 1], { logStream: 's2' }), T);
    expect(otherStream.unitId).not.toBe(a.unitId);
  });

  it('orders segment names by first event time, then event id', () => {
    const early = planCloudWatchUnit(payload([h14 - 10]), T).segments[0]?.name ?? '';
    const late = planCloudWatchUnit(payload([h14 - 5]), T).segments[0]?.name ?? '';
    expect(early < late).toBe(true);
  });

  it('plans nothing for a CONTROL_MESSAGE or an empty batch', () => {
    expect(planCloudWatchUnit(payload([h14], { messageType: 'CONTROL_MESSAGE' }), T).segments).toEqual([]);
    expect(planCloudWatchUnit(payload([]), T).segments).toEqual([]);
  });

  it('hashes non-numeric event ids into safe names', () => {
    const p = payload([h14]);
    const plan = planCloudWatchUnit(
      { ...p, logEvents: [{ id: '../x y', timestamp: h14, message: Buffer.from('m') }] },
      T,
    );
    expect(plan.segments[0]?.name).toMatch(/^[0-9a-f~.-]+seg$/);
  });

  it('keeps identity parts from running together', () => {
    expect(unitIdOf('k', ['ab', 'c'])).not.toBe(unitIdOf('k', ['a', 'bc']));
  });
});
