import { CoreErrorCode, EfsinkError } from '../errors.js';

// Node's Buffer.from(s, 'base64') silently skips characters outside the alphabet and accepts
// missing padding, so a corrupted payload would decode to different bytes instead of failing.
// We validate first; the decode itself stays Node's (native, fast).
const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes standard base64 (RFC 4648 §4, with padding), rejecting anything else.
 *
 * @example decodeBase64Strict('aGk=') // → <Buffer 68 69>
 */
export function decodeBase64Strict(text: string, what = 'data'): Buffer {
  if (text.length % 4 !== 0) {
    throw new EfsinkError(
      CoreErrorCode.invalidBase64,
      `${what}: base64 length ${text.length} is not a multiple of 4 (padding required)`,
    );
  }
  if (!STANDARD.test(text)) {
    const bad = firstInvalidIndex(text);
    throw new EfsinkError(
      CoreErrorCode.invalidBase64,
      `${what}: invalid base64 character ${JSON.stringify(text[bad] ?? '')} at offset ${bad} (allowed: A-Z a-z 0-9 + / and trailing =)`,
    );
  }
  const padding = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = Buffer.from(text, 'base64');
  // Non-canonical encodings (non-zero bits in the last symbol before padding) decode ambiguously.
  if (padding > 0 && Buffer.from(out).toString('base64') !== text) {
    throw new EfsinkError(
      CoreErrorCode.invalidBase64,
      `${what}: non-canonical base64 (unused bits set before padding)`,
    );
  }
  return out;
}

function firstInvalidIndex(text: string): number {
  const body = text.replace(/={1,2}$/, '');
  for (let i = 0; i < body.length; i++) {
    if (!/[A-Za-z0-9+/]/.test(body[i] as string)) return i;
  }
  return body.length;
}
