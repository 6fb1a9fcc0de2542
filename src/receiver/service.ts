import type { SinkConfig } from '../config/sink-config.js';
import { decodeFirehoseRequest } from '../core/decode/firehose-request.js';
import { classifyFirehoseRecordsWith } from '../core/decode/firehose-request-records.js';
import { EfsinkError } from '../core/errors.js';
import { deliveryStreamNameOf, planFirehoseRequest } from '../core/write/plan-firehose.js';
import { unitIdOf } from '../core/write/plan-segments.js';
import type { Sink } from '../io/sink.js';
import type { Logger } from '../observability/logger.js';
import { type GunzipOptions, recordGunzip } from './gunzip.js';
import { ReceiverErrorCode } from './protocol.js';
import type { RequestPins } from './request-pins.js';

/** What landing one Firehose request did. */
export interface DeliveryOutcome {
  readonly requestId: string;
  readonly records: number;
  readonly segmentsLanded: number;
  readonly bytesWritten: number;
  /** True when every segment was already there: a retry of a request that had landed. */
  readonly duplicate: boolean;
}

export interface DeliveryDeps {
  readonly sinkConfig: SinkConfig;
  readonly sink: Sink;
  readonly pins: RequestPins;
  readonly log: Logger;
  readonly logGroup?: string | undefined;
  /** How CloudWatch payload records are gunzipped (default: small in place, large off the event loop). */
  readonly gunzip?: GunzipOptions;
}

/**
 * Decodes, plans and lands one Firehose request body (already decompressed). Resolves only when the
 * request's segments are durable (fsync + rename + directory fsync), so the caller may answer 200.
 * Throws coded errors (see protocol.ts for their statuses).
 */
export async function deliverFirehoseRequest(
  headerRequestId: string,
  sourceArn: string | undefined,
  body: Buffer,
  deps: DeliveryDeps,
): Promise<DeliveryOutcome> {
  const request = decodeFirehoseRequest(body);
  if (request.requestId !== headerRequestId) {
    throw new EfsinkError(
      ReceiverErrorCode.badRequest,
      `body requestId ${JSON.stringify(request.requestId)} differs from the X-Amz-Firehose-Request-Id header ${JSON.stringify(headerRequestId)}`,
    );
  }
  // A record may decompress to the whole unwrap budget (hundreds of MiB): off the event loop.
  const records = await classifyFirehoseRecordsWith(
    request.records,
    deps.sinkConfig.maxDecompressedBytes,
    recordGunzip(deps.gunzip),
  );
  const source = deliveryStreamNameOf(sourceArn);
  const unitId = unitIdOf('firehose', [request.requestId]);
  // Only direct records are routed by the request timestamp; pin it before anything lands.
  const usesRequestTime = deps.sinkConfig.template.usesTime && records.some((r) => r.kind === 'raw');
  const timestampMs = usesRequestTime ? await deps.pins.pin(unitId, request.timestamp) : request.timestamp;
  const plan = planFirehoseRequest(request.requestId, timestampMs, records, deps.sinkConfig.template, {
    logGroup: deps.logGroup,
    source,
  });
  const landed = await deps.sink.land(plan);
  return {
    requestId: request.requestId,
    records: request.records.length,
    segmentsLanded: landed.landed,
    bytesWritten: landed.bytes,
    duplicate: landed.landed === 0 && landed.alreadyPresent > 0,
  };
}
