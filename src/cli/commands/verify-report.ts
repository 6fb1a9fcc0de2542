import type { ComparisonReport } from '../../core/verify/compare.js';

/** The sample lines of each difference class, and the hint about pending segments. */
export function differenceLines(c: ComparisonReport, pendingSegments: number): string[] {
  const lines: string[] = [];
  for (const [name, cls] of [
    ['missing', c.missing],
    ['extra', c.extra],
    ['duplicated', c.duplicated],
  ] as const) {
    for (const s of cls.samples) lines.push(`  ${name} ×${s.times} ${s.relPath}: ${JSON.stringify(s.line)}`);
  }
  if (pendingSegments > 0) lines.push('  (pending segments are not yet in the files: run efsink assemble)');
  return lines;
}
