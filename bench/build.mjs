// Bundles the benchmark with esbuild (no type check: `npm run typecheck` does that), so that
// `npm run bench` measures the working tree even while an unrelated file elsewhere does not
// typecheck. Dynamic imports stay separate chunks: a naive or floor child never loads efsink's code.
// One build, several entry points: the ingest bench (`npm run bench`), `bench:backfill` and
// `bench:verify`, `bench:scale`, `bench:startup` (bench/README.md); code they share lands in common chunks.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const outdir = 'dist/bench-bundle';
rmSync(outdir, { recursive: true, force: true });
await build({
  entryPoints: [
    'bench/ingest-bench.ts',
    'bench/backfill-bench.ts',
    'bench/verify-bench.ts',
    'bench/receiver-bench.ts',
    'bench/efsink-serve.ts',
    'bench/scale-bench.ts',
    'bench/gunzip-bench.ts',
    'bench/startup-bench.ts',
    'bench/takeover-bench.ts',
    'bench/latency-bench.ts',
  ],
  outdir,
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  packages: 'external',
  logLevel: 'warning',
});
