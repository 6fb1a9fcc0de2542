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
  return { source, segments, usesTime };
}

/**
 * Renders the relative output path for an entry. Values from the delivery are untrusted: a `/` in a
 * value separates directories (log group names are path-like), empty segments are dropped, and
 * every resulting name is encoded so that it cannot be `.`, `..`, start with `.`, or contain NUL,
 * `%` or other bytes outside a safe set — so the result is confined under the root by construction
 * and the encoding is injective (two different log groups never share a file).
 */
export function renderPath(template: PathTemplate, values: TemplateValues, timestampMs: number): string {
  const d = template.usesTime ? new Date(timestampMs) : undefined;
  const names: string[] = [];
  for (const parts of template.segments) {
    let seg = '';
    for (const part of parts) {
      if ('literal' in part) seg += part.literal;
      else if ('time' in part) seg += timePart(d as Date, part.time);
      else seg += (values[part.token] ?? '').replace(/\//g, '\0/');
    }
    // Values may have introduced separators (marked as "\0/" above so that literal text is never split).
    for (const name of seg.split('\0/')) {
      if (name.length === 0) continue;
      names.push(encodeName(name));
    }
  }
  if (names.length === 0) {
    throw new EfsinkError(
      CoreErrorCode.pathEscapesRoot,
      `path template ${JSON.stringify(template.source)} rendered to an empty path`,
    );
  }
  return names.join('/');
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

/** Percent-encodes a single name (UTF-8 bytes) outside the safe set; a leading `.` is encoded too. */
export function encodeName(name: string): string {
  let out = '';
  const bytes = Buffer.from(name, 'utf8');
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i] as number;
    const ch = String.fromCharCode(b);
    if (b < 0x80 && SAFE.test(ch) && !(i === 0 && ch === '.')) out += ch;
    else out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (Buffer.byteLength(out) > MAX_NAME_BYTES) {
    throw new EfsinkError(
      CoreErrorCode.nameTooLong,
      `path name ${JSON.stringify(`${out.slice(0, 40)}…`)} is ${Buffer.byteLength(out)} bytes once encoded (max ${MAX_NAME_BYTES})`,
    );
  }
  return out;
}
