import { requestPins } from '../../receiver/request-pins.js';
import { replayFirehoseBackupObject } from '../../replay/firehose-backup.js';
import type { CommandContext, REPLAY_FIREHOSE_BACKUP_KEYS } from '../registry.js';
import { s3ObjectsCommand } from './backfill-s3.js';

/**
 * `efsink replay firehose-backup`: the objects under the backup prefix, each record landed as
 * `efsink serve` would have; resumable through backfill s3's checkpoint (its own kind).
 */
export function replayFirehoseBackupCommand({
  settings,
  out,
}: CommandContext<
  (typeof REPLAY_FIREHOSE_BACKUP_KEYS)[number],
  'bucket' | 'prefix' | 'rate'
>): Promise<number> {
  return s3ObjectsCommand(settings, out, 'replay', ({ config, sink, log }) => {
    const pins = requestPins(sink.layout);
    return {
      checkpointKind: 'firehose-backup',
      ingestObject: (ref, s3) =>
        replayFirehoseBackupObject(ref, {
          config,
          sink,
          s3,
          pins,
          log,
          logGroup: settings.logGroup,
          deliveryStream: settings.deliveryStream,
        }),
    };
  });
}
