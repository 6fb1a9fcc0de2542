import { CoreErrorCode, EfsinkError } from '../errors.js';

// Node's Buffer.from(s, 'base64') silently skips characters outside the alphabet, stops at a '='
// in the middle, accepts the base64url symbols '-' and '_', reads a UTF-16 code unit by its low
// byte only ('Ł' U+0141 decodes as 'A') and accepts missing padding, so a corrupted payload would
// decode to different bytes instead of failing. We let Node decode (native, fast) and then prove
// that it decoded every character as a standard symbol, without a regex over the whole text:
//   1. the text is ASCII (one native UTF-8 length count) — rules out the low-byte aliasing;
//   2. it contains no '-' and no '_' (two native searches) — rules out base64url;
//   3. the output has exactly 3·len/4 − padding bytes, where padding is the 0–2 trailing '='.
//      Any other ASCII character (space, '*', a '=' not at the end…) is skipped or ends decoding,
//      so Node decodes fewer symbols and the output is at least one byte shorter;
//   4. the symbol before the padding has no unused bits set (canonical form), checked on the last
//      quantum only.
// `base64.test.ts` checks accept/reject equivalence with the previous regex-based validator.

/** Value of each standard base64 symbol, -1 for anything else (ASCII only). */
const SYMBOL = new Int8Array(128).fill(-1);
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
for (let i = 0; i < ALPHABET.length; i++) SYMBOL[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes standard base64 (RFC 4648 §4, with padding), rejecting anything else.
 *
 * @example decodeBase64Strict('aGk=') // → <Buffer 68 69>
 */
export function decodeBase64Strict(text: string, what = 'data'): Buffer {
  const len = text.length;
  if (len % 4 !== 0) {
    throw new EfsinkError(
      CoreErrorCode.invalidBase64,
      `${what}: base64 length ${len} is not a multiple of 4 (padding required)`,
    );
  }
  const padding =
    len === 0 ? 0 : text.charCodeAt(len - 1) !== 0x3d ? 0 : text.charCodeAt(len - 2) !== 0x3d ? 1 : 2;
  if (
    Buffer.byteLength(text, 'utf8') !== len ||
    text.indexOf('-') !== -1 ||
    text.indexOf('_') !== -1 ||
    (padding === 2 && text.charCodeAt(len - 3) === 0x3d)
  ) {
    throw invalidCharacter(text, what);
  }
  const out = Buffer.from(text, 'base64');
  if (out.length !== (len / 4) * 3 - padding) throw invalidCharacter(text, what);
  // Non-canonical encodings (non-zero bits in the last symbol before padding) decode ambiguously.
  if (
    padding > 0 &&
    (SYMBOL[text.charCodeAt(len - padding - 1)] as number) & (padding === 1 ? 0b11 : 0b1111)
  ) {
    throw new EfsinkError(
      CoreErrorCode.invalidBase64,
      `${what}: non-canonical base64 (unused bits set before padding)`,
    );
  }
  return out;
}

/** The error for a text that contains a character outside the alphabet (cold path). */
function invalidCharacter(text: string, what: string): EfsinkError {
  const bad = firstInvalidIndex(text);
  return new EfsinkError(
    CoreErrorCode.invalidBase64,
    `${what}: invalid base64 character ${JSON.stringify(text.charAt(bad))} at offset ${bad} (allowed: A-Z a-z 0-9 + / and trailing =)`,
  );
}

function firstInvalidIndex(text: string): number {
  const body = text.replace(/={1,2}$/, '');
  let i = 0;
  for (let c = body.charCodeAt(0); c < 128 && SYMBOL[c] !== -1; c = body.charCodeAt(++i));
  return i;
}
