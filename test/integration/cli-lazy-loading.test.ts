import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// What each CLI path loads, read from the bundle bin/efsink runs (dist/cli, scripts/bundle.mjs;
// `npm run build` first): the files reachable through static imports from an entry, which Node
// loads before running it. Dynamic import() is where a command's code starts (issue 13 item 1).
const DIST = join(import.meta.dirname, '../../dist/cli');

const STATIC_IMPORT = /^import\s+(?:[^'"]*?\s+from\s+)?"([^"]+)";/gm;
const DYNAMIC_IMPORT = /import\("\.\/([^"]+)"\)/g;

/** The bundle files and packages loaded before `entry` runs. */
function staticGraph(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    for (const m of readFileSync(join(DIST, file), 'utf8').matchAll(STATIC_IMPORT)) {
      const spec = m[1] as string;
      if (spec.startsWith('./')) visit(spec.slice(2));
      else if (!spec.startsWith('node:')) packages.add(spec);
    }
  };
  visit(entry);
  return { files, packages };
}

/** What the bundled sources of these files are (esbuild's `// path` comments). */
function sourcesOf(files: Iterable<string>): string[] {
  const out: string[] = [];
  for (const f of files)
    for (const m of readFileSync(join(DIST, f), 'utf8').matchAll(/^\/\/ ((?:src|node_modules)\/\S+)$/gm))
      out.push(m[1] as string);
  return out;
}

/** The chunk esbuild emitted for a dynamically imported module (`<name>-<hash>.mjs`). */
function dynamicChunk(prefix: string): string {
  const names = readdirSync(DIST).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith('.mjs'));
  expect(names, `one ${prefix} chunk in dist/cli`).toHaveLength(1);
  return names[0] as string;
}

describe('the CLI bundle loads each path lazily', () => {
  it('`efsink help` and `help COMMAND` load no zod, no package and no command code', () => {
    const { files, packages } = staticGraph('main.mjs');
    expect([...packages]).toEqual([]);
    const sources = sourcesOf(files);
    expect(sources.filter((s) => s.startsWith('node_modules/'))).toEqual([]);
    expect(sources.filter((s) => s.startsWith('src/cli/commands/'))).toEqual([]);
    expect(sources).toContain('src/cli/registry.ts');
    // Every command (12), and the validation (run-command), is behind an import().
    const dynamic = [...files].flatMap((f) =>
      [...readFileSync(join(DIST, f), 'utf8').matchAll(DYNAMIC_IMPORT)].map((m) => m[1] as string),
    );
    expect(dynamic.filter((d) => d.startsWith('run-command-'))).toHaveLength(1);
    expect(dynamic.length).toBeGreaterThanOrEqual(13);
  });

  it('`efsink ingest cloudwatch` loads zod but no AWS SDK, no pino and no prom-client', () => {
    const run = staticGraph(dynamicChunk('run-command'));
    const ingest = staticGraph(dynamicChunk('ingest-cloudwatch'));
    const packages = new Set([...run.packages, ...ingest.packages]);
    expect(
      [...packages].filter((p) => /^(@aws-sdk|pino|prom-client|@aws-lambda-powertools)/.test(p)),
    ).toEqual([]);
    expect(sourcesOf(run.files).some((s) => s.startsWith('node_modules/zod/'))).toBe(true);
  });
});
