import { Writable } from 'node:stream';

/** A stdout stand-in that drops what it is given (the human report, under --json). */
export function discard(): NodeJS.WritableStream {
  return new Writable({
    write(_chunk, _encoding, done) {
      done();
    },
  });
}
