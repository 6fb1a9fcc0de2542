import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inodeOf } from './assemble-file.js';
import { installFsPort, realFs } from './fs-port.js';

/**
 * ADR 0006 on an NFS client: a folder another client created after this one last looked can be
 * cached as "no such file" in its parent. Seen on the NFS lab (scenario a): the hour's folder was
 * negative in one client's cache, its pass found the output "missing" next to a journal with
 * committed bytes and failed with ASSEMBLE_OUTPUT_MISSING.
 */
let root: string;
let restore: (() => void) | undefined;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'efsink-inode-'));
});
afterEach(async () => {
  restore?.();
  restore = undefined;
  await rm(root, { recursive: true, force: true });
});

/** Opens of `stale` answer ENOENT until an ancestor of it has been opened (a negative dentry). */
function negativeUntilParentOpened(stale: string): void {
  let revalidated = false;
  restore = installFsPort({
    ...realFs,
    open: (async (path: string, ...rest: unknown[]) => {
      if (path === stale && !revalidated) {
        throw Object.assign(new Error(`ENOENT: no such file or directory, open '${path}'`), {
          code: 'ENOENT',
        });
      }
      if (stale.startsWith(`${path}/`)) revalidated = true;
      return (realFs.open as (...a: unknown[]) => unknown)(path, ...rest);
    }) as typeof realFs.open,
  });
}

describe('inodeOf', () => {
  it('finds a file whose folder was cached as missing, by asking the folder again after its parent', async () => {
    const file = join(root, 'g/2025/08/06/14.log');
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, 'x\n');
    negativeUntilParentOpened(dirname(file));
    expect(await inodeOf(file)).toBe((await stat(file)).ino);
  });

  it('answers undefined for a file whose folders do not exist', async () => {
    expect(await inodeOf(join(root, 'g/2025/08/06/14.log'))).toBeUndefined();
  });
});
