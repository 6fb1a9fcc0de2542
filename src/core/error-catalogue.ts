/**
 * THE error catalogue: every code efsink raises or reports, with what it means to each caller.
 * `exit` is the CLI's exit code, `http` the status `efsink serve` answers Firehose with (`null`: the
 * receiver never raises it; anything unlisted answers 500), `retry` whether the source should deliver
 * the unit again (true: a later attempt can succeed without a change; false: the unit or the setup is
 * wrong and must be fixed first). docs/errors.md lists exactly these codes (checked by
 * `src/core/error-catalogue.test.ts`); a new code goes here AND there.
 *
 * Exit codes (the CLI): 0 ok, 1 a unit or file failed, 2 usage or configuration, 3 `efsink verify`
 * found differences, 70 internal error (EX_SOFTWARE of sysexits.h: a bug, not the input).
 *
 * Pure data and pure functions: the core may import it, and so may every adapter.
 */

export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  differences: 3,
  internal: 70,
} as const;

export interface CatalogueEntry {
  /** One line; docs/errors.md says more (raised by, what to do). */
  readonly meaning: string;
  readonly exit: 1 | 2 | 70;
  /** 499 is never sent (the client is gone): nginx's "client closed request", for the metrics. */
  readonly http: 400 | 401 | 413 | 499 | 500 | 503 | null;
  readonly retry: boolean;
}

const usage = (meaning: string): CatalogueEntry => ({ meaning, exit: 2, http: null, retry: false });
/** A unit the source sent is malformed: Firehose gets 400 (it retries every status but 413). */
const badUnit = (meaning: string, http: 400 | 413 | null = 400): CatalogueEntry => ({
  meaning,
  exit: 1,
  http,
  retry: false,
});
const failed = (meaning: string, retry: boolean): CatalogueEntry => ({ meaning, exit: 1, http: null, retry });

