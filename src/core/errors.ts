import type { ErrorCode } from './error-catalogue.js';

/**
 * The one error type efsink throws for expected failures. Adapters branch on `code`, never on
 * `instanceof`: the bundled Lambda and the CLI can load two copies of this module (undici's lesson).
 * Every code is registered in src/core/error-catalogue.ts (the type below rejects any other) and
 * listed in docs/errors.md.
 */
export class EfsinkError extends Error {
  override readonly name = 'EfsinkError';
  readonly code: ErrorCode;
  /** Where the problem is, when it concerns one unit of a batch (for example `record 3`). */
  readonly unit: string | undefined;

  constructor(code: ErrorCode, message: string, options?: ErrorOptions & { unit?: string }) {
    super(message, options);
    this.code = code;
    this.unit = options?.unit;
  }
}

/** Codes raised by the pure core. I/O and adapter codes live beside their modules. */
export const CoreErrorCode = {
  invalidBase64: 'DECODE_INVALID_BASE64',
  invalidGzip: 'DECODE_INVALID_GZIP',
  tooLarge: 'DECODE_TOO_LARGE',
  invalidJson: 'DECODE_INVALID_JSON',
  invalidEnvelope: 'DECODE_INVALID_ENVELOPE',
  invalidEvent: 'DECODE_INVALID_EVENT',
  invalidTemplate: 'LAYOUT_INVALID_TEMPLATE',
  pathEscapesRoot: 'LAYOUT_PATH_ESCAPES_ROOT',
  nameTooLong: 'LAYOUT_NAME_TOO_LONG',
} as const;

/** True when `err` is an efsink error, whichever copy of this module created it. */
export function isEfsinkError(err: unknown): err is EfsinkError {
  return (
    err instanceof Error && err.name === 'EfsinkError' && typeof (err as { code?: unknown }).code === 'string'
  );
}

/** A one-line, quoted and truncated rendering of a received value for error messages. */
export function describeReceived(value: unknown, maxChars = 60): string {
  let text: string;
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Uint8Array) return `${value.length} bytes`;
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
}
