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

/**
 * Reads the body, failing with RECEIVER_BODY_TOO_LARGE as soon as it passes `maxBytes`, and with
 * RECEIVER_CLIENT_GONE (or `signal.reason`) when the request is destroyed before its end: the
 * client hung up, or Node answered 408. It settles in every case, including a request that was
 * destroyed before this was called (its 'close' has already fired, so listening for it alone would
 * wait forever: issue 11, item 1).
 */
export function readBody(req: IncomingMessage, maxBytes: number, signal: AbortSignal): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
      signal.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      cleanup();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        fail(new EfsinkError(ReceiverErrorCode.bodyTooLarge, `body exceeds the limit of ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) =>
      fail(clientGone(`the request failed while its body was read (${err.message})`));
    const onClose = () => fail(clientGone('the client went away before the body ended'));
    const onAbort = () => fail(signal.reason);
    if (signal.aborted) return fail(signal.reason);
    if (req.destroyed) return fail(clientGone('the client went away before the body was read'));
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onError);
    // 'close' after 'end' is normal; 'end' has already settled and removed this listener by then.
    req.once('close', onClose);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** RECEIVER_CLIENT_GONE: nobody is left to answer (logged and counted, never sent). */
export function clientGone(message: string): EfsinkError {
  return new EfsinkError(ReceiverErrorCode.clientGone, message);
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