export const ERROR_CATALOGUE = {
  FORMAT_EMPTY: usage('the access-log format is empty'),
  FORMAT_TOO_LONG: usage('the access-log format is over the 3072-byte quota'),
  FORMAT_MULTILINE: usage('the access-log format has a newline before its last character'),
  FORMAT_MISSING_REQUEST_ID: usage('the access-log format has no $context.requestId'),
  FORMAT_FORBIDDEN_VARIABLE: usage('the access-log format references something other than $context'),
  FORMAT_INVALID_VARIABLE: usage('the access-log format has $context with no variable name'),
  FORMAT_UNSUPPORTED_SYNTAX: usage('the access-log format uses VTL formal or quiet references'),
  RENDER_INVALID_REQUEST_TIME: failed('an epoch cannot be rendered as an access-log time', false),
  GENERATE_INVALID_OPTIONS: usage('test-data generator options are out of range'),
  DECODE_INVALID_BASE64: badUnit('a base64 field is not canonical standard base64'),
  DECODE_INVALID_GZIP: badUnit('the bytes are not gzip, or are truncated'),
  DECODE_TOO_LARGE: badUnit('the decompressed unit exceeds the configured cap', 413),
  DECODE_INVALID_JSON: badUnit('the payload is not strict JSON'),
  DECODE_INVALID_ENVELOPE: badUnit(
    'the CloudWatch Logs subscription envelope lacks a field or has a wrong type',
  ),
  DECODE_INVALID_EVENT: badUnit('a log event lacks id, timestamp or message'),
  INPUT_INVALID_EVENT: badUnit('the Lambda event is not {"awslogs":{"data":…}}', null),
  INPUT_INVALID_JSON: badUnit('an input file is not JSON', null),
  LAYOUT_INVALID_TEMPLATE: usage('the path template is malformed'),
  LAYOUT_NAME_TOO_LONG: badUnit('a rendered file or directory name is over 255 bytes'),
  LAYOUT_PATH_ESCAPES_ROOT: badUnit('the path template rendered to an empty path'),
  CONFIG_INVALID: usage('a setting is missing or out of range'),
  CONFIG_MEMORY_BOUND_EXCEEDED: usage("the receiver's concurrency and body limits do not fit its memory"),
  CLI_USAGE: usage('unknown command or flag, or a missing or malformed flag value'),
  FS_SYMLINK_REFUSED: failed('a path under the root goes through a symlink; efsink never follows one', false),
  FS_: {
    meaning:
      'a system call failed with errno <name> (FS_ENOSPC, FS_EIO, FS_ESTALE; FS_ECONNREFUSED: the network)',
    exit: 1,
    http: 500,
    retry: true,
  },
  ASSEMBLE_OUTPUT_NOT_OURS: failed('an output file exists that no efsink journal describes', false),
  ASSEMBLE_OUTPUT_MISSING: failed('an output file with committed bytes was deleted or truncated', false),
  ASSEMBLE_LEASE_LOST: failed("the assembler's lease expired or was taken before a write", true),
  ASSEMBLE_FENCED: failed('the output file was replaced between journal and file open', true),
  ASSEMBLE_JOURNAL_CORRUPT: failed('a journal file is not valid', false),
  ASSEMBLE_FAILED: failed('a scheduled assembly pass had failed files (the message names the first)', true),
  SEGMENT_INVALID: failed('a landed segment file has no valid header or a short body', false),
  SOURCE_RETRIES_EXHAUSTED: failed('a source request kept failing with retryable errors', true),
  SOURCE_REQUEST_FAILED: failed('a source request failed with an error retrying cannot fix', false),
  BACKFILL_CHECKPOINT_CORRUPT: failed('a backfill checkpoint file is not valid', false),
  FIREHOSE_INVALID_REQUEST: badUnit('the body is not a Firehose HTTP endpoint request'),
  RECEIVER_UNAUTHORIZED: { meaning: 'the access key is missing or wrong', exit: 1, http: 401, retry: true },
  RECEIVER_BAD_REQUEST: badUnit('a missing or mismatched request id, bad encoding or method'),
  RECEIVER_BODY_TOO_LARGE: badUnit('the body exceeds --max-body-bytes', 413),
  RECEIVER_OVERLOADED: { meaning: 'every slot and the queue are full', exit: 1, http: 503, retry: true },
  RECEIVER_SHUTTING_DOWN: { meaning: 'the receiver is draining', exit: 1, http: 503, retry: true },
  RECEIVER_WRITE_FAILED: { meaning: 'landing the request failed', exit: 1, http: 500, retry: true },
  RECEIVER_CLIENT_GONE: {
    meaning: 'the client went away before its request was read in full',
    exit: 1,
    http: 499,
    retry: true,
  },
  // /healthz reasons (its 503), never an answer to Firehose.
  RECEIVER_SLOT_STUCK: failed('a request held its slot past 2 × the request timeout (/healthz)', true),
  RECEIVER_PROBE_TIMEOUT: failed('the /healthz write-and-fsync probe did not finish in time', true),
  RECEIVER_PROBE_FAILED: failed('the /healthz write-and-fsync probe failed', true),
  INPUT_INVALID_S3_NOTIFICATION: badUnit('an SQS message body is not an S3 event notification', null),
  INPUT_INVALID_S3_OBJECT: badUnit('an S3 object has no Firehose name and no LastModified', null),
  S3_: {
    meaning: 'S3 GetObject failed with the S3 error <name> (S3_NoSuchKey, S3_AccessDenied, …)',
    exit: 1,
    http: null,
    retry: true,
  },
  INPUT_INVALID_INVOCATION_RECORD: badUnit('the input is not a Lambda asynchronous-invocation record', null),
  INPUT_INVOCATION_RECORD_NO_PAYLOAD: badUnit(
    'the invocation record has no requestPayload (too large)',
    null,
  ),
  INPUT_UNSUPPORTED_PAYLOAD: badUnit("the record's requestPayload is not an event efsink ingests", null),
  INPUT_NOT_FIREHOSE_ERROR_RECORDS: badUnit('a backup object is not Firehose error records', null),
  SIMULATE_UNKNOWN_PRESET: usage('--format looks like a preset name but is not one'),
  SIMULATE_DELIVERY_FAILED: failed('a simulated delivery kept failing after every retry', false),
  SIMULATE_START_FAILED: failed('a helper server did not start', false),
  DEMO_ROOT_NOT_EMPTY: usage('efsink demo --root names a folder that has content'),
  INTERNAL: {
    meaning: 'an unexpected error (a bug): anything not otherwise coded',
    exit: 70,
    http: 500,
    retry: true,
  },
} as const satisfies Record<string, CatalogueEntry>;

