/** `1234567` → `1,234,567`. */
export function formatCount(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

/** Bytes as B / KiB / MiB with one decimal. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * Files grouped under their directories (a flat tree: one line per directory, files indented).
 *
 * @example
 * renderTree([{ path: 'a/b/1.log', note: '3 B' }]) // '  a/b/\n    1.log  3 B\n'
 */
export function renderTree(files: readonly { path: string; note: string }[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  let out = '';
  let prevDir: string | undefined;
  for (const f of sorted) {
    const cut = f.path.lastIndexOf('/');
    const dir = f.path.slice(0, cut + 1);
    if (dir !== prevDir) out += `  ${dir}\n`;
    out += `    ${f.path.slice(cut + 1)}  ${f.note}\n`;
    prevDir = dir;
  }
  return out;
}
