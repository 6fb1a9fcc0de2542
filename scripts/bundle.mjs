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

// The CLI as one ESM bundle with a chunk per command (bin/efsink loads it): Node loads one file
// instead of ~100 modules (zod/mini alone is ~60), which is most of `efsink help`'s start-up. The
// command modules stay dynamic imports, so `help` loads no command and `ingest cloudwatch` no AWS
// SDK. Packages stay external (their own loading is lazy already) except zod, which every command
// needs to read its settings. Measured with `npm run bench:startup` (bench/README.md).
const externalExceptZod = {
  name: 'external-except-zod',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path === 'zod' || args.path.startsWith('zod/') ? undefined : { path: args.path, external: true },
    );
  },
};
rmSync('dist/cli', { recursive: true, force: true });
await build({
  entryPoints: { main: 'src/cli/main.ts' },
  outdir: 'dist/cli',
  bundle: true,
  splitting: true,
  platform: 'node',
  target: 'node22',
  format: 'esm',
  outExtension: { '.js': '.mjs' },
  sourcemap: true,
  sourcesContent: false,
  plugins: [externalExceptZod],
  logLevel: 'warning',
});
