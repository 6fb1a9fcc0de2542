/**
 * The framing rule, in one place (docs/ARCHITECTURE.md, "Framing"): every entry becomes its exact
 * bytes followed by `\n`, unless it already ends with `\n`. Nothing else is changed: no trimming, no
 * `\r\n` normalisation, no re-encoding. API Gateway formats may end in `\n` ("You can add a newline
 * character (\n) at the end of the log format", API Gateway developer guide, set-up-logging), so
 * such entries must not get a second one.
 */
export const LF = 0x0a;

/** Bytes that `entry` occupies once framed. */
export function framedLength(entry: Uint8Array): number {
  return entry.length > 0 && entry[entry.length - 1] === LF ? entry.length : entry.length + 1;
}

/** Frames entries into one buffer: one allocation, one copy per entry. */
export function frameEntries(entries: readonly Uint8Array[]): Buffer {
  let total = 0;
  for (const e of entries) total += framedLength(e);
  const out = Buffer.allocUnsafe(total);
  let o = 0;
  for (const e of entries) {
    out.set(e, o);
    o += e.length;
    if (e.length === 0 || e[e.length - 1] !== LF) out[o++] = LF;
  }
  return out;
}
