import { CoreErrorCode, EfsinkError } from '../errors.js';

/** The default layout: one file per log group per UTC hour. */
export const DEFAULT_PATH_TEMPLATE = '{logGroup}/{yyyy}/{MM}/{dd}/{HH}.log';

/** Tokens filled from the delivery (strings) and from each entry's timestamp (UTC). */
export const STRING_TOKENS = ['logGroup', 'logStream', 'owner', 'source'] as const;
export const TIME_TOKENS = ['yyyy', 'MM', 'dd', 'HH'] as const;
export type StringToken = (typeof STRING_TOKENS)[number];
export type TemplateValues = Partial<Record<StringToken, string>>;

/** Longest file or directory name EFS accepts (EFS quotas: "Maximum length of a file name: 255 bytes"). */
export const MAX_NAME_BYTES = 255;
const HOUR_MS = 3_600_000;

type Part = { literal: string } | { token: StringToken } | { time: (typeof TIME_TOKENS)[number] };

/** A validated template, compiled once at start-up. */
export interface PathTemplate {
  readonly source: string;
  /** The template's parts, per `/`-separated literal segment of the template. */
  readonly segments: readonly (readonly Part[])[];
  readonly usesTime: boolean;
  /** Index of the segment that is exactly `{logGroup}` (the first one), which may become several directories. */
  readonly run: number | undefined;
  /**
   * Which directory names are written marked (`%_` in front; see renderPath), so that no path can
   * be a directory of another: a name matching `pattern`, among the run's names from `fromIndex` on
   * (and, when `suffixToo`, among the directories after the run).
   */
  readonly guard: { readonly pattern: RegExp; readonly fromIndex: number; readonly suffixToo: boolean };
}

/**
 * Parses and validates a template such as `{logGroup}/{yyyy}/{MM}/{dd}/{HH}.log`.
 * Literal text must itself be a safe relative path: no leading `/`, no `.`/`..` or dot-leading
 * segments (names starting with `.` are reserved for efsink's own state directory `.efsink`).
 */
export function compilePathTemplate(source: string): PathTemplate {
  const fail = (why: string): never => {
    throw new EfsinkError(CoreErrorCode.invalidTemplate, `path template ${JSON.stringify(source)}: ${why}`);
  };
  if (source.length === 0) fail('is empty');
  if (source.startsWith('/')) fail('must be relative (no leading "/")');
  if (source.endsWith('/')) fail('must end with a file name, not "/"');
  if (source.includes('\0')) fail('contains NUL');
  let usesTime = false;
  const segments = source.split('/').map((seg) => {
    const tokens = new Set([...seg.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]));
    const strings = STRING_TOKENS.filter((t) => tokens.has(t));
    if (strings.length > 1)
      fail(
        `segment ${JSON.stringify(seg)} holds ${strings.map((t) => `{${t}}`).join(' and ')}: their values could not be told apart in one name (put each in its own segment)`,
      );
    if (seg.length === 0) fail('has an empty segment ("//")');
    if (seg.startsWith('.')) fail(`segment ${JSON.stringify(seg)} starts with "." (reserved)`);
    const parts: Part[] = [];
    const re = /\{([^{}]*)\}|([^{}]+)|([{}])/g;
    for (const m of seg.matchAll(re)) {
      if (m[3] !== undefined) fail(`unbalanced "${m[3]}"`);
      if (m[2] !== undefined) parts.push({ literal: m[2] });
      else {
        const name = m[1] as string;
        if ((TIME_TOKENS as readonly string[]).includes(name)) {
          usesTime = true;
          parts.push({ time: name as (typeof TIME_TOKENS)[number] });
        } else if ((STRING_TOKENS as readonly string[]).includes(name)) {
          parts.push({ token: name as StringToken });
        } else {
          fail(
            `unknown token {${name}} (allowed: ${[...STRING_TOKENS, ...TIME_TOKENS].map((t) => `{${t}}`).join(' ')})`,
          );
        }
      }
    }
    return parts;
  });
  const index = segments.findIndex((parts) => isRun(parts));
  const run = index === -1 ? undefined : index;
  return { source, segments, usesTime, run, guard: guardOf(segments, run) };
}

