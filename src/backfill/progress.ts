/** What a long-running command reports. */
export interface ProgressState {
  readonly events: number;
  readonly bytes: number;
  /** 0..1 of the work done, when known. */
  readonly fraction: number | undefined;
  readonly detail?: string;
}

export interface Progress {
  update(state: ProgressState): void;
  /** Clears the progress line; writes `summary` on stderr in its place when given. */
  done(summary?: string): void;
}

/**
 * On a terminal, one line rewritten in place (`\r`, then clear to end of line); elsewhere a plain
 * line every `intervalMs`, so logs of a CI job or a container stay readable. Rates and ETA are from
 * the wall clock since start.
 */
export function createProgress(
  stream: NodeJS.WritableStream & { isTTY?: boolean },
  label: string,
  opts: { intervalMs?: number; now?: () => number; unit?: string } = {},
): Progress {
  const unit = opts.unit ?? 'events';
  const perSecond = unit === 'events' ? 'ev/s' : `${unit}/s`;
  const now = opts.now ?? Date.now;
  const tty = stream.isTTY === true;
  const intervalMs = opts.intervalMs ?? (tty ? 200 : 10_000);
  const started = now();
  let last = Number.NEGATIVE_INFINITY;
  let drawn = false;
  const render = (s: ProgressState): string => {
    const secs = Math.max(0.001, (now() - started) / 1000);
    const pct = s.fraction === undefined ? '' : `${(s.fraction * 100).toFixed(1)}% `;
    const eta =
      s.fraction !== undefined && s.fraction > 0 && s.fraction < 1
        ? ` eta ${formatDuration((secs * (1 - s.fraction)) / s.fraction)}`
        : '';
    return `${label}: ${pct}${s.events} ${unit}, ${formatBytes(s.bytes)}, ${Math.round(s.events / secs)} ${perSecond}${eta}${s.detail ? ` ${s.detail}` : ''}`;
  };
  return {
    update(s) {
      const t = now();
      if (t - last < intervalMs) return;
      last = t;
      if (tty) {
        stream.write(`\r${render(s)}\x1b[K`);
        drawn = true;
      } else stream.write(`${render(s)}\n`);
    },
    done(summary) {
      if (tty && drawn) stream.write('\r\x1b[K');
      if (summary !== undefined) stream.write(`${summary}\n`);
    },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function formatDuration(secs: number): string {
  const s = Math.round(secs);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
