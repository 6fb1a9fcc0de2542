import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// The core is pure (docs/ARCHITECTURE.md): no file system, no AWS SDK, no adapter, and imports
// point inward. Two canaries: one reads every import of src/core, one proves the Biome rule that
// guards it catches a forbidden import however deep the importing file sits.

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CORE = join(REPO, 'src', 'core');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiersOf(source: string): string[] {
  const found: string[] = [];
  for (const m of source.matchAll(/\b(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/g))
    found.push(m[1] as string);
  for (const m of source.matchAll(/\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g)) found.push(m[1] as string);
  for (const m of source.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  return found;
}

const FORBIDDEN_MODULES =
  /^(node:)?(fs|fs\/promises|child_process|net|http|https|dgram)$|^@aws-sdk\/|^aws-cdk-lib/;

describe('src/core stays pure', () => {
  it('imports no file system, network, AWS SDK or CDK module, and nothing outside src/core', () => {
    const files = filesUnder(CORE);
    expect(files.length).toBeGreaterThan(20);
    const offences: string[] = [];
    for (const file of files) {
      for (const spec of specifiersOf(readFileSync(file, 'utf8'))) {
        const where = relative(REPO, file);
        if (FORBIDDEN_MODULES.test(spec)) offences.push(`${where} imports ${spec}`);
        if (spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(`${CORE}/`)) {
          offences.push(`${where} imports ${spec} (outside src/core)`);
        }
      }
    }
    expect(offences).toEqual([]);
  });

  it('the scan itself sees a forbidden import (so an empty result means something)', () => {
    expect(specifiersOf("import { a } from '../../io/sink.js';\nexport * from 'node:fs';")).toEqual([
      '../../io/sink.js',
      'node:fs',
    ]);
  });

  describe('the Biome import-boundary rule', () => {
    const work = mkdtempSync(join(tmpdir(), 'efsink-boundary-'));
    afterAll(() => rmSync(work, { recursive: true, force: true }));

    it('flags node:fs and src/io imports from a file at any depth of src/core', () => {
      // The repository's biome.json, in a scratch tree (no VCS there), with one canary file three
      // folders deep in src/core.
      const config = JSON.parse(readFileSync(join(REPO, 'biome.json'), 'utf8')) as Record<string, unknown>;
      delete config.$schema;
      config.vcs = { enabled: false };
      writeFileSync(join(work, 'biome.json'), JSON.stringify(config));
      const deep = join(work, 'src', 'core', 'write', 'deep', 'er');
      mkdirSync(deep, { recursive: true });
      writeFileSync(
        join(deep, 'canary.ts'),
        [
          "import { readFileSync } from 'node:fs';",
          "import { createSink } from '../../../../io/sink.js';",
          "import { handler } from '../../../../lambda/cloudwatch-logs-handler.js';",
          "import { frameEntries } from '../../frame.js';",
          'export const all = [readFileSync, createSink, handler, frameEntries];',
          '',
        ].join('\n'),
      );
      const biome = join(REPO, 'node_modules', '.bin', 'biome');
      const r = spawnSync(biome, ['lint', '--max-diagnostics=50', 'src'], { cwd: work, encoding: 'utf8' });
      const output = `${r.stdout}${r.stderr}`;
      const flagged = [...output.matchAll(/canary\.ts:(\d+):\d+ lint\/style\/noRestrictedImports/g)].map(
        (m) => Number(m[1]),
      );
      expect(flagged.sort(), output).toEqual([1, 2, 3]); // not line 4: an inward import is fine
      expect(r.status).not.toBe(0);
    });
  });
});
