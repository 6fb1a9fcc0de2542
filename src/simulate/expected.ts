/**
 * The ground truth side of the demo's check, written independently of efsink's writer: what each
 * output file must contain, from what the simulator rendered and how it batched the lines.
 *
 * The contract it encodes (docs/ARCHITECTURE.md): an entry routes to `<logGroup>/yyyy/MM/dd/HH.log`
 * by its routing time (CloudWatch: the event's timestamp; Firehose HTTP: the request timestamp;
 * Firehose S3: the time in the object name); each entry becomes its bytes plus `\n` unless it
 * already ends with `\n`; within a file, each delivery unit's entries stay together and in order,
 * and units are ordered by the routing time of their first entry in that file.
 */
export type PathName = 'cloudwatch' | 'firehose-http' | 'firehose-s3';

export const PATH_NAMES: readonly PathName[] = ['cloudwatch', 'firehose-http', 'firehose-s3'];

export interface UnitEntry {
  readonly bytes: Uint8Array;
  readonly routeMs: number;
}

/** One delivery unit (payload, request, object) as first delivered; redeliveries are not listed. */
export interface DeliveredUnit {
  readonly path: PathName;
  readonly logGroup: string;
  readonly entries: readonly UnitEntry[];
}

/** Log group names the simple path rule below handles (the demo's and the tests' names). */
const SAFE_LOG_GROUP = /^\/?[A-Za-z0-9_-][A-Za-z0-9_./-]*$/;

/** `/aws/apigateway/x` at 2026-11-22T08:59 → `aws/apigateway/x/2026/11/22/08.log`. */
export function expectedRelPath(logGroup: string, routeMs: number): string {
  // The everyday shapes of ADR 0014, which become directories as they are: `/a/b…`, `a`,
  // `API-Gateway-Execution-Logs_…/b…`; no part that could be taken for a file name.
  const parts = logGroup.replace(/^\//, '').split('/');
  const execution = parts[0]?.startsWith('API-Gateway-Execution-Logs_') ?? false;
  const everyday = logGroup.startsWith('/')
    ? parts.length >= 2 && !execution
    : parts.length === 1 || execution;
  if (
    !SAFE_LOG_GROUP.test(logGroup) ||
    logGroup.includes('//') ||
    logGroup.includes('/.') ||
    !everyday ||
    parts.some((p) => /^\d{2}\.log$/.test(p))
  ) {
    throw new RangeError(`log group ${JSON.stringify(logGroup)} needs encoding; use a plain name`);
  }
  const d = new Date(routeMs);
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${logGroup.replace(/^\/+/, '')}/${d.getUTCFullYear()}/${p2(d.getUTCMonth() + 1)}/${p2(d.getUTCDate())}/${p2(d.getUTCHours())}.log`;
}

/** Entry bytes plus `\n` unless they already end with one. */
export function framed(bytes: Uint8Array): Buffer {
  return bytes.length > 0 && bytes[bytes.length - 1] === 0x0a
    ? Buffer.from(bytes)
    : Buffer.concat([bytes, Buffer.from('\n')]);
}

/**
 * Expected content of every output file the units touch, keyed by path relative to the root.
 * Throws if two units would tie for the same place in a file (the order would then depend on
 * efsink's unit ids; the simulator's strictly increasing clock prevents it).
 */
export function expectedFiles(units: readonly DeliveredUnit[]): Map<string, Buffer> {
  const perFile = new Map<string, { firstMs: number; parts: Buffer[] }[]>();
  for (const unit of units) {
    const groups = new Map<string, { firstMs: number; parts: Buffer[] }>();
    for (const e of unit.entries) {
      const rel = expectedRelPath(unit.logGroup, e.routeMs);
      let g = groups.get(rel);
      if (g === undefined) {
        g = { firstMs: e.routeMs, parts: [] };
        groups.set(rel, g);
      }
      g.parts.push(framed(e.bytes));
    }
    for (const [rel, g] of groups) {
      const list = perFile.get(rel) ?? [];
      list.push(g);
      perFile.set(rel, list);
    }
  }
  const out = new Map<string, Buffer>();
  for (const [rel, list] of [...perFile].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    list.sort((a, b) => a.firstMs - b.firstMs);
    for (let i = 1; i < list.length; i++) {
      if (list[i]?.firstMs === list[i - 1]?.firstMs) {
        throw new RangeError(`${rel}: two units start at ${list[i]?.firstMs} ms; their order is undefined`);
      }
    }
    out.set(rel, Buffer.concat(list.flatMap((g) => g.parts)));
  }
  return out;
}

/** How the files on disk compare with the expected ones. */
export interface FileComparison {
  readonly exact: boolean;
  readonly files: readonly { rel: string; expectedBytes: number; actualBytes: number; exact: boolean }[];
  /** Files present on disk under the path's log group that were not expected. */
  readonly unexpected: readonly string[];
}

/** Byte-for-byte comparison; `actual` holds every file found under the unit's log group. */
export function compareFiles(expected: Map<string, Buffer>, actual: Map<string, Buffer>): FileComparison {
  const files = [...expected].map(([rel, want]) => {
    const got = actual.get(rel);
    return {
      rel,
      expectedBytes: want.length,
      actualBytes: got?.length ?? -1,
      exact: got?.equals(want) === true,
    };
  });
  const unexpected = [...actual.keys()].filter((rel) => !expected.has(rel));
  return {
    exact: files.length > 0 && files.every((f) => f.exact) && unexpected.length === 0,
    files,
    unexpected,
  };
}