function isRun(parts: readonly Part[]): boolean {
  const only = parts.length === 1 ? parts[0] : undefined;
  return only !== undefined && 'token' in only && only.token === 'logGroup';
}

/**
 * Paths differ in length only through the run (the log group's directories; none for an empty log
 * group), so a path P can be a directory of a longer path Q only if Q's run starts with P's run and
 * then has more names. Two guards rule it out, whichever marks fewer everyday names:
 * - the file name has no value in it (`{HH}.log`): P's file name would be one of Q's run names at
 *   index ≥ (segments after the run) − 1, or one of Q's directories after the run — mark those
 *   matching the file name's pattern (`\d{2}\.log`);
 * - otherwise: Q's run name right after P's run would equal P's first segment after the run — mark
 *   run names matching that segment's pattern;
 * - the run is the file name itself: every directory of the run is marked.
 */
function guardOf(segments: readonly (readonly Part[])[], run: number | undefined): PathTemplate['guard'] {
  const none = { pattern: /$^/, fromIndex: 0, suffixToo: false };
  if (run === undefined) return none; // every path has the same number of names
  const after = segments.length - 1 - run;
  if (after === 0) return { pattern: /^/, fromIndex: 0, suffixToo: false };
  const file = segments[segments.length - 1] as readonly Part[];
  if (file.every((p) => !('token' in p)))
    return { pattern: segmentPattern(file), fromIndex: after - 1, suffixToo: true };
  return { pattern: segmentPattern(segments[run + 1] as readonly Part[]), fromIndex: 0, suffixToo: false };
}

/** A pattern for every name one template segment can render to (string values: anything). */
function segmentPattern(parts: readonly Part[]): RegExp {
  let re = '';
  for (const part of parts) {
    if ('literal' in part) re += encodeBytes(part.literal, false).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    else if ('time' in part) re += part.time === 'yyyy' ? '[-0-9]{4,}' : '\\d{2}';
    else re += '.*';
  }
  return new RegExp(`^${re}$`, 's');
}

/** API Gateway names its execution-log groups `API-Gateway-Execution-Logs_{rest-api-id}/{stage}`. */
const EXECUTION_LOG_GROUP_PREFIX = 'API-Gateway-Execution-Logs_';
/**
 * Written for a value that renders to nothing, and in front of a directory name that could be taken
 * for a file name. encodeName never writes `%` other than before two upper-case hex digits, so no
 * value renders to a name starting with `%_`.
 */
export const MARK = '%_';

/**
 * Renders the relative output path for an entry (docs/adr/0014-names-and-confinement.md). Values from
 * the delivery are untrusted; the mapping is injective, and no path is a directory of another:
 *
 * - A segment that is exactly `{logGroup}` becomes directories, one per `/`-separated part, when the
 *   name has one of the everyday shapes: `/a/b[/…]` (a leading `/`, at least two parts; the `/` is
 *   dropped: `/aws/apigateway/prod` → `aws/apigateway/prod`), a single part `a`, or
 *   `API-Gateway-Execution-Logs_…/b[/…]` — with no empty part. Any other log group (`g/prod`, `/g`,
 *   `g//prod/`) is one directory named after the whole value, `/` written `%2F` (`g%2Fprod`).
 * - Every other segment is one name: its literal text, time parts and values, `/` written `%2F`.
 * - Every name is percent-encoded outside a safe set, a leading `.` too (encodeName), so a path can
 *   never escape the root, hide a file or collide with `.efsink`. An empty log group adds no
 *   directory; any other segment that renders to nothing is written `%_`.
 * - A directory name that matches what the last segment can render (`{HH}.log` → `\d{2}\.log`) is
 *   written with `%_` in front, so log group `a/2025/08/06/14.log` can never turn group `a`'s
 *   hour-14 file into a directory.
 *
 * Injective because: the names of the everyday shapes never contain `%2F` and the others always do;
 * the two everyday shapes differ in their first part or their count of parts; encodeName is
 * injective per name; each other segment is one name with at most one value (compilePathTemplate).
 */
