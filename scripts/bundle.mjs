// Bundles each Lambda handler into one ESM file for the nodejs22.x runtime (local esbuild: no
// Docker here). The CloudWatch Logs handler imports no AWS SDK, so none is bundled into it.
import { mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  'cloudwatch-logs-handler': 'src/lambda/cloudwatch-logs-handler.ts',
  'assemble-handler': 'src/lambda/assemble-handler.ts',
  's3-sqs-handler': 'src/lambda/s3-sqs-handler.ts',
};
mkdirSync('dist/lambda', { recursive: true });
for (const [name, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [entry],
    outfile: `dist/lambda/${name}.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    metafile: false,
    // CommonJS dependencies (pino's, Powertools') call require(); ESM output needs one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
}
