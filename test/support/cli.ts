import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

export const BIN = resolve(import.meta.dirname, '../../bin/efsink');

export interface CliResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/efsink …` to completion (the built CLI, exactly as users run it). */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  input?: string,
): Promise<CliResult> {
  const child = spawnCli(args, env);
  if (input !== undefined) child.stdin?.end(input);
  else child.stdin?.end();
  return finished(child);
}

export function spawnCli(args: readonly string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

export function finished(child: ChildProcess): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code, signal, stdout, stderr }));
  });
}

/** Writes each Lambda event to its own JSON file, as `efsink ingest cloudwatch FILE...` reads them. */
export async function writeEventFiles(dir: string, events: readonly unknown[]): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  for (const [i, e] of events.entries()) {
    const f = join(dir, `event-${String(i).padStart(4, '0')}.json`);
    await writeFile(f, typeof e === 'string' ? e : JSON.stringify(e));
    files.push(f);
  }
  return files;
}
