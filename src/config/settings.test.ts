import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../cli/registry.js';
import { parseCommand } from '../cli/run-command.js';
import { isEfsinkError } from '../core/errors.js';
import { parseTime, SETTINGS, type SettingKey, type SettingSpec } from './settings.js';
import { resolveSettings } from './settings-resolve.js';

const README = join(import.meta.dirname, '../../README.md');
const SCHEMA = 'src/config/settings.ts';

/** The README row a setting with a variable must have, exactly. */
function readmeRow(s: SettingSpec): string {
  const envs = [s.env, s.envList]
    .filter((e) => e !== undefined)
    .map((e) => `\`${e}\``)
    .join(', ');
  const d =
    s.defaultDoc ?? (s.required ? '(required)' : s.default !== undefined ? `\`${String(s.default)}\`` : '—');
  return `| ${envs} | \`--${s.flag}\` | ${d} | ${s.help} |`;
}

describe(`the README configuration table is the schema (${SCHEMA})`, () => {
  const text = readFileSync(README, 'utf8');
  const section = text.slice(text.indexOf('## Configuration'), text.indexOf('## Deploying'));
  const rows = section.split('\n').filter((l) => /^\| `[A-Z_]+`/.test(l));
  const specs = Object.values(SETTINGS as Record<string, SettingSpec>).filter((s) => s.env !== undefined);

  it('has, for every setting with a variable, exactly its row (variable, flag, default, meaning)', () => {
    const missing = specs.map(readmeRow).filter((row) => !rows.includes(row));
    expect(
      missing.map(
        (row) => `README.md ## Configuration lacks or differs from this row; put it there:\n${row}`,
      ),
    ).toEqual([]);
  });

  it('documents every EFSINK_* variable the sources read: a setting in the table, or a test hook named there', () => {
    const variables = new Map<string, string>();
    const walk = (dir: string): void => {
      for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
          for (const m of readFileSync(path, 'utf8').matchAll(/(?:'|env\.)(EFSINK_[A-Z0-9_]+)/g))
            variables.set(m[1] as string, path.slice(join(README, '..').length + 1));
      }
    };
    walk(join(README, '../src'));
    const declared = new Set(specs.flatMap((s) => [s.env, s.envList]).filter((e) => e !== undefined));
    expect(variables.size).toBeGreaterThan(20);
    expect(
      [...variables]
        .filter(([v]) => !declared.has(v) && !section.includes(`\`${v}\``))
        .map(
          ([v, path]) =>
            `${v} (read in ${path}): declare it in ${SCHEMA}, or name it in README.md ## Configuration`,
        ),
    ).toEqual([]);
  });

  it('has no row the schema does not declare', () => {
    const want = new Set(specs.map(readmeRow));
    expect(
      rows
        .filter((r) => !want.has(r))
        .map((r) => `README.md row not in ${SCHEMA} (declare the setting there, or remove the row): ${r}`),
    ).toEqual([]);
  });
});

/**
 * Two valid texts per setting that has a variable, and what each resolves to: the flag gets the
 * first, the variable the second, so "flag wins" is visible. A new setting with a variable needs
 * a line here (the test below says so).
 */
const SAMPLES: Partial<Record<SettingKey, readonly [string, unknown, string, unknown]>> = {
  root: ['/flag/root', '/flag/root', '/env/root', '/env/root'],
  pathTemplate: ['{logGroup}/{HH}.log', '{logGroup}/{HH}.log', '{yyyy}/{HH}.log', '{yyyy}/{HH}.log'],
  segmentRetentionSeconds: ['100', 100, '200', 200],
  sealAfterSeconds: ['86400', 86400, '3600', 3600],
  maxDecompressedBytes: ['4096', 4096, '8192', 8192],
  leaseSeconds: ['10', 10, '20', 20],
  maxBatchBytes: ['1000', 1000, '2000', 2000],
  assembleConcurrency: ['2', 2, '8', 8],
  assembleAfterIngest: ['', true, 'true', true],
  logLevel: ['debug', 'debug', 'warn', 'warn'],
  host: ['0.0.0.0', '0.0.0.0', '::1', '::1'],
  port: ['1234', 1234, '4321', 4321],
  metricsPort: ['9100', 9100, '9200', 9200],
  healthProbeTimeoutSeconds: ['0.5', 0.5, '3', 3],
  accessKeys: ['flag-key', ['flag-key'], 'env-key', ['env-key']],
  maxBodyBytes: ['2048', 2048, '4096', 4096],
  maxConcurrentRequests: ['2', 2, '3', 3],
  maxQueuedRequests: ['5', 5, '6', 6],
  memoryLimitBytes: ['2147483648', 2147483648, '1073741824', 1073741824],
  assembleIntervalSeconds: ['0.5', 0.5, '7', 7],
  requestTimeoutSeconds: ['11', 11, '12', 12],
  shutdownTimeoutSeconds: ['13', 13, '14', 14],
  keepAliveTimeoutSeconds: ['61', 61, '245', 245],
  emfIntervalSeconds: ['0', 0, '30', 30],
  metricsService: ['svc-flag', 'svc-flag', 'svc-env', 'svc-env'],
  logGroup: ['/flag/group', '/flag/group', '/env/group', '/env/group'],
  region: ['eu-west-1', 'eu-west-1', 'ap-south-1', 'ap-south-1'],
  endpoint: ['http://127.0.0.1:1', 'http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:2'],
};

/** Flags that make a command's required settings present, so one key at a time can be tested. */
const REQUIRED_FLAGS: Partial<Record<SettingKey, readonly string[]>> = {
  root: ['--root', '/base/root'],
  accessKeys: ['--access-key', 'base-key'],
  bucket: ['--bucket', 'b'],
  key: ['--key', 'k'],
  logGroup: ['--log-group', '/base/group'],
  start: ['--start', '2025-08-06T00:00:00Z'],
  end: ['--end', '2025-08-06T01:00:00Z'],
  path: ['--path', 'cloudwatch'],
  prefix: ['--prefix', 'p/'],
};

function baseArgv(spec: (typeof COMMANDS)[number], except: SettingKey): string[] {
  const keys = spec.settings.filter(
    (k) =>
      k !== except &&
      (((SETTINGS[k] as SettingSpec).required && !spec.optional?.includes(k)) || spec.required?.includes(k)),
  );
  return keys.flatMap((k) => [...(REQUIRED_FLAGS[k] ?? [])]);
}

function flagArgs(s: SettingSpec, text: string): string[] {
  return s.kind === 'boolean' ? [`--${s.flag}`] : [`--${s.flag}`, text];
}

describe('every setting is reachable from its flag and from its variable, in every command that uses it', () => {
  const cases = COMMANDS.flatMap((spec) =>
    spec.settings
      .filter((k) => (SETTINGS[k] as SettingSpec).env !== undefined)
      .map((key) => ({ command: spec.name, key, spec })),
  );

  it('covers every setting with a variable in SAMPLES', () => {
    const keys = Object.entries(SETTINGS as Record<string, SettingSpec>)
      .filter(([, s]) => s.env !== undefined)
      .map(([k]) => k);
    expect(keys.filter((k) => !(k in SAMPLES)).map((k) => `add ${k} to SAMPLES in this test`)).toEqual([]);
  });

  it.each(cases)(
    '$command: $key from its flag, its variable, and the flag over the variable',
    ({ spec, key }) => {
      const s: SettingSpec = SETTINGS[key];
      const [flagText, flagValue, envText, envValue] = SAMPLES[key] as readonly [
        string,
        unknown,
        string,
        unknown,
      ];
      const base = baseArgv(spec, key);
      const env = { [s.env as string]: envText };
      const fromFlag = parseCommand(spec, [...base, ...flagArgs(s, flagText)], {}, '/cwd').settings;
      const fromEnv = parseCommand(spec, base, env, '/cwd').settings;
      const both = parseCommand(spec, [...base, ...flagArgs(s, flagText)], env, '/cwd').settings;
      expect({ fromFlag: fromFlag[key], fromEnv: fromEnv[key], both: both[key] }).toEqual({
        fromFlag: flagValue,
        fromEnv: envValue,
        both: flagValue,
      });
    },
  );

  it('rejects a flag the command does not use, instead of ignoring it', () => {
    const verify = COMMANDS.find((c) => c.name === 'verify s3');
    expect(() =>
      parseCommand(
        verify as (typeof COMMANDS)[number],
        ['--bucket', 'b', '--root', '/r', '--lease-seconds', '9'],
        {},
        '/',
      ),
    ).toThrow(/verify s3: Unknown option '--lease-seconds'/);
  });
});

describe('resolveSettings', () => {
  it('reports every bad value at once, naming where it came from and what it received', () => {
    let caught: unknown;
    try {
      resolveSettings(['root', 'leaseSeconds', 'port'], {
        flags: { port: '99999' },
        env: { EFSINK_ROOT: 'relative', EFSINK_LEASE_SECONDS: 'soon' },
      });
    } catch (err) {
      caught = err;
    }
    expect(isEfsinkError(caught) && caught.code).toBe('CONFIG_INVALID');
    expect((caught as Error).message).toBe(
      'EFSINK_ROOT: must be an absolute path, got "relative"; EFSINK_LEASE_SECONDS: must be an integer from 2 to 3600, got "soon"; --port: must be an integer from 0 to 65535, got "99999"',
    );
  });

  it('is a usage error (CLI_USAGE) when only flags are wrong, and resolves relative paths against cwd', () => {
    expect(() => resolveSettings(['leaseSeconds'], { flags: { 'lease-seconds': '1' } })).toThrow(
      expect.objectContaining({
        code: 'CLI_USAGE',
        message: '--lease-seconds: must be an integer from 2 to 3600, got "1"',
      }),
    );
    expect(resolveSettings(['root'], { flags: { root: 'efs' }, cwd: '/work' }).root).toBe('/work/efs');
  });

  it('merges EFSINK_ACCESS_KEY and the JSON array in EFSINK_ACCESS_KEYS, and rejects a non-array', () => {
    const keys = resolveSettings(['accessKeys'], {
      env: { EFSINK_ACCESS_KEY: 'a', EFSINK_ACCESS_KEYS: '["b","c"]' },
    }).accessKeys;
    expect(keys).toEqual(['a', 'b', 'c']);
    expect(() => resolveSettings(['accessKeys'], { env: { EFSINK_ACCESS_KEYS: 'b' } })).toThrow(
      'EFSINK_ACCESS_KEYS: must be a JSON array of strings, got "b"',
    );
  });
});

describe('parseTime: ISO 8601 with a zone, now, or relative to now', () => {
  const now = Date.UTC(2026, 11, 2, 15, 0, 0);
  it.each([
    ['2025-08-06', Date.UTC(2025, 7, 6)],
    ['2025-08-06T14:00Z', Date.UTC(2025, 7, 6, 14)],
    ['2025-08-06T14:00:00.000+02:00', Date.UTC(2025, 7, 6, 12)],
    ['now', now],
    ['-90s', now - 90_000],
    ['-30m', now - 1_800_000],
    ['-2h', now - 7_200_000],
    ['-7d', now - 7 * 86_400_000],
  ])('%s', (text, ms) => {
    expect(parseTime(text, now)).toBe(ms);
  });

  it.each(['yesterday', '2025-08-06T14:00', '+2h', '-2w', '2h'])(
    'leaves %s unread (the schema rejects it)',
    (text) => {
      expect(parseTime(text, now)).toBe(text);
      expect(() => resolveSettings(['start'], { flags: { start: text }, nowMs: now })).toThrow(
        /--start: must be ISO 8601 with a zone .*, `now`, or relative \(-2h, -30m, -7d\)/,
      );
    },
  );
});
