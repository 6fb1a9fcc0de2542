import { resolve } from 'node:path';
import * as z from 'zod/mini';
// The English messages alone: 'zod/locales' would load every language (50 modules at start-up).
import en from 'zod/v4/locales/en.js';
import { describeReceived, EfsinkError } from '../core/errors.js';
import {
  CLI_USAGE,
  CONFIG_INVALID,
  nameOf,
  parseTime,
  type ResolveOptions,
  SETTINGS,
  type SettingKey,
  type SettingSpec,
  type Settings,
  type ZodApi,
} from './settings.js';

// zod/mini with the English messages only: the full zod build is 450 KB of the Lambda bundle,
// this is 20 KB (measured with esbuild's metafile).
z.config(en());

/**
 * Reading and validating settings (the schema is settings.ts). Separate from it so that what only
 * describes settings (`efsink help`, usage lines) loads no zod.
 */

const API: ZodApi = {
  array: z.array,
  boolean: z.boolean,
  enum: z.enum,
  int: z.int,
  maximum: z.maximum,
  maxLength: z.maxLength,
  minimum: z.minimum,
  minLength: z.minLength,
  number: z.number,
  positive: z.positive,
  refine: z.refine,
  regex: z.regex,
  string: z.string,
  url: z.url,
};

const schemas = new Map<SettingKey, z.ZodMiniType>();

/** The zod schema of a setting, built once. */
function schemaOf(key: SettingKey): z.ZodMiniType {
  let schema = schemas.get(key);
  if (schema === undefined) {
    schema = (SETTINGS[key] as SettingSpec).schema(API);
    schemas.set(key, schema);
  }
  return schema;
}

interface Problem {
  readonly text: string;
  readonly fromEnv: boolean;
}

/**
 * Reads `keys` from flags, else the environment, else the defaults; converts text by kind;
 * validates each with its schema. All problems are reported at once: CONFIG_INVALID when any
 * concerns a variable, CLI_USAGE when all concern flags (both exit 2).
 */
export function resolveSettings<K extends SettingKey, D extends K = never>(
  keys: readonly K[],
  opts: ResolveOptions<K> & { readonly defaults?: Partial<Record<D, unknown>> },
): Settings<K, D> {
  const out: Record<string, unknown> = {};
  const problems: Problem[] = [];
  for (const key of keys) {
    const s: SettingSpec = SETTINGS[key];
    const fromFlag = opts.flags?.[s.flag];
    let raw: unknown;
    let origin: string;
    let fromEnv = false;
    if (fromFlag !== undefined && !(Array.isArray(fromFlag) && fromFlag.length === 0)) {
      raw = fromFlag;
      origin = `--${s.flag}`;
    } else {
      const env = envValue(s, opts.env ?? {});
      if (env.problem !== undefined) {
        problems.push({ text: env.problem, fromEnv: true });
        continue;
      }
      raw = env.value;
      origin = env.name ?? `--${s.flag}`;
      fromEnv = env.value !== undefined;
    }
    if (raw === undefined) {
      const d = opts.defaults !== undefined && key in opts.defaults ? opts.defaults[key] : s.default;
      if (d !== undefined) {
        out[key] = d;
        continue;
      }
      if ((s.required && !opts.optional?.includes(key)) || opts.required?.includes(key)) {
        problems.push({ text: `${nameOf(key)} is required`, fromEnv: s.env !== undefined });
      }
      continue;
    }
    const converted = convert(s, raw, opts);
    const parsed = z.safeParse(schemaOf(key), converted);
    if (!parsed.success) {
      const why = parsed.error.issues[0]?.message ?? 'invalid';
      problems.push({ text: `${origin}: ${why}, got ${describeReceived(raw)}`, fromEnv });
      continue;
    }
    out[key] = parsed.data;
  }
  if (problems.length > 0) {
    const code = problems.some((p) => p.fromEnv) ? CONFIG_INVALID : CLI_USAGE;
    throw new EfsinkError(code, problems.map((p) => p.text).join('; '));
  }
  return Object.freeze(out) as Settings<K, D>;
}

/** Values given as program objects (tests, the demo) through the same schemas and defaults. */
export function loadSettings<K extends SettingKey>(
  keys: readonly K[],
  input: Partial<Record<K, unknown>>,
): Settings<K> {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const key of keys) {
    const s: SettingSpec = SETTINGS[key];
    const value = input[key] ?? s.default;
    if (value === undefined) {
      if (s.required) problems.push(`${nameOf(key)} is required`);
      continue;
    }
    const parsed = z.safeParse(schemaOf(key), value);
    if (parsed.success) out[key] = parsed.data;
    else
      problems.push(
        `${nameOf(key)}: ${parsed.error.issues[0]?.message ?? 'invalid'}, got ${describeReceived(value)}`,
      );
  }
  const unknown = Object.keys(input).filter((k) => !(keys as readonly string[]).includes(k));
  for (const k of unknown) problems.push(`${k}: not a setting here (allowed: ${keys.join(', ')})`);
  if (problems.length > 0) throw new EfsinkError(CONFIG_INVALID, problems.join('; '));
  return Object.freeze(out) as Settings<K>;
}

function envValue(
  s: SettingSpec,
  env: NodeJS.ProcessEnv,
): { value?: unknown; name?: string; problem?: string } {
  const one = s.env !== undefined ? env[s.env] : undefined;
  const hasOne = one !== undefined && one !== '';
  if (s.kind !== 'list') return hasOne ? { value: one, name: s.env as string } : {};
  const values: unknown[] = hasOne ? [one] : [];
  const listText = s.envList !== undefined ? env[s.envList] : undefined;
  if (listText !== undefined && listText !== '') {
    let list: unknown;
    try {
      list = JSON.parse(listText);
    } catch {
      list = undefined;
    }
    if (!Array.isArray(list))
      return { problem: `${s.envList}: must be a JSON array of strings, got ${describeReceived(listText)}` };
    values.push(...list);
  }
  if (values.length === 0) return {};
  return { value: values, name: hasOne ? (s.env as string) : (s.envList as string) };
}

function convert(s: SettingSpec, raw: unknown, opts: { cwd?: string; nowMs?: number }): unknown {
  if (typeof raw !== 'string') return raw;
  switch (s.kind) {
    case 'int':
    case 'number':
      // A non-number stays text, so the message shows what was received.
      return /^-?\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : raw;
    case 'boolean':
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      return raw;
    case 'path':
      return opts.cwd !== undefined && raw !== '' ? resolve(opts.cwd, raw) : raw;
    case 'list':
      return [raw];
    case 'time':
      return parseTime(raw, opts.nowMs ?? Date.now());
    default:
      return raw;
  }
}
