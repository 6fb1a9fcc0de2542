import { type ParseArgsConfig, parseArgs } from 'node:util';
import { SETTINGS, type SettingKey, type SettingSpec } from '../config/settings.js';
import { resolveSettings } from '../config/settings-resolve.js';
import { EXIT } from '../core/error-catalogue.js';
import { describeReceived, EfsinkError } from '../core/errors.js';
import { type CommandSpec, usageOf } from './registry.js';

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs options of a command: one per setting, plus --help and --print-config. */
function optionsOf(spec: CommandSpec): Options {
  const options: Options = { help: { type: 'boolean', short: 'h' }, 'print-config': { type: 'boolean' } };
  for (const key of spec.settings) {
    const s: SettingSpec = SETTINGS[key];
    options[s.flag] =
      s.kind === 'boolean'
        ? { type: 'boolean' }
        : { type: 'string', ...(s.kind === 'list' ? { multiple: true } : {}) };
  }
  return options;
}

/**
 * A command's flags parsed against its settings, then resolved with the environment (flag wins):
 * exactly what the command will run with. Exported for the table-driven settings test.
 */
export function parseCommand(
  spec: CommandSpec,
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): {
  settings: Readonly<Record<string, unknown>>;
  positionals: string[];
  help: boolean;
  printConfig: boolean;
} {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  const options = optionsOf(spec);
  try {
    parsed = parseArgs({
      args: joinDashValues(argv, options),
      options,
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new EfsinkError(
      'CLI_USAGE',
      `${spec.name}: ${(err as Error).message}; efsink ${spec.name} --help lists the flags`,
    );
  }
  const { values, positionals } = parsed;
  if (values.help === true) return { settings: {}, positionals, help: true, printConfig: false };
  if (spec.positionals === undefined && positionals.length > 0)
    throw new EfsinkError(
      'CLI_USAGE',
      `${spec.name}: unexpected argument ${describeReceived(positionals[0])}`,
    );
  const settings = resolveSettings(spec.settings, {
    flags: values,
    env,
    cwd,
    ...(spec.defaults !== undefined ? { defaults: spec.defaults } : {}),
    ...(spec.required !== undefined ? { required: spec.required } : {}),
    ...(spec.optional !== undefined ? { optional: spec.optional } : {}),
  });
  return { settings, positionals, help: false, printConfig: values['print-config'] === true };
}

/**
 * `--start -2h` as `--start=-2h`: parseArgs takes a value starting with `-` for an option, and
 * refuses it as ambiguous; a relative time or a negative number after a string flag is its value.
 */
function joinDashValues(argv: readonly string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const next = argv[i + 1];
    const option = arg.startsWith('--') ? options[arg.slice(2)] : undefined;
    if (option?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}

export async function runCommand(spec: CommandSpec, argv: readonly string[]): Promise<number> {
  const { settings, positionals, help, printConfig } = parseCommand(spec, argv, process.env, process.cwd());
  if (help) {
    process.stdout.write(usageOf(spec));
    return EXIT.ok;
  }
  if (printConfig) {
    process.stdout.write(`${JSON.stringify(printable(settings))}\n`);
    return EXIT.ok;
  }
  const run = await spec.load();
  return run({ settings, positionals, out: process.stdout });
}

/** `--print-config`: the resolved settings, access keys replaced by their count. */
function printable(settings: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(settings))
    out[k] = (k as SettingKey) === 'accessKeys' && Array.isArray(v) ? v.map(() => '***') : v;
  return out;
}
