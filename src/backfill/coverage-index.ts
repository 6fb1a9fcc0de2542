import { orderedIdKey, type SegmentMeta } from '../core/write/segment-meta.js';

/**
 * Which event ids of which log stream are already in (or on their way into) one output file
 * (ADR 0004). Built from segment headers (ADR 0007) and journal entries; answers `covers` in O(log n).
 */
export class FileCoverage {
  private readonly byStream = new Map<string, StreamRanges>();

  add(meta: SegmentMeta): void {
    let s = this.byStream.get(meta.logStream);
    if (s === undefined) {
      s = new StreamRanges();
      this.byStream.set(meta.logStream, s);
    }
    s.add(meta.firstEventId, meta.lastEventId);
  }

  covers(logStream: string, eventId: string): boolean {
    return this.byStream.get(logStream)?.covers(eventId) ?? false;
  }
}

class StreamRanges {
  private readonly exact = new Set<string>();
  private ranges: [string, string][] = [];
  private sorted = true;
  private prefixMaxHi: string[] = [];

  add(first: string, last: string): void {
    this.exact.add(first);
    this.exact.add(last);
    const lo = orderedIdKey(first);
    const hi = orderedIdKey(last);
    // A range is usable only when both ends are orderable; otherwise only its ends match.
    if (lo === undefined || hi === undefined) return;
    this.ranges.push(lo <= hi ? [lo, hi] : [hi, lo]);
    this.sorted = false;
  }

  covers(id: string): boolean {
    if (this.exact.has(id)) return true;
    const key = orderedIdKey(id);
    if (key === undefined || this.ranges.length === 0) return false;
    if (!this.sorted) this.rebuild();
    // The last range starting at or before key; covered iff some range up to it reaches key.
    let low = 0;
    let high = this.ranges.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if ((this.ranges[mid] as [string, string])[0] <= key) low = mid + 1;
      else high = mid;
    }
    return low > 0 && (this.prefixMaxHi[low - 1] as string) >= key;
  }

  private rebuild(): void {
    this.ranges.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    this.prefixMaxHi = [];
    let max = '';
    for (const [, hi] of this.ranges) {
      if (hi > max) max = hi;
      this.prefixMaxHi.push(max);
    }
    this.sorted = true;
  }
}
