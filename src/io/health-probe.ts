import { hostname } from 'node:os';
import { join } from 'node:path';
import { registerRoot, WRITE_CREATE_NOFOLLOW } from './confine.js';
import { openCreating, writeAll } from './durable-file.js';
import { fs } from './fs-port.js';
import type { RootLayout } from './layout.js';

/** Directory of the receivers' write probes, under the state directory. */
export const HEALTH_DIR_NAME = 'health';

/**
 * The probe file of this process: one per host and pid, so the tasks sharing one EFS file system
 * never write the same file (each overwrites only its own, and removes it when it stops).
 */
export function healthProbePath(layout: RootLayout): string {
  return join(layout.internal, HEALTH_DIR_NAME, `${hostname()}.${process.pid}`);
}

/**
 * One write-and-fsync round trip under `<root>/.efsink/health/`: the same operations landing a
 * segment needs (open, write, fsync, close), on the same mount, so a mount that hangs (an EFS
 * outage on a `hard` mount) or fails (read-only, full, permissions) shows here before Firehose's
 * requests pile up behind it. Goes through the fs port, so tests can make it fail or hang.
 */
export async function probeWriteFsync(layout: RootLayout, nowMs: number): Promise<void> {
  registerRoot(layout.root, layout.segments); // the probe writes under the root: no symlinks (ADR 0014)
  const path = healthProbePath(layout);
  const fh = await openCreating(path, WRITE_CREATE_NOFOLLOW);
  try {
    await writeAll(fh, Buffer.from(`${nowMs}\n`), 0);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Removes this process's probe file (at shutdown); a missing file is fine. */
export async function removeHealthProbe(layout: RootLayout): Promise<void> {
  await fs.unlink(healthProbePath(layout)).catch(() => {});
}