export function renderPath(template: PathTemplate, values: TemplateValues, timestampMs: number): string {
  const d = template.usesTime ? new Date(timestampMs) : undefined;
  const { run, guard, segments } = template;
  const mark = (name: string) => (guard.pattern.test(name) ? `${MARK}${name}` : name);
  const names: string[] = [];
  segments.forEach((parts, index) => {
    if (index === run) {
      const runNames = logGroupNames(values.logGroup ?? '', index === segments.length - 1);
      const dirs = index === segments.length - 1 ? runNames.length - 1 : runNames.length;
      runNames.forEach((name, k) => {
        names.push(k >= guard.fromIndex && k < dirs ? mark(name) : name);
      });
      return;
    }
    const name = renderSegment(parts, values, d);
    const isSuffixDir = run !== undefined && index > run && index < segments.length - 1;
    names.push(isSuffixDir && guard.suffixToo ? mark(name) : name);
  });
  return names.join('/');
}

function renderSegment(parts: readonly Part[], values: TemplateValues, d: Date | undefined): string {
  let seg = '';
  for (const part of parts) {
    if ('literal' in part) seg += part.literal;
    else if ('time' in part) seg += timePart(d as Date, part.time);
    else seg += values[part.token] ?? '';
  }
  return seg.length === 0 ? MARK : encodeName(seg);
}

/** The names a log group becomes (see renderPath). */
function logGroupNames(logGroup: string, isFile: boolean): string[] {
  // No directory for an empty log group (Firehose records with no log group and no source), as before.
  if (logGroup.length === 0) return isFile ? [MARK] : [];
  const slash = logGroup.startsWith('/');
  const parts = (slash ? logGroup.slice(1) : logGroup).split('/');
  const everyday =
    parts.every((p) => p.length > 0) &&
    (slash
      ? parts.length >= 2 && !(parts[0] as string).startsWith(EXECUTION_LOG_GROUP_PREFIX)
      : parts.length === 1 || (parts[0] as string).startsWith(EXECUTION_LOG_GROUP_PREFIX));
  return everyday ? parts.map(encodeName) : [encodeName(logGroup)];
}

/** The UTC hour (ms since epoch, floored) an entry belongs to; paths are equal within one hour. */
export function hourOf(timestampMs: number): number {
  return Math.floor(timestampMs / HOUR_MS) * HOUR_MS;
}

function timePart(d: Date, token: (typeof TIME_TOKENS)[number]): string {
  switch (token) {
    case 'yyyy':
      return String(d.getUTCFullYear()).padStart(4, '0');
    case 'MM':
      return String(d.getUTCMonth() + 1).padStart(2, '0');
    case 'dd':
      return String(d.getUTCDate()).padStart(2, '0');
    case 'HH':
      return String(d.getUTCHours()).padStart(2, '0');
  }
}

const SAFE = /[A-Za-z0-9._\-#=+@,~]/;

function encodeBytes(text: string, atStart: boolean): string {
  let out = '';
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const ch = String.fromCharCode(b);
    if (b < 0x80 && SAFE.test(ch) && !(atStart && i === 0 && ch === '.')) out += ch;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Percent-encodes a single name (UTF-8 bytes) outside the safe set (`/` becomes `%2F`); a leading `.`
 * is encoded too. Upper-case hex digits, always two.
 */
export function encodeName(name: string): string {
  const out = encodeBytes(name, true);
  if (Buffer.byteLength(out) > MAX_NAME_BYTES) {
    throw new EfsinkError(
      CoreErrorCode.nameTooLong,
      `path name ${JSON.stringify(`${out.slice(0, 40)}…`)} is ${Buffer.byteLength(out)} bytes once encoded (max ${MAX_NAME_BYTES})`,
    );
  }
  return out;
}
