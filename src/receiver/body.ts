import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import { CoreErrorCode, EfsinkError } from '../core/errors.js';
import { ReceiverErrorCode } from './protocol.js';

const gunzipAsync = promisify(gunzip);

/** Resolves when every promise settled or after `timeoutMs`, whichever comes first. */
export async function waitFor(promises: Promise<void>[], timeoutMs: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    t = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([Promise.allSettled(promises), timeout]);
  clearTimeout(t);
}

/** Reads the body, failing with RECEIVER_BODY_TOO_LARGE as soon as it passes `maxBytes`. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.off('data', onData);
        req.pause();
        reject(
          new EfsinkError(ReceiverErrorCode.bodyTooLarge, `body exceeds the limit of ${maxBytes} bytes`),
        );
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks, size)));
    req.once('error', reject);
    req.once('aborted', () =>
      reject(new EfsinkError(ReceiverErrorCode.badRequest, 'client aborted the request')),
    );
  });
}

/** Gunzips (every member) off the event loop, capped at `maxBytes` of output. */
export async function gunzipBody(raw: Buffer, maxBytes: number): Promise<Buffer> {
  try {
    return await gunzipAsync(raw, { maxOutputLength: maxBytes });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new EfsinkError(
        ReceiverErrorCode.bodyTooLarge,
        `decompressed body exceeds the limit of ${maxBytes} bytes`,
        { cause: err },
      );
    }
    throw new EfsinkError(CoreErrorCode.invalidGzip, `body: invalid gzip (${(err as Error).message})`, {
      cause: err,
    });
  }
}
