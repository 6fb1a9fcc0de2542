import { join } from 'node:path';

/**
 * Where efsink keeps its state under the root. Only the assembled logs are visible; everything
 * else lives under `<root>/.efsink/` (path templates cannot render a name starting with `.`).
 *
 * ```
 * <root>/.efsink/tmp/                       temp files (same file system → atomic rename), swept by age
 * <root>/.efsink/segments/<relPath>/*.seg   landed, immutable segments waiting for assembly
 * <root>/.efsink/state/<relPath>/claim-N    epoch claims (exclusive create, never reused); the newest is the lease (ADR 0013)
 * <root>/.efsink/state/<relPath>/journal-N.json  the head written in epoch N (constant size)
 * <root>/.efsink/state/<relPath>/batches/*.json  one record per commit (segments, offsets, descriptions)
 * <root>/.efsink/state/<relPath>/done/<segment>   a marker per assembled segment (link to its record)
 * <root>/.efsink/retired/<minute>/<relPath>/*.seg assembled segments kept for the retention
 * <root>/.efsink/quarantine/<relPath>/*.seg damaged segment files the assembler moved aside
 * <root>/.efsink/gc/<yyyyMMdd>/<sha256(relPath)>  output files committed to that UTC day (ADR 0017)
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
  /** Assembled segments, kept for the retention in folders per minute (ADR 0013). */
  readonly retired: string;
  /** The activity index: which output files had a commit on which UTC day (ADR 0017). */
  readonly gc: string;
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
    retired: join(internal, 'retired'),
    gc: join(internal, 'gc'),
  };
}
