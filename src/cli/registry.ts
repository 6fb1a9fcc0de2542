import { RECEIVER_KEYS } from '../config/receiver-keys.js';
import { SETTINGS, type SettingKey, type SettingSpec, type Settings } from '../config/settings.js';

/**
 * Every command: its usage, the settings it reads (src/config/settings.ts) and how to load its code.
 * Only `load` imports the command's module, so `efsink help` and `efsink X --help` load no AWS SDK,
 * no pino and no prom-client, and each command loads only what it uses (issue 13).
 */

export interface CommandContext<K extends SettingKey, D extends SettingKey = never> {
  readonly settings: Settings<K, D>;
  readonly positionals: readonly string[];
  readonly out: NodeJS.WritableStream;
}

/** Each command module types its own context; the registry only passes the resolved settings on. */
export type CommandRun = (ctx: {
  // biome-ignore lint/suspicious/noExplicitAny: the settings are resolved from the same spec's keys.
  readonly settings: any;
  readonly positionals: readonly string[];
  readonly out: NodeJS.WritableStream;
}) => Promise<number>;

export interface CommandSpec {
  /** `ingest cloudwatch`, `serve`. */
  readonly name: string;
  /** Positional arguments, for the usage line (`[FILE...]`); commands without it take none. */
  readonly positionals?: string;
  readonly description: string;
  readonly settings: readonly SettingKey[];
  /** Per-command defaults replacing the schema's. */
  readonly defaults?: Readonly<Partial<Record<SettingKey, unknown>>>;
  /** Keys this command requires although the schema does not. */
  readonly required?: readonly SettingKey[];
  /** Keys the schema requires that this command does not (demo's --root). */
  readonly optional?: readonly SettingKey[];
  readonly load: () => Promise<CommandRun>;
}

/**
 * Each command lists exactly the settings it consults, so no flag is accepted and ignored
 * (`verify` takes no --lease-seconds; only `ingest cloudwatch` can assemble after ingest).
 */
const ASSEMBLY = [
  'leaseSeconds',
  'segmentRetentionSeconds',
  'sealAfterSeconds',
  'maxBatchBytes',
  'assembleConcurrency',
] as const;
const SOURCE = ['endpoint', 'region', 'rate', 'maxAttempts', 'retryBaseMs'] as const;
/** FilterLogEvents: 5 TPS per account and Region, not adjustable (CloudWatch Logs quotas); leave 1 for others. */
export const DEFAULT_CLOUDWATCH_RATE_PER_SECOND = 4;
/** S3 serves thousands of GETs per second per prefix; this is courtesy towards the live path, not a quota. */
export const DEFAULT_S3_RATE_PER_SECOND = 50;
const SILENT = { logLevel: 'silent' } as const;

export const INGEST_CLOUDWATCH_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  'assembleAfterIngest',
  ...ASSEMBLY,
  'logLevel',
  'json',
] as const;
export const INGEST_S3_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  'bucket',
  'key',
  'versionId',
  'logGroup',
  'endpoint',
  'region',
  'logLevel',
  'json',
] as const;
export const SERVE_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  ...ASSEMBLY,
  'logLevel',
  ...RECEIVER_KEYS,
] as const;
export const ASSEMBLE_KEYS = ['root', ...ASSEMBLY, 'logLevel', 'json'] as const;
export const BACKFILL_CLOUDWATCH_KEYS = [
  'root',
  'pathTemplate',
  ...ASSEMBLY,
  'logGroup',
  'start',
  'end',
  ...SOURCE,
  'owner',
  'noAssemble',
  'progressIntervalMs',
  'logLevel',
  'json',
] as const;
export const BACKFILL_S3_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  ...ASSEMBLY,
  'bucket',
  'prefix',
  ...SOURCE,
  'logGroup',
  'pageSize',
  'noAssemble',
  'progressIntervalMs',
  'logLevel',
  'json',
] as const;
const VERIFY_COMMON = ['samples', 'partitions', 'tempDir', 'progressIntervalMs', 'logLevel', 'json'] as const;
export const VERIFY_CLOUDWATCH_KEYS = [
  'root',
  'pathTemplate',
  'logGroup',
  'start',
  'end',
  ...SOURCE,
  'owner',
  ...VERIFY_COMMON,
] as const;
export const VERIFY_S3_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  'bucket',
  'prefix',
  ...SOURCE,
  'logGroup',
  'pageSize',
  ...VERIFY_COMMON,
] as const;
export const REPLAY_LAMBDA_FAILURES_KEYS = [
  'root',
  'pathTemplate',
  'maxDecompressedBytes',
  ...ASSEMBLY,
  'queue',
  'endpoint',
  'region',
  'waitSeconds',
  'visibilityTimeoutSeconds',
  'maxMessages',
  's3Endpoint',
  'logGroup',
  'noAssemble',
  'logLevel',
  'json',
] as const;
export const REPLAY_FIREHOSE_BACKUP_KEYS = [...BACKFILL_S3_KEYS, 'deliveryStream'] as const;
export const DEMO_KEYS = ['root', 'requests', 'seed', 'json'] as const;
export const SIMULATE_KEYS = [
  'path',
  'root',
  'format',
  'trailingNewline',
  'requests',
  'concurrency',
  'seed',
  'logGroup',
  'start',
  'gzip',
  'proxy',
  'duplicateEvery',
  'json',
] as const;

