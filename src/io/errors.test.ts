import { constants } from 'node:os';
import { describe, expect, it } from 'vitest';
import { errnoName, isGone } from './errors.js';

/** An error as Node 20 reports ESTALE: libuv has no name for it. */
function estale(): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(
    "Unknown system error -116: Unknown system error -116, scandir '/x'",
  );
  e.errno = -constants.errno.ESTALE;
  e.code = `Unknown system error -${constants.errno.ESTALE}`;
  return e;
}

describe('file-system error names', () => {
  it('names ESTALE, which Node reports as an unknown system error', () => {
    expect(errnoName(estale())).toBe('ESTALE');
  });

  it('treats ENOENT and ESTALE as gone, and nothing else', () => {
    const enoent = Object.assign(new Error('no'), { code: 'ENOENT', errno: -constants.errno.ENOENT });
    const eacces = Object.assign(new Error('no'), { code: 'EACCES', errno: -constants.errno.EACCES });
    expect([isGone(enoent), isGone(estale()), isGone(eacces), isGone(new Error('x'))]).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });
});
