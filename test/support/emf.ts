/**
 * A checker for CloudWatch embedded metric format documents, written from AWS's specification
 * ("Specification: Embedded metric format", CloudWatch user guide, including its JSON schema):
 *
 * - the log event is one JSON object with nothing before or after it;
 * - root member `_aws` (object) with `Timestamp` (integer, milliseconds since the epoch) and
 *   `CloudWatchMetrics` (array of MetricDirective);
 * - MetricDirective: `Namespace` (string, 1-255), `Dimensions` (array of at least one DimensionSet),
 *   `Metrics` (array of at most 100 MetricDefinition);
 * - DimensionSet: array of dimension keys (the schema's limit is 9; the current text allows 30), each
 *   a root member with a string value;
 * - MetricDefinition: `Name` (string, 1-255) naming a root member that is a number or an array of at
 *   most 100 numbers; optional `Unit` from the MetricDatum unit list;
 * - the document stays under the CloudWatch Logs event size limit (256 KiB in the schema's version).
 *
 * Returns the problems found (empty: valid).
 * @see https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
 */
export function emfProblems(line: string): string[] {
  const problems: string[] = [];
  if (Buffer.byteLength(line) > 256 * 1024) problems.push('document larger than 256 KiB');
  if (line !== line.trim()) problems.push('data before or after the JSON object');
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return [...problems, 'not JSON'];
  }
  if (!isObject(doc)) return [...problems, 'root is not an object'];
  const aws = doc._aws;
  if (!isObject(aws)) return [...problems, '_aws missing or not an object'];
  if (!Number.isInteger(aws.Timestamp) || (aws.Timestamp as number) < 0)
    problems.push('_aws.Timestamp is not a non-negative integer (milliseconds since the epoch)');
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [...problems, '_aws.CloudWatchMetrics is not an array'];
  for (const [i, d] of directives.entries()) {
    const at = `CloudWatchMetrics[${i}]`;
    if (!isObject(d)) {
      problems.push(`${at} is not an object`);
      continue;
    }
    if (!isName(d.Namespace)) problems.push(`${at}.Namespace is not a 1-255 character string`);
    if (!Array.isArray(d.Dimensions) || d.Dimensions.length === 0) {
      problems.push(`${at}.Dimensions is not a non-empty array`);
    } else {
      for (const set of d.Dimensions) {
        if (!Array.isArray(set) || set.length > 9) {
          problems.push(`${at}.Dimensions holds a set that is not an array of at most 9 keys`);
          continue;
        }
        for (const key of set) {
          if (!isName(key)) problems.push(`${at}: dimension key ${JSON.stringify(key)} is not a name`);
          else if (typeof doc[key] !== 'string' || doc[key] === '')
            problems.push(`${at}: dimension ${key} has no non-empty string target on the root`);
        }
      }
    }
    if (!Array.isArray(d.Metrics) || d.Metrics.length > 100) {
      problems.push(`${at}.Metrics is not an array of at most 100 definitions`);
      continue;
    }
    for (const m of d.Metrics) {
      if (!isObject(m) || !isName(m.Name)) {
        problems.push(`${at}: a metric definition has no 1-255 character Name`);
        continue;
      }
      const target = doc[m.Name];
      const numbers = Array.isArray(target) ? target : [target];
      if (numbers.length > 100 || !numbers.every((n) => typeof n === 'number' && Number.isFinite(n)))
        problems.push(`${at}: metric ${m.Name} target is not a number or an array of ≤ 100 numbers`);
      if (m.Unit !== undefined && !UNITS.has(m.Unit as string))
        problems.push(`${at}: metric ${m.Name} unit ${JSON.stringify(m.Unit)} is not a CloudWatch unit`);
    }
  }
  return problems;
}

/** One extracted data point: what CloudWatch would record from a document. */
export interface EmfDatum {
  readonly namespace: string;
  readonly name: string;
  readonly unit: string | undefined;
  readonly dimensions: Readonly<Record<string, string>>;
  readonly values: readonly number[];
  readonly timestamp: number;
}

/** The data points a valid document yields (one per metric and dimension set). */
export function emfData(line: string): EmfDatum[] {
  const doc = JSON.parse(line) as Record<string, unknown> & {
    _aws: {
      Timestamp: number;
      CloudWatchMetrics: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit?: string }[];
      }[];
    };
  };
  return doc._aws.CloudWatchMetrics.flatMap((d) =>
    d.Dimensions.flatMap((set) =>
      d.Metrics.map((m) => {
        const target = doc[m.Name] as number | number[];
        return {
          namespace: d.Namespace,
          name: m.Name,
          unit: m.Unit,
          dimensions: Object.fromEntries(set.map((k) => [k, doc[k] as string])),
          values: Array.isArray(target) ? target : [target],
          timestamp: doc._aws.Timestamp,
        };
      }),
    ),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isName = (v: unknown): v is string => typeof v === 'string' && v.length >= 1 && v.length <= 255;

/** MetricDatum units, as enumerated in the specification's JSON schema. */
const UNITS = new Set([
  'Seconds',
  'Microseconds',
  'Milliseconds',
  'Bytes',
  'Kilobytes',
  'Megabytes',
  'Gigabytes',
  'Terabytes',
  'Bits',
  'Kilobits',
  'Megabits',
  'Gigabits',
  'Terabits',
  'Percent',
  'Count',
  'Bytes/Second',
  'Kilobytes/Second',
  'Megabytes/Second',
  'Gigabytes/Second',
  'Terabytes/Second',
  'Bits/Second',
  'Kilobits/Second',
  'Megabits/Second',
  'Gigabits/Second',
  'Terabits/Second',
  'Count/Second',
  'None',
]);
