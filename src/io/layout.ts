import { join } from 'node:path';

/**
 * Where efsink keeps its state under the root. Only the assembled logs are visible; everything
 * else lives under `<root>/.efsink/` (path templates cannot render a name starting with `.`).
 *
 * ```
 * <root>/.efsink/tmp/                       temp files (same file system → atomic rename), swept by age
 * <root>/.efsink/segments/<relPath>/*.seg   landed, immutable segments waiting for assembly
 * <root>/.efsink/state/<relPath>/lease      the assembly lease of one output file
 * <root>/.efsink/state/<relPath>/claim-N    epoch claims (exclusive create, never reused)
 * <root>/.efsink/state/<relPath>/journal-N.json  the journal written in epoch N
 * <root>/.efsink/quarantine/<relPath>/*.seg damaged segment files the assembler moved aside
 * ```
 */
export const STATE_DIR_NAME = '.efsink';

export interface RootLayout {
  readonly root: string;
  readonly internal: string;
  readonly tmp: string;
  readonly segments: string;
  readonly state: string;
  readonly quarantine: string;
}

export function rootLayout(root: string): RootLayout {
  const internal = join(root, STATE_DIR_NAME);
  return {
    root,
    internal,
    tmp: join(internal, 'tmp'),
    segments: join(internal, 'segments'),
    state: join(internal, 'state'),
    quarantine: join(internal, 'quarantine'),
  };
}
