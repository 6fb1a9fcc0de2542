import { isEfsinkError } from '../core/errors.js';
import { ASSEMBLE_HELP, assembleCommand } from './commands/assemble.js';
import { BACKFILL_HELP, backfillCommand } from './commands/backfill.js';
import { DEMO_HELP, demoCommand } from './commands/demo.js';
import { INGEST_HELP, ingestCommand } from './commands/ingest.js';
import { REPLAY_HELP, replayCommand } from './commands/replay.js';
import { SERVE_HELP, serveCommand } from './commands/serve.js';
import { SIMULATE_HELP, simulateCommand } from './commands/simulate.js';
import { VERIFY_HELP, verifyCommand } from './commands/verify.js';

/** Codes that mean "the command line or configuration is wrong" (exit 2), not "a unit failed" (1). */
const USAGE_CODES = new Set([
  'CLI_USAGE',
  'CONFIG_INVALID',
  'CONFIG_MEMORY_BOUND_EXCEEDED',
  'LAYOUT_INVALID_TEMPLATE',
]);

type Command = (argv: readonly string[], out: NodeJS.WritableStream) => Promise<number>;

const COMMANDS: Record<string, { run: Command; help: string }> = {
  ingest: { run: ingestCommand, help: INGEST_HELP },
  assemble: { run: assembleCommand, help: ASSEMBLE_HELP },
  demo: { run: demoCommand, help: DEMO_HELP },
  simulate: { run: simulateCommand, help: SIMULATE_HELP },
  serve: { run: serveCommand, help: SERVE_HELP },
  backfill: { run: backfillCommand, help: BACKFILL_HELP },
  verify: { run: verifyCommand, help: VERIFY_HELP },
  replay: { run: replayCommand, help: REPLAY_HELP },
};

const HELP = `efsink — API Gateway access logs onto EFS, byte for byte.

${Object.values(COMMANDS)
  .map((c) => c.help)
  .join('\n\n')}
`;

/** Runs one CLI command; resolves to the process exit code. Expected errors print `CODE: reason`. */
export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(HELP);
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(
      `CLI_USAGE: unknown command ${JSON.stringify(name)} (allowed: ${Object.keys(COMMANDS).join(', ')})\n`,
    );
    return 2;
  }
  try {
    return await command.run(rest, process.stdout);
  } catch (err) {
    if (!isEfsinkError(err)) throw err;
    process.stderr.write(`${err.code}: ${err.message}\n`);
    return USAGE_CODES.has(err.code) ? 2 : 1;
  }
}
