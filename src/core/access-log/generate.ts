import { EfsinkError } from '../errors.js';
import { AccessLogErrorCode } from './errors.js';
import { type AccessLogFormat, parseAccessLogFormat } from './format.js';
import { generateRequestContext, type RequestContextScope } from './generate-context.js';
import { ACCESS_LOG_PRESETS, type AccessLogPresetName } from './presets.js';
import { createPrng, type Prng } from './prng.js';
import { type AccessLogContext, renderAccessLog } from './render.js';
import { utf8ByteLength } from './utf8.js';

/** Options for {@link generateAccessLogEntries}. Same options, same output, byte for byte. */
export interface GenerateAccessLogOptions extends RequestContextScope {
  /** Any integer; it is taken modulo 2^32. */
  readonly seed: number;
  /** Number of lines. */
  readonly count: number;
  /** Epoch of the first request, in ms. Later requests follow at random gaps. */
  readonly startEpochMs: number;
  /** @default `rest-clf`, unless `format` is given */
  readonly preset?: AccessLogPresetName;
  /** A custom format; takes precedence over `preset`. It is not validated here. */
  readonly format?: string;
  /** Mean gap between requests in ms; gaps are uniform in [0, 2 × mean]. @default 20 */
  readonly meanIntervalMs?: number;
  /** End every line with `\n` (appended to the format unless it already ends with one). @default false */
  readonly trailingNewline?: boolean;
  /** How many lines are made longer than 64 KiB. @default 0 */
  readonly longLines?: number;
  /** Exact UTF-8 size of each long line. @default a random size in [65 536, 262 144] per line */
  readonly longLineBytes?: number;
  /** Make one line about 1 MB. @default false */
  readonly hugeLine?: boolean;
  /**
   * Exact UTF-8 size of the huge line. The default stays under both one Firehose record (1,024,000
   * bytes) and one CloudWatch Logs event (1 MB less 26 bytes of overhead), so the line can travel
   * every ingestion path (aws-facts.md §2–3). @default 1_000_000
   */
  readonly hugeLineBytes?: number;
}

/** One generated request: its context and the line API Gateway would write for it. */
export interface GeneratedAccessLogEntry {
  readonly context: AccessLogContext;
  readonly line: string;
}

/**
 * Variables that can carry a long value, in order of preference: the first one the format uses is
 * padded. Presets all use `resourcePath` (REST) or `routeKey` (HTTP API).
 */
const PADDABLE: ReadonlyArray<readonly [string, string]> = [
  ['resourcePath', '/bulk/'],
  ['routeKey', 'POST /bulk/'],
  ['path', '/bulk/'],
  ['identity.userAgent', 'bulk-client/1.0 '],
];

// Padding with multi-byte characters but no delimiter of any preset (space , " < > [ ]).
const PAD_UNIT = 'abcdefghijklmnopqrstuvwxyz0123456789-_.~é日本🎉';
const PAD_UNIT_BYTES = utf8ByteLength(PAD_UNIT);

/**
 * Deterministic realistic access-log lines for tests, the benchmark and the demo. Pure: time comes
 * from `startEpochMs`, randomness from `seed` (mulberry32), never from the clock or Math.random.
 *
 * Long lines pad the first variable of `resourcePath`, `routeKey`, `path`, `identity.userAgent` that
 * the format uses, to the exact requested size (counting a trailing `\n`). When that variable appears
 * more than once the size is approximate (at most the requested size).
 *
 * @example
 * generateAccessLogLines({ seed: 7, count: 1000, startEpochMs: Date.UTC(2024, 0, 1), preset: 'http-json',
 *   longLines: 3, hugeLine: true, trailingNewline: true });
 */
export function generateAccessLogEntries(options: GenerateAccessLogOptions): GeneratedAccessLogEntry[] {
  return [...iterateAccessLogEntries(options)];
}

/**
 * The same entries as {@link generateAccessLogEntries}, one at a time, so a benchmark can stream millions
 * of lines without holding them. Options are checked at the call, not at the first `next()`.
 *
 * @example
 * for (const { line } of iterateAccessLogEntries({ seed: 1, count: 1e6, startEpochMs: 0 })) sink.write(line);
 */