type CatalogueKey = keyof typeof ERROR_CATALOGUE;
/** Families: `FS_<errno>` and `S3_<name>` are one entry each, keyed by their prefix. */
type Family = 'FS_' | 'S3_';
/** A code that may be thrown as an EfsinkError (families are reported, never thrown). */
export type ErrorCode = Exclude<CatalogueKey, Family>;
/** Any code efsink reports: a catalogue code or a member of a family. */
export type Code = ErrorCode | `FS_${string}` | `S3_${string}`;

const FAMILIES: readonly Family[] = ['FS_', 'S3_'];

/** The catalogue entry of a code, families included; unknown codes (another copy's) read as INTERNAL. */
export function entryOf(code: string): CatalogueEntry {
  const direct = (ERROR_CATALOGUE as Record<string, CatalogueEntry>)[code];
  if (direct !== undefined && !FAMILIES.includes(code as Family)) return direct;
  const family = FAMILIES.find((f) => code.startsWith(f) && code.length > f.length);
  return family !== undefined ? ERROR_CATALOGUE[family] : ERROR_CATALOGUE.INTERNAL;
}

/** True when `code` is in the catalogue (directly, or as a member of a family). */
export function isCatalogued(code: string): boolean {
  return entryOf(code) !== ERROR_CATALOGUE.INTERNAL || code === 'INTERNAL';
}

/** Linux errno of ESTALE (asm-generic/errno.h): Node 20's libuv has no name for it (test/nfs F3). */
const ESTALE_ERRNO = 116;

/**
 * THE code of any thrown value, used by the CLI, the receiver, the Lambdas' metrics and the
 * assembler, so one failure has one name everywhere:
 * - an efsink error: its code;
 * - an AWS SDK service error (it carries `$metadata`): `S3_<name>` (only S3 errors reach here
 *   unwrapped; CloudWatch Logs source errors are wrapped as SOURCE_* by the backfill);
 * - a Node system error: `FS_<errno name>` (ESTALE named although Node 20 does not name it);
 * - anything else: INTERNAL.
 */
export function codeOf(err: unknown): Code {
  if (err instanceof Error && err.name === 'EfsinkError') {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code as Code;
  }
  const e = err as { name?: unknown; $metadata?: unknown; code?: unknown; errno?: unknown } | null;
  if (e === null || typeof e !== 'object') return 'INTERNAL';
  if (e.$metadata !== undefined && typeof e.name === 'string') return `S3_${e.name}`;
  if (e.errno === -ESTALE_ERRNO) return 'FS_ESTALE';
  if (typeof e.code === 'string' && /^E[A-Z0-9]+$/.test(e.code)) return `FS_${e.code}`;
  return 'INTERNAL';
}

/** The CLI exit code for a failure with this code. */
export function exitCodeOf(code: string): number {
  return entryOf(code).exit;
}

/** The HTTP status `efsink serve` answers for this code (500 for codes the receiver never raises). */
export function httpStatusOf(code: string): number {
  return entryOf(code).http ?? 500;
}
