import { describe, expect, it } from 'vitest';
import { emfData, emfProblems } from '../../test/support/emf.js';
import { createEmfMetrics } from './emf-metrics.js';
import { MetricName } from './metrics.js';

// A timestamp Powertools accepts (it warns about ones over 14 days old); never compared with the clock.
const T = Date.now();

function capture(service = 'efsink-receiver') {
  const lines: string[] = [];
  const emf = createEmfMetrics(
    service,
    (line) => lines.push(line),
    () => T,
  );
  return { lines, emf };
}

describe('the EMF checker (test support) follows the specification', () => {
  it("accepts the specification's own example", () => {
    const example = JSON.stringify({
      _aws: {
        Timestamp: 1574109732004,
        CloudWatchMetrics: [
          {
            Namespace: 'lambda-function-metrics',
            Dimensions: [['functionVersion']],
            Metrics: [{ Name: 'time', Unit: 'Milliseconds' }],
          },
        ],
      },
      functionVersion: '$LATEST',
      time: 100,
      requestId: '989ffbf8-9ace-4817-a57c-e4dd734019ee',
    });
    expect(emfProblems(example)).toEqual([]);
  });

  const valid = {
    _aws: {
      Timestamp: T,
      CloudWatchMetrics: [
        { Namespace: 'efsink', Dimensions: [['service']], Metrics: [{ Name: 'X', Unit: 'Count' }] },
      ],
    },
    service: 's',
    X: 1,
  };
  it.each([
    ['no _aws', { ...valid, _aws: undefined }, /_aws missing/],
    ['a string timestamp', { ...valid, _aws: { ...valid._aws, Timestamp: String(T) } }, /Timestamp/],
    ['a dimension without its root member', { ...valid, service: undefined }, /dimension service/],
    ['a non-numeric metric target', { ...valid, X: '1' }, /metric X target/],
    [
      'an unknown unit',
      {
        ...valid,
        _aws: {
          ...valid._aws,
          CloudWatchMetrics: [
            { ...valid._aws.CloudWatchMetrics[0], Metrics: [{ Name: 'X', Unit: 'Things' }] },
          ],
        },
      },
      /unit "Things"/,
    ],
    [
      'no dimension set',
      {
        ...valid,
        _aws: { ...valid._aws, CloudWatchMetrics: [{ ...valid._aws.CloudWatchMetrics[0], Dimensions: [] }] },
      },
      /Dimensions is not a non-empty array/,
    ],
  ])('rejects %s', (_what, doc, problem) => {
    expect(emfProblems(JSON.stringify(doc)).join('; ')).toMatch(problem);
  });

  it('rejects text around the JSON object', () => {
    expect(emfProblems(`ts ${JSON.stringify(valid)}`)).toContain('not JSON');
  });
});

describe('createEmfMetrics', () => {
  it('writes nothing when nothing was recorded', () => {
    const { lines, emf } = capture();
    expect(emf.flush()).toBe(0);
    expect(lines).toEqual([]);
  });

  it('sums counts per metric and writes one valid document per dimension set, as the Lambda paths do', () => {
    const { lines, emf } = capture('efsink-receiver-a');
    emf.metrics.count(MetricName.eventsReceived, 3);
    emf.metrics.count(MetricName.eventsReceived, 4);
    emf.metrics.count(MetricName.bytesWritten, 100);
    emf.metrics.count(MetricName.failures, 1, { errorCode: 'UNAUTHORIZED' });
    emf.metrics.count(MetricName.failures, 2, { errorCode: 'UNAUTHORIZED' });
    emf.metrics.count(MetricName.failures, 1, { errorCode: 'FS_ENOSPC' });
    emf.metrics.seconds(MetricName.oldestUnassembledSegmentAgeSeconds, 30);
    emf.metrics.seconds(MetricName.oldestUnassembledSegmentAgeSeconds, 10);
    expect(emf.flush()).toBe(3);
    for (const line of lines) expect(emfProblems(line)).toEqual([]);
    const data = lines.flatMap(emfData);
    expect(new Set(data.map((d) => d.namespace))).toEqual(new Set(['efsink']));
    expect(new Set(data.map((d) => d.timestamp))).toEqual(new Set([T]));
    const by = (name: string, code?: string) =>
      data.filter((d) => d.name === name && d.dimensions.errorCode === code);
    expect(by('EventsReceived')).toEqual([
      expect.objectContaining({ unit: 'Count', values: [7], dimensions: { service: 'efsink-receiver-a' } }),
    ]);
    expect(by('BytesWritten')[0]).toMatchObject({ unit: 'Bytes', values: [100] });
    expect(by('OldestUnassembledSegmentAgeSeconds')[0]).toMatchObject({ unit: 'Seconds', values: [30] });
    expect(by('Failures', 'UNAUTHORIZED')).toEqual([
      expect.objectContaining({
        values: [3],
        dimensions: { service: 'efsink-receiver-a', errorCode: 'UNAUTHORIZED' },
      }),
    ]);
    expect(by('Failures', 'FS_ENOSPC')[0]?.values).toEqual([1]);
    // The buffer is empty after a flush.
    expect(emf.flush()).toBe(0);
  });

  it('writes a count of 0 (an idle receiver reads 0, not missing data)', () => {
    const { lines, emf } = capture();
    emf.metrics.count(MetricName.duplicateUnits, 0);
    emf.flush();
    expect(lines.flatMap(emfData)).toEqual([
      expect.objectContaining({ name: 'DuplicateUnits', values: [0] }),
    ]);
  });
});
