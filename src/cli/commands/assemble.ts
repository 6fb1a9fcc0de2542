import { EXIT } from '../../core/error-catalogue.js';
import { openSink } from '../open-sink.js';
import type { ASSEMBLE_KEYS, CommandContext } from '../registry.js';

export async function assembleCommand({
  settings,
  out,
}: CommandContext<(typeof ASSEMBLE_KEYS)[number]>): Promise<number> {
  const { sink } = await openSink(settings);
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
      if (!settings.json) out.write(`busy: ${f.relPath} (lease held by another assembler)\n`);
    }
  }
  for (const f of report.failed) process.stderr.write(`${f.relPath}: ${f.code}: ${f.message}\n`);
  // Sealing (ADR 0017) is housekeeping: its failures are shown, never the command's failure.
  const seal = report.seal;
  for (const f of seal?.failures ?? [])
    process.stderr.write(`sealing ${f.relPath || '(index)'}: ${f.code}: ${f.message}\n`);
  if (settings.json) {
    out.write(
      `${JSON.stringify({
        segments,
        bytesAppended: bytes,
        files: report.files.length - busy,
        duplicates,
        busy: report.files.filter((f) => f.status === 'busy').map((f) => f.relPath),
        failed: report.failed.map((f) => ({ relPath: f.relPath, code: f.code })),
        ...(seal
          ? {
              sealed: {
                files: seal.sealedFiles,
                markers: seal.removedMarkers,
                failed: seal.failures.map((f) => ({ relPath: f.relPath, code: f.code })),
              },
            }
          : {}),
      })}\n`,
    );
  } else {
    out.write(
      `assembled ${segments} segment(s), ${bytes} bytes into ${report.files.length - busy} file(s); ${duplicates} duplicate(s) skipped, ${busy} busy, ${report.failed.length} failed${
        seal && (seal.sealedFiles > 0 || seal.failures.length > 0)
          ? `; sealed ${seal.sealedFiles} idle file(s) (${seal.removedMarkers} marker(s) removed), ${seal.failures.length} sealing failure(s)`
          : ''
      }\n`,
    );
  }
  return report.failed.length === 0 ? EXIT.ok : EXIT.failed;
}
