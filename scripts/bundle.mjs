// Bundles each Lambda handler into one ESM file for the nodejs22.x runtime (local esbuild: no
// Docker here): dist/lambda/<handler>/index.mjs (+ source map), one folder per handler because a
// folder is what a Lambda code asset is. These exact files are what the CDK constructs deploy
// (infra/lib/efsink-function.ts), what test/integration/lambda-bundle.test.ts runs, and what the
// npm package ships. The CloudWatch Logs handler imports no AWS SDK, so none is bundled into it.
import { mkdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

const entries = {
  'cloudwatch-logs-handler': 'src/lambda/cloudwatch-logs-handler.ts',
  'assemble-handler': 'src/lambda/assemble-handler.ts',
  's3-sqs-handler': 'src/lambda/s3-sqs-handler.ts',
};
rmSync('dist/lambda', { recursive: true, force: true });
mkdirSync('dist/lambda', { recursive: true });
for (const [name, entry] of Object.entries(entries)) {
  await build({
    entryPoints: [entry],
    outfile: `dist/lambda/${name}/index.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    metafile: false,
    // CommonJS dependencies (pino's, Powertools') call require(); ESM output needs one.
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
}