export const COMMANDS: readonly CommandSpec[] = [
  {
    name: 'ingest cloudwatch',
    positionals: '[FILE...]',
    description:
      'Lands CloudWatch Logs subscription Lambda events (JSON files, or stdin when no FILE) durably under\n--root. Exit 0 only when every unit is durable.',
    settings: INGEST_CLOUDWATCH_KEYS,
    defaults: SILENT,
    load: () => import('./commands/ingest-cloudwatch.js').then((m) => m.ingestCloudWatchCommand),
  },
  {
    name: 'ingest s3',
    description:
      "Lands one S3 object written by Firehose (the S3 path's Lambda code). Credentials and Region from\nthe AWS SDK's chain (AWS_REGION, ~/.aws/config) unless --region is given.",
    settings: INGEST_S3_KEYS,
    defaults: SILENT,
    required: ['bucket', 'key'],
    load: () => import('./commands/ingest-s3.js').then((m) => m.ingestS3Command),
  },
  {
    name: 'serve',
    description:
      "Firehose HTTP endpoint receiver: answers 200 only once a request's records are durable under\n--root, assembles the hourly files every few seconds, /healthz and /metrics (Prometheus).\nSIGTERM/SIGINT: stop accepting, drain, final assembly pass, exit 0.",
    settings: SERVE_KEYS,
    load: () => import('./commands/serve.js').then((m) => m.serveCommand),
  },
  {
    name: 'assemble',
    description:
      'One assembly pass: appends landed segments exactly once to the output files under --root.\nExit 0 when every file was assembled or is busy (held by another assembler); 1 if any failed.',
    settings: ASSEMBLE_KEYS,
    defaults: SILENT,
    load: () => import('./commands/assemble.js').then((m) => m.assembleCommand),
  },
  {
    name: 'backfill cloudwatch',
    description:
      "Copies the log group's events in [--start, --end) onto --root through the same landing and\nassembly as the live path. Events already on EFS (by event id) are skipped. Resumable: rerun the\nsame command after a crash. --rate defaults to 4 FilterLogEvents requests/s (the account-wide\nquota is 5). Exit 0 when every page is durable and assembled.",
    settings: BACKFILL_CLOUDWATCH_KEYS,
    defaults: { ...SILENT, rate: DEFAULT_CLOUDWATCH_RATE_PER_SECOND },
    required: ['logGroup', 'start', 'end'],
    load: () => import('./commands/backfill-cloudwatch.js').then((m) => m.backfillCloudWatchCommand),
  },
  {
    name: 'backfill s3',
    description:
      "Lands every object under --prefix (keys ending in / skipped) through the S3 path's own code.\nObjects the live S3 path already landed are no-ops. Resumable: a rerun lists after the last key\nhandled and retries objects that failed. --rate defaults to 50 S3 requests/s. A bad object is\nreported with its code and the others continue; exit 1 if any object failed.",
    settings: BACKFILL_S3_KEYS,
    defaults: { ...SILENT, rate: DEFAULT_S3_RATE_PER_SECOND },
    required: ['bucket'],
    load: () => import('./commands/backfill-s3.js').then((m) => m.backfillS3Command),
  },
  {
    name: 'verify cloudwatch',
    description:
      'Reads the source and the assembled files the range maps to (widened to whole hours) and reports\nmissing, extra and duplicated lines with samples; segments landed but not yet assembled are\nreported apart. Bounded memory. Exit 0 on an exact match, 3 on differences, 1 if it could not run.',
    settings: VERIFY_CLOUDWATCH_KEYS,
    defaults: { ...SILENT, rate: DEFAULT_CLOUDWATCH_RATE_PER_SECOND },
    required: ['logGroup', 'start', 'end'],
    load: () => import('./commands/verify-cloudwatch.js').then((m) => m.verifyCloudWatchCommand),
  },
  {
    name: 'verify s3',
    description:
      'Reads every object under --prefix, frames it as the S3 path does and compares its lines with the\nassembled files, as verify cloudwatch does. Unreadable objects are listed and prevent an exact\nmatch. Exit 0 on an exact match, 3 on differences, 1 if it could not run.',
    settings: VERIFY_S3_KEYS,
    defaults: { ...SILENT, rate: DEFAULT_S3_RATE_PER_SECOND },
    required: ['bucket'],
    load: () => import('./commands/verify-s3.js').then((m) => m.verifyS3Command),
  },
  {
    name: 'replay lambda-failures',
    positionals: '[FILE...]',
    description:
      "Re-lands the events of failed asynchronous Lambda invocations: Lambda invocation records as an\non-failure destination holds them (SQS message body, SNS message, S3 object, EventBridge detail;\nJSON or JSON Lines; stdin when no FILE). Each record's requestPayload goes through the live path's\nown code (CloudWatch Logs subscription event, or SQS batch of S3 notifications), so what already\nlanded is a no-op. --queue drains the queue (--endpoint, --region: SQS), deleting a message only\nonce its payload is durable. A record without payload or with another payload is reported with its\ncode; the others land. Exit 0 only when every record landed (or was already there).",
    settings: REPLAY_LAMBDA_FAILURES_KEYS,
    defaults: SILENT,
    load: () => import('./commands/replay-lambda-failures.js').then((m) => m.replayLambdaFailuresCommand),
  },
  {
    name: 'replay firehose-backup',
    description:
      "Re-lands the records of the Firehose HTTP endpoint's S3 backup (the error records under the\nstream's failed-data prefix, http-endpoint-failed/ in FirehoseHttpEndpointToEfs) exactly as\nefsink serve would have: same framing, same routing, the receiver's request-timestamp pin; what\nthe receiver already landed for a request is left out. Pass the receiver's --log-group. An object\nthat is not Firehose error records is refused with its code; the others land. Resumable: rerun the\nsame command after a crash (checkpoint of the last key, as backfill s3).",
    settings: REPLAY_FIREHOSE_BACKUP_KEYS,
    defaults: { ...SILENT, rate: DEFAULT_S3_RATE_PER_SECOND },
    required: ['bucket', 'prefix'],
    load: () => import('./commands/replay-firehose-backup.js').then((m) => m.replayFirehoseBackupCommand),
  },
  {
    name: 'demo',
    description:
      'The whole system on this machine, a folder standing in for EFS: a local API Gateway renders\naccess logs and sends them through all three paths (CloudWatch Logs → the Lambda code; Firehose →\nHTTP endpoint → the receiver; Firehose → S3 → SQS event → the Lambda code) with redeliveries,\nthen assembles and checks every file byte for byte. Exit 0 only if all paths are byte-exact.\nWithout --root a temporary folder is used and removed.',
    settings: DEMO_KEYS,
    defaults: { requests: 1000, seed: 7 },
    optional: ['root'],
    load: () => import('./commands/demo.js').then((m) => m.demoCommand),
  },
  {
    name: 'simulate',
    description:
      'A local API Gateway answers --requests requests, renders each with the access-log format (a\npreset: rest-clf, rest-json, rest-xml, rest-csv, http-clf, http-json, http-xml, http-csv; or your\nown, validated as API Gateway would) and delivers the lines through one path into --root, then one\nassembly pass and a byte-exact check. --start sets the simulated clock (default: the wall clock).',
    settings: SIMULATE_KEYS,
    defaults: { requests: 200, seed: 1 },
    required: ['path'],
    load: () => import('./commands/simulate.js').then((m) => m.simulateCommand),
  },
];

