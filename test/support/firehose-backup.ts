// What Amazon Data Firehose writes to an HTTP endpoint stream's S3 backup once a request's retries
// run out, for tests: one error record per failed record, as in the Firehose developer guide ("Data
// delivery failure handling", HTTP endpoint destination, example error record), one per line, and
// the object gzipped (the backup's CompressionFormat GZIP in FirehoseHttpEndpointToEfs) under
// `<prefix>yyyy/MM/dd/HH/<stream>-<version>-yyyy-MM-dd-HH-mm-ss-<uuid>.gz`.

import { gzipSync } from 'node:zlib';

export interface FailedRequest {
  readonly requestId: string;
  readonly records: readonly Uint8Array[];
  /** When Firehose received the records. */
  readonly arrivalMs: number;
  /** The endpoint's last answer (its body), or undefined when it never answered (timeout). */
  readonly lastResponse?: { status: number; body: string } | undefined;
}

/** The error records of one failed request, in record order. */
export function errorRecordsOf(req: FailedRequest): Record<string, unknown>[] {
  return req.records.map((data, i) => ({
    attemptsMade: 3,
    arrivalTimestamp: req.arrivalMs,
    errorCode: req.lastResponse ? 'HttpEndpoint.DestinationException' : 'HttpEndpoint.ResponseTimeout',
    errorMessage: req.lastResponse
      ? `The following response was received from the endpoint destination. ${req.lastResponse.status}: ${req.lastResponse.body}`
      : 'Firehose timed out waiting for a response from the endpoint destination.',
    attemptEndingTimestamp: req.arrivalMs + 300_000,
    rawData: Buffer.from(data).toString('base64'),
    subsequenceNumber: 0,
    dataId: `4960735736127174081141866428069304427482162288001233${String(7000 + i).padStart(4, '0')}.0`,
  }));
}

/** The gzipped NDJSON body of a backup object holding these requests' error records. */
export function backupObjectBody(requests: readonly FailedRequest[]): Buffer {
  const lines = requests.flatMap(errorRecordsOf).map((r) => `${JSON.stringify(r)}\n`);
  return gzipSync(lines.join(''));
}

/** A Firehose object key: `<prefix>yyyy/MM/dd/HH/<stream>-1-yyyy-MM-dd-HH-mm-ss-<uuid>.gz`. */
export function backupKey(prefix: string, stream: string, atMs: number, n: number): string {
  const d = new Date(atMs);
  const p = (x: number) => String(x).padStart(2, '0');
  const ymdh = `${d.getUTCFullYear()}/${p(d.getUTCMonth() + 1)}/${p(d.getUTCDate())}/${p(d.getUTCHours())}`;
  const stamp = `${d.getUTCFullYear()}-${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())}-${p(d.getUTCHours())}-${p(d.getUTCMinutes())}-${p(d.getUTCSeconds())}`;
  return `${prefix}${ymdh}/${stream}-1-${stamp}-00000000-0000-4000-8000-${String(n).padStart(12, '0')}.gz`;
}
