import { COMMON_SINK_OPTIONS, parseCommandArgs } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';

export const ASSEMBLE_HELP = `efsink assemble --root DIR [--lease-seconds N] [--segment-retention-seconds N] [--assemble-concurrency N]
  One assembly pass: appends landed segments exactly once to the output files under DIR, working on
  up to N files at a time (default 4).
  Exit 0 when every file was assembled or is busy (held by another assembler); 1 if any failed.`;

export async function assembleCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, COMMON_SINK_OPTIONS, 'assemble');
  const { sink } = sinkFromFlags(values);
  const report = await sink.assemble();
  let segments = 0;
  let bytes = 0;
  let busy = 0;
  let duplicates = 0;
  for (const f of report.files) {
    segments += f.appendedSegments;
    bytes += f.appendedBytes;
    duplicates += f.duplicateSegments;
    if (f.status === 'busy') {
      busy++;
      out.write(`busy: ${f.relPath} (lease held by another assembler)\n`);
    }
  }
  for (const f of report.failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  out.write(
    `assembled ${segments} segment(s), ${bytes} bytes into ${report.files.length - busy} file(s); ${duplicates} duplicate(s) skipped, ${busy} busy, ${report.failed.length} failed\n`,
  );
  return report.failed.length === 0 ? 0 : 1;
}
