import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CatalogueEntry, ERROR_CATALOGUE, isCatalogued } from './core/error-catalogue.js';

const ROOT = join(import.meta.dirname, '..');
const DOC = 'docs/errors.md';
const CATALOGUE = 'src/core/error-catalogue.ts';

/** `FS_<errno>` in the docs is the catalogue's family key `FS_`. */
const keyOf = (docCode: string) => docCode.replace(/<[a-z]+>$/, '');
const docCodeOf = (key: string) => (key === 'FS_' ? 'FS_<errno>' : key === 'S3_' ? 'S3_<name>' : key);

interface DocRow {
  readonly exit: string;
  readonly http: string;
  readonly retry: string;
}

function docRows(): Map<string, DocRow> {
  const rows = new Map<string, DocRow>();
  for (const line of readFileSync(join(ROOT, DOC), 'utf8').split('\n')) {
    const m = /^\| `([A-Z0-9_<>a-z]+)` \|([^|]*)\|([^|]*)\|([^|]*)\|/.exec(line);
    if (m === null) continue;
    rows.set(keyOf(m[1] as string), {
      exit: (m[2] as string).trim(),
      http: (m[3] as string).trim(),
      retry: (m[4] as string).trim(),
    });
  }
  return rows;
}

function docCells(e: CatalogueEntry): DocRow {
  return {
    exit: String(e.exit),
    http: e.http === null ? '—' : String(e.http),
    retry: e.retry ? 'yes' : 'no',
  };
}

describe(`${DOC} lists exactly the error catalogue (${CATALOGUE})`, () => {
  const catalogue = ERROR_CATALOGUE as Record<string, CatalogueEntry>;
  const rows = docRows();

  it('has a row for every catalogued code, with the same exit code, HTTP status and retry', () => {
    const problems: string[] = [];
    for (const [key, entry] of Object.entries(catalogue)) {
      const want = docCells(entry);
      const row = rows.get(key);
      if (row === undefined) {
        problems.push(
          `${DOC} has no row for ${key}: add\n| \`${docCodeOf(key)}\` | ${want.exit} | ${want.http} | ${want.retry} | <raised by> | ${entry.meaning} | <what to do> |`,
        );
      } else if (JSON.stringify(row) !== JSON.stringify(want)) {
        problems.push(
          `${DOC} row ${key} says exit ${row.exit}, HTTP ${row.http}, retry ${row.retry}; the catalogue says exit ${want.exit}, HTTP ${want.http}, retry ${want.retry}: make them agree`,
        );
      }
    }
    expect(problems.join('\n\n')).toBe('');
  });

  it('documents no code the catalogue lacks', () => {
    const problems: string[] = [];
    for (const [key, row] of rows) {
      if (key in catalogue) continue;
      const http = row.http === '—' ? 'null' : row.http;
      problems.push(
        `${CATALOGUE} lacks ${key} (documented in ${DOC}): add to ERROR_CATALOGUE\n  ${key}: { meaning: '<one line>', exit: ${row.exit}, http: ${http}, retry: ${row.retry === 'yes'} },`,
      );
    }
    expect(problems.join('\n\n')).toBe('');
  });

  it('catalogues every code-shaped string literal in src (a new code fails here until it is registered)', () => {
    // Any 'WORD_WORD' literal in the sources is a code unless it is listed here with what it is.
    const NOT_CODES: Readonly<Record<string, string>> = {
      DATA_MESSAGE: 'CloudWatch Logs messageType',
      CONTROL_MESSAGE: 'CloudWatch Logs messageType',
      ERR_BUFFER_TOO_LARGE: "Node's code for a zlib output over maxOutputLength",
      EAI_AGAIN: 'a DNS errno the backfill retries',
      DEFAULT_5XX: 'an API Gateway gateway-response type the simulator renders',
      BAD_REQUEST_BODY: 'an API Gateway gateway-response type the simulator renders',
      RESOURCE_NOT_FOUND: 'an API Gateway gateway-response type the simulator renders',
      MISSING_AUTHENTICATION_TOKEN: 'an API Gateway gateway-response type the simulator renders',
      INTEGRATION_TIMEOUT: 'an API Gateway gateway-response type the simulator renders',
      UV_THREADPOOL_SIZE: "libuv's environment variable for its thread pool size",
    };
    const found = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
          const text = readFileSync(path, 'utf8');
          for (const m of text.matchAll(/'([A-Z][A-Z0-9]*_[A-Z0-9_]+)'/g)) {
            const code = m[1] as string;
            if (!found.has(code)) found.set(code, path.slice(ROOT.length + 1));
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(found.size).toBeGreaterThan(30);
    const missing = [...found]
      .filter(([code]) => !/^(EFSINK|AWS)_/.test(code)) // variable names: src/config/settings.test.ts
      .filter(([code]) => !(code in NOT_CODES) && !isCatalogued(code))
      .map(([code, path]) => `${code} (${path}): register it in ERROR_CATALOGUE (${CATALOGUE}) and ${DOC}`);
    expect(missing).toEqual([]);
  });
});
