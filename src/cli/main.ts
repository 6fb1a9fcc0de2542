import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { codeOf, EXIT, exitCodeOf } from '../core/error-catalogue.js';
import { describeReceived, EfsinkError } from '../core/errors.js';
import { COMMANDS, findCommand, overview, usageOf } from './registry.js';

/**
 * Runs one CLI command; resolves to the process exit code. Loads only the registry (usage and
 * settings) until the command is known and its flags are valid, then the command's own module.
 * Expected errors print `CODE: reason` and exit with the catalogue's code.
 */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (err) {
    // The catalogue decides the exit code: 2 usage or configuration, 1 a failure, 70 a bug.
    const code = codeOf(err);
    if (code === 'INTERNAL') {
      process.stderr.write(`efsink: INTERNAL ${(err as Error)?.stack ?? String(err)}\n`);
      return EXIT.internal;
    }
    process.stderr.write(`${code}: ${(err as Error).message}\n`);
    return exitCodeOf(code);
  }
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === '--version' || first === '-v' || first === 'version') {
    process.stdout.write(`${version()}\n`);
    return EXIT.ok;
  }
  if (first === undefined || first === '--help' || first === '-h') {
    process.stdout.write(overview());
    return first === undefined ? EXIT.usage : EXIT.ok;
  }
  if (first === 'help') {
    if (rest.length === 0) {
      process.stdout.write(overview());
      return EXIT.ok;
    }
    const found = findCommand(rest);
    if (found === undefined || 'group' in found) {
      // `efsink help backfill`: both sources' usage.
      const group = COMMANDS.filter((c) => c.name === rest.join(' ') || c.name.startsWith(`${rest[0]} `));
      if (group.length === 0) throw unknownCommand(rest.join(' '));
      process.stdout.write(group.map(usageOf).join('\n'));
      return EXIT.ok;
    }
    process.stdout.write(usageOf(found.spec));
    return EXIT.ok;
  }
  const found = findCommand(argv);
  if (found === undefined) throw unknownCommand(first);
  if ('group' in found) {
    const [, source] = argv;
    if (source === '--help' || source === '-h') {
      process.stdout.write(
        COMMANDS.filter((c) => c.name.startsWith(`${found.group} `))
          .map(usageOf)
          .join('\n'),
      );
      return EXIT.ok;
    }
    throw new EfsinkError(
      'CLI_USAGE',
      `${found.group}: unknown source ${describeReceived(source)} (allowed: ${found.sources.join(', ')})`,
    );
  }
  // Only now the settings' validation (zod) and the command's module.
  const { runCommand } = await import('./run-command.js');
  return runCommand(found.spec, found.rest);
}

function unknownCommand(name: string): EfsinkError {
  const names = [...new Set(COMMANDS.map((c) => c.name.split(' ')[0]))];
  return new EfsinkError(
    'CLI_USAGE',
    `unknown command ${JSON.stringify(name)} (allowed: ${names.join(', ')}, help); efsink help lists them`,
  );
}

/** The package's version, from the package.json above this file (src/ or dist/src/). */
function version(): string {
  let dir = import.meta.dirname;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === 'efsink' && typeof pkg.version === 'string') return pkg.version;
    } catch {
      // not here: look one folder up
    }
    dir = dirname(dir);
  }
  return 'unknown';
}
