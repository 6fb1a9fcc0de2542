import { connect, type Socket } from 'node:net';
import { TEST_SOURCE_ARN } from './firehose-client.js';

/** How a client goes away: FIN (destroy), RST (resetAndDestroy) or a half-close (end). */
export type HangUp = 'destroy' | 'reset' | 'end';

/** A Firehose POST written over a raw TCP socket, so a test can cut it at any byte it chooses. */
export interface RawFirehoseRequest {
  /** The exact bytes a complete request would send: head, then body. */
  readonly bytes: Buffer;
  /** Where the head ends (the first body byte). */
  readonly headBytes: number;
}

export function rawFirehoseRequest(
  url: string,
  accessKey: string,
  requestId: string,
  body: Buffer,
): RawFirehoseRequest {
  const u = new URL(url);
  const head = Buffer.from(
    [
      `POST ${u.pathname} HTTP/1.1`,
      `Host: ${u.host}`,
      'Content-Type: application/json',
      `Content-Length: ${body.length}`,
      'X-Amz-Firehose-Protocol-Version: 1.0',
      `X-Amz-Firehose-Request-Id: ${requestId}`,
      `X-Amz-Firehose-Access-Key: ${accessKey}`,
      `X-Amz-Firehose-Source-Arn: ${TEST_SOURCE_ARN}`,
      '',
      '',
    ].join('\r\n'),
  );
  return { bytes: Buffer.concat([head, body]), headBytes: head.length };
}

/**
 * Connects, writes the first `cutAt` bytes of `request`, waits `delayMs` (or until the promise
 * settles), then hangs up the way `hangUp` says. Resolves once the socket is closed, with whatever the server answered before (an
 * empty string when nothing).
 */
export function sendAndHangUp(
  url: string,
  request: RawFirehoseRequest,
  cutAt: number,
  delayMs: number | Promise<unknown>,
  hangUp: HangUp,
): Promise<string> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const socket: Socket = connect({ host: u.hostname, port: Number(u.port) });
    let answer = '';
    socket.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    // ECONNRESET and EPIPE are expected: the server may close first (408, or after answering).
    socket.on('error', () => {});
    socket.on('close', () => resolve(answer));
    socket.once('connect', () => {
      socket.write(request.bytes.subarray(0, cutAt));
      const hangUpNow = () => {
        if (hangUp === 'reset') socket.resetAndDestroy();
        else if (hangUp === 'end') socket.end();
        else socket.destroy();
      };
      if (typeof delayMs === 'number') setTimeout(hangUpNow, delayMs);
      else void delayMs.finally(hangUpNow);
    });
  });
}