/** The command named by the first one or two words of argv, and the rest. */
export function findCommand(
  argv: readonly string[],
): { spec: CommandSpec; rest: readonly string[] } | { group: string; sources: string[] } | undefined {
  const [first, second] = argv;
  const one = COMMANDS.find((c) => c.name === first);
  if (one !== undefined) return { spec: one, rest: argv.slice(1) };
  const two = COMMANDS.find((c) => c.name === `${first} ${second}`);
  if (two !== undefined) return { spec: two, rest: argv.slice(2) };
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `));
  if (group.length > 0)
    return { group: first as string, sources: group.map((c) => c.name.split(' ')[1] as string) };
  return undefined;
}

function flagOf(key: SettingKey): string {
  const s: SettingSpec = SETTINGS[key];
  return s.arg !== undefined ? `--${s.flag} ${s.arg}` : `--${s.flag}`;
}

function isRequired(spec: CommandSpec, key: SettingKey): boolean {
  const s: SettingSpec = SETTINGS[key];
  return (s.required === true || spec.required?.includes(key) === true) && !spec.optional?.includes(key);
}

/** `efsink NAME --a X [--b Y] …`: required flags bare, the others in brackets (or `[options]`). */
export function synopsisOf(spec: CommandSpec, short = false): string {
  const required = spec.settings.filter((k) => isRequired(spec, k)).map(flagOf);
  const others = spec.settings.filter((k) => !isRequired(spec, k)).map((k) => `[${flagOf(k)}]`);
  const parts = [...required, ...(short ? (others.length > 0 ? ['[options]'] : []) : others)];
  if (spec.positionals !== undefined) parts.push(spec.positionals);
  return `efsink ${spec.name} ${parts.join(' ')}`;
}

/** The full usage of one command: synopsis, what it does, and every flag with its variable and default. */
export function usageOf(spec: CommandSpec): string {
  const rows = spec.settings.map((k) => {
    const s: SettingSpec = SETTINGS[k];
    const d = spec.defaults?.[k] ?? s.default;
    const notes = [
      s.env !== undefined ? [s.env, s.envList].filter(Boolean).join(', ') : undefined,
      d !== undefined && d !== false
        ? `default ${String(d)}`
        : s.defaultDoc !== undefined
          ? `default: ${s.defaultDoc}`
          : undefined,
    ].filter(Boolean);
    return `  ${flagOf(k).padEnd(34)} ${s.help.replaceAll('`', '')}${notes.length > 0 ? ` [${notes.join('; ')}]` : ''}`;
  });
  return `${wrap(synopsisOf(spec))}\n\n${spec.description}\n\n${rows.join('\n')}\n  ${'--help'.padEnd(34)} this text\n`;
}

/** Wraps a synopsis at 100 columns, continuation lines indented. */
function wrap(line: string): string {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(/ (?=[[-]|\[)/)) {
    if (current.length + word.length + 1 > 100 && current !== '') {
      out.push(current);
      current = `    ${word}`;
    } else current = current === '' ? word : `${current} ${word}`;
  }
  out.push(current);
  return out.join('\n');
}

/** `efsink help`: one synopsis per command. */
export function overview(): string {
  return `efsink — API Gateway access logs onto EFS, byte for byte.

${COMMANDS.map((c) => wrap(synopsisOf(c, true))).join('\n')}

efsink help COMMAND (or efsink COMMAND --help) explains a command and lists its flags, each with
its environment variable and default. efsink --version prints the version. Exit codes: 0 ok, 1 a
unit or file failed, 2 usage or configuration, 3 verify found differences, 70 internal error.
`;
}