export function iterateAccessLogEntries(
  options: GenerateAccessLogOptions,
): IterableIterator<GeneratedAccessLogEntry> {
  const { count, startEpochMs } = options;
  const longLines = options.longLines ?? 0;
  const meanIntervalMs = options.meanIntervalMs ?? 20;
  const special = longLines + (options.hugeLine === true ? 1 : 0);
  if (!Number.isSafeInteger(count) || count < 0)
    invalid(`count must be a non-negative integer, got ${count}`);
  if (!Number.isFinite(startEpochMs)) invalid(`startEpochMs must be finite, got ${startEpochMs}`);
  if (!(meanIntervalMs >= 0)) invalid(`meanIntervalMs must be ≥ 0, got ${meanIntervalMs}`);
  if (!Number.isSafeInteger(longLines) || longLines < 0) invalid(`longLines must be ≥ 0, got ${longLines}`);
  if (special > count) invalid(`${special} long or huge line(s) requested but count is ${count}`);

  let source = options.format ?? ACCESS_LOG_PRESETS[options.preset ?? 'rest-clf'];
  if (options.trailingNewline === true && !source.endsWith('\n')) source += '\n';
  const format = parseAccessLogFormat(source);
  const padded = PADDABLE.find(([name]) => format.variables.includes(name));
  if (special > 0 && padded === undefined) {
    invalid(`long lines need the format to use one of ${PADDABLE.map(([n]) => `$context.${n}`).join(', ')}`);
  }
  const prng = createPrng(options.seed);
  const sizes = planLineSizes(prng, count, longLines, options);
  return (function* () {
    let epochMs = startEpochMs;
    for (let i = 0; i < count; i++) {
      const context = generateRequestContext(prng, epochMs, options);
      const targetBytes = sizes.get(i);
      yield targetBytes === undefined || padded === undefined
        ? { context, line: renderAccessLog(format, context) }
        : padToSize(format, context, padded, targetBytes);
      epochMs += Math.floor(prng.next() * (2 * meanIntervalMs + 1));
    }
  })();
}

/** The lines alone; see {@link generateAccessLogEntries}. */
export function generateAccessLogLines(options: GenerateAccessLogOptions): string[] {
  return generateAccessLogEntries(options).map((entry) => entry.line);
}

/** Line index → exact target size, for the long and huge lines, at distinct random positions. */
function planLineSizes(
  prng: Prng,
  count: number,
  longLines: number,
  options: GenerateAccessLogOptions,
): Map<number, number> {
  const sizes = new Map<number, number>();
  const place = (bytes: number): void => {
    let index = prng.int(0, count - 1);
    while (sizes.has(index)) index = (index + 1) % count;
    sizes.set(index, bytes);
  };
  if (options.hugeLine === true) place(options.hugeLineBytes ?? 1_000_000);
  for (let i = 0; i < longLines; i++) place(options.longLineBytes ?? prng.int(65_536, 262_144));
  return sizes;
}

function padToSize(
  format: AccessLogFormat,
  context: AccessLogContext,
  [name, prefix]: readonly [string, string],
  targetBytes: number,
): GeneratedAccessLogEntry {
  const occurrences = format.parts.filter((p) => p.kind === 'variable' && p.name === name).length;
  const baseBytes = utf8ByteLength(renderAccessLog(format, { ...context, [name]: prefix }));
  const padBytes = Math.floor((targetBytes - baseBytes) / occurrences);
  if (padBytes < 0)
    invalid(`a line of ${targetBytes} bytes was requested but the line is ${baseBytes} bytes unpadded`);
  const padding =
    PAD_UNIT.repeat(Math.floor(padBytes / PAD_UNIT_BYTES)) + 'x'.repeat(padBytes % PAD_UNIT_BYTES);
  const paddedContext = { ...context, [name]: prefix + padding };
  return { context: paddedContext, line: renderAccessLog(format, paddedContext) };
}

function invalid(message: string): never {
  throw new EfsinkError(AccessLogErrorCode.invalidGeneratorOptions, `generateAccessLogLines: ${message}`);
}
