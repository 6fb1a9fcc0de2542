import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * The accepted access keys (several during a key rotation), compared in constant time. Keys are
 * hashed first so every comparison is between equal-length digests: timingSafeEqual requires equal
 * lengths, and comparing raw keys would leak a key's length. Every configured key is compared (no
 * early exit), so the time does not reveal which key matched either.
 */
export interface AccessKeys {
  accepts(presented: string | undefined): boolean;
}

export function accessKeys(keys: readonly string[]): AccessKeys {
  const digests = keys.map(digest);
  return {
    accepts(presented) {
      if (presented === undefined) return false;
      const d = digest(presented);
      let ok = false;
      for (const k of digests) ok = timingSafeEqual(k, d) || ok;
      return ok;
    },
  };
}

function digest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}
