import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../../src/config/env-names.js';
import { THREADPOOL_ENV, THREADPOOL_SIZE } from '../../src/config/threadpool.js';
import { createWriterSecurityGroup, type EfsAccess } from './efs-access.js';
import { ConstructConfigError } from './errors.js';
import { acknowledgeNag, managedPolicyFinding } from './nag.js';

/** Settings every efsink function shares; each path construct exposes them in its props. */
export interface EfsinkFunctionOptions {
  /**
   * Node.js major version of the Lambda runtime (`nodejs22.x` or `nodejs24.x`). The handlers are
   * bundled for Node 22 (esbuild target node22), which 24 runs as well; the test suite runs on 22.
   * @default 22 ({@link EFSINK_NODE_MAJOR}, the version the tests, CI and the container use)
   */
  readonly nodeVersion?: EfsinkNodeVersion;
  /**
   * Instruction set of the functions. The bundles are plain JavaScript, so both work.
   * @default Architecture.ARM_64 (cheaper per GB-second)
   */
  readonly architecture?: lambda.Architecture;
  /**
   * Retention of each function's log group (created by the construct, removed with the stack).
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Output path template for the hourly files (`EFSINK_PATH_TEMPLATE`).
   * @default - not set: the handlers use their built-in template
   */
  readonly pathTemplate?: string;
  /**
   * How long a segment is kept after it was assembled (`EFSINK_SEGMENT_RETENTION_SECONDS`).
   * @default - not set: the handlers use their built-in retention
   */
  readonly segmentRetention?: Duration;
  /**
   * After how long without a write an output file's `done/` dedupe markers are removed
   * (`EFSINK_SEAL_AFTER_SECONDS`, ADR 0017); shorter than the default shortens the dedupe window.
   * @default - not set: the handlers use 15 days (the longest redelivery window plus a day)
   */
  readonly sealAfter?: Duration;
  /**
   * Hard cap on the decompressed bytes of one delivery unit (`EFSINK_MAX_DECOMPRESSED_BYTES`), the
   * gzip-bomb guard.
   * @default - not set: the handlers use their built-in cap
   */
  readonly maxDecompressedBytes?: number;
}

/** What {@link createEfsinkFunction} needs beyond the shared options. */
export interface EfsinkFunctionProps extends EfsinkFunctionOptions {
  /** VPC, subnets and the access point to mount (`EFSINK_ROOT` = its mount path). */
  readonly efs: EfsAccess;
  /** Which efsink handler the function runs: its prebuilt bundle is the default code. */
  readonly handler: EfsinkHandlerName;
  /**
   * Absolute path of a TypeScript/JavaScript entry file (exports `handler`) to bundle instead of the
   * prebuilt handler, with the esbuild of the app's own node_modules; must exist at synth.
   * @default - the prebuilt bundle of `handler` shipped in the efsink package (dist/lambda/)
   */
  readonly entry?: string;
  /** Function description shown in the console. */
  readonly description: string;
  /** Explicit timeout, 1-900 s (validated by the caller). */
  readonly timeout: Duration;
  /** Explicit memory, 128-10240 MB (validated by the caller). */
  readonly memorySize: number;
  /**
   * Reserved concurrency.
   * @default - unreserved (account concurrency)
   */
  readonly reservedConcurrentExecutions?: number;
  /**
   * Extra environment variables, merged over the shared ones.
   * @default - only the shared efsink variables
   */
  readonly environment?: Record<string, string>;
}

/** Node.js major versions an efsink function can run on (Lambda's `nodejs22.x` and `nodejs24.x`). */
export type EfsinkNodeVersion = 22 | 24;

/**
 * The Node.js major version efsink is tested on and ships by default: the Lambda runtime, the
 * Dockerfile's NODE_MAJOR, .nvmrc and scripts/node22 (infra/test/node-version.test.ts checks they agree).
 * nodejs20.x can no longer be used for new functions.
 */
export const EFSINK_NODE_MAJOR = 22 satisfies EfsinkNodeVersion;

/** Lambda runtime for every efsink function unless `nodeVersion` says otherwise. */
export const EFSINK_RUNTIME = lambda.Runtime.NODEJS_22_X;

/** The Lambda runtime of a `nodeVersion`; anything but 22 or 24 is a construct configuration error. */
export function efsinkRuntime(scope: Construct, nodeVersion: number | undefined): lambda.Runtime {
  const version = nodeVersion ?? EFSINK_NODE_MAJOR;
  if (version === 22) return lambda.Runtime.NODEJS_22_X;
  if (version === 24) return lambda.Runtime.NODEJS_24_X;
  throw new ConstructConfigError(
    'INVALID_NODE_VERSION',
    scope.node.path,
    `nodeVersion must be 22 or 24 (the Lambda Node.js runtimes efsink supports), got ${version}`,
  );
}

/** The Lambda handlers efsink ships, each prebuilt into `dist/lambda/<name>/index.mjs`. */
export type EfsinkHandlerName = 'cloudwatch-logs-handler' | 's3-sqs-handler' | 'assemble-handler';

/**
 * The folder holding a handler's prebuilt bundle (`index.mjs` + source map), built by
 * `npm run build` (scripts/bundle.mjs) and shipped in the npm package. Found relative to this module,
 * never by searching: from the compiled `dist/infra/lib/` it is `dist/lambda/`, from the TypeScript
 * source in a checkout (`infra/lib/`, tests) it is `dist/lambda/` of the same checkout.
 */
export function handlerBundleDirectory(name: EfsinkHandlerName): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const fromDist = join(here, '..', '..', 'lambda', name);
  return existsSync(fromDist) ? fromDist : join(here, '..', '..', 'dist', 'lambda', name);
}

/**
 * A VPC-attached Node.js function with the EFS access point mounted. Its code is the handler's
 * prebuilt one-file ESM bundle from the efsink package (the AWS SDK the S3 handler needs is bundled
 * at the version we test; the CloudWatch handler carries none), or, when `entry` is given, that file
 * bundled at synth by the local esbuild.
 */
export function createEfsinkFunction(
  scope: Construct,
  id: string,
  props: EfsinkFunctionProps,
): lambda.Function {
  const path = `${scope.node.path}/${id}`;
  const bundleDirectory = handlerBundleDirectory(props.handler);
  if (props.entry !== undefined && !existsSync(props.entry)) {
    throw new ConstructConfigError(
      'ENTRY_NOT_FOUND',
      path,
      `handler entry ${props.entry} does not exist; give an existing file or leave "entry" unset`,
    );
  }
  if (props.entry === undefined && !existsSync(join(bundleDirectory, 'index.mjs'))) {
    throw new ConstructConfigError(
      'ENTRY_NOT_FOUND',
      path,
      `the prebuilt ${props.handler} bundle ${join(bundleDirectory, 'index.mjs')} does not exist; ` +
        'in a checkout run `npm run build` (an installed efsink package ships it)',
    );
  }
  const runtime = efsinkRuntime(scope, props.nodeVersion);
  const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
    retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
  const securityGroup = createWriterSecurityGroup(scope, `${id}SecurityGroup`, props.efs.vpc, `efsink ${id}`);
  const environment: Record<string, string> = {
    NODE_OPTIONS: '--enable-source-maps',
    // Read by libuv when the runtime starts, before any handler code (src/config/threadpool.ts).
    [THREADPOOL_ENV]: String(THREADPOOL_SIZE),
    [ENV.root]: props.efs.mountPath,
    ...props.environment,
  };
  if (props.pathTemplate !== undefined) environment[ENV.pathTemplate] = props.pathTemplate;
  if (props.segmentRetention !== undefined) {
    environment[ENV.segmentRetentionSeconds] = String(props.segmentRetention.toSeconds());
  }
  if (props.sealAfter !== undefined) environment[ENV.sealAfterSeconds] = String(props.sealAfter.toSeconds());
  if (props.maxDecompressedBytes !== undefined) {
    environment[ENV.maxDecompressedBytes] = String(props.maxDecompressedBytes);
  }
  const common = {
    description: props.description,
    runtime,
    architecture: props.architecture ?? lambda.Architecture.ARM_64,
    timeout: props.timeout,
    memorySize: props.memorySize,
    ...(props.reservedConcurrentExecutions === undefined
      ? {}
      : { reservedConcurrentExecutions: props.reservedConcurrentExecutions }),
    environment,
    logGroup,
    vpc: props.efs.vpc,
    ...(props.efs.vpcSubnets === undefined ? {} : { vpcSubnets: props.efs.vpcSubnets }),
    securityGroups: [securityGroup],
    filesystem: props.efs.lambdaFileSystem(),
  };
  const fn =
    props.entry === undefined
      ? // The bundle that `npm test` ran (test/integration/lambda-bundle.test.ts) is the one deployed;
        // an installed package needs neither the TypeScript sources nor esbuild.
        new lambda.Function(scope, id, {
          ...common,
          code: lambda.Code.fromAsset(bundleDirectory),
          handler: 'index.handler',
        })
      : new NodejsFunction(scope, id, {
          ...common,
          entry: props.entry,
          handler: 'handler',
          // Local esbuild from the app's node_modules, never Docker; one self-contained ESM file
          // (`externalModules: []`: the AWS SDK is bundled at the version the app tested).
          bundling: {
            forceDockerBundling: false,
            format: OutputFormat.ESM,
            target: `node${EFSINK_NODE_MAJOR}`,
            externalModules: [],
            minify: true,
            sourceMap: true,
            sourcesContent: false,
            mainFields: ['module', 'main'],
            // CommonJS dependencies (pino, powertools) call require() for Node built-ins; an ESM
            // bundle has no require unless we create one.
            banner:
              "import{createRequire as __efsinkCreateRequire}from'node:module';const require=__efsinkCreateRequire(import.meta.url);",
          },
        });
  acknowledgeEfsinkFunctionFindings(fn, runtime);
  return fn;
}

/** The cdk-nag findings every efsink function carries by design (listed in infra/README.md). */
function acknowledgeEfsinkFunctionFindings(fn: lambda.Function, runtime: lambda.Runtime): void {
  if (fn.role !== undefined) {
    acknowledgeNag(
      fn.role,
      managedPolicyFinding('service-role/AWSLambdaVPCAccessExecutionRole'),
      'A VPC-attached function needs ec2:CreateNetworkInterface, DescribeNetworkInterfaces, ' +
        'DeleteNetworkInterface, AssignPrivateIpAddresses and UnassignPrivateIpAddresses; these ENI ' +
        'actions cannot be scoped to resources known at deploy time (Describe* supports only "*"), and ' +
        'this AWS managed policy is the one the Lambda VPC guide prescribes and AWS keeps current.',
    );
    acknowledgeNag(
      fn.role,
      managedPolicyFinding('service-role/AWSLambdaBasicExecutionRole'),
      'Grants only logs:CreateLogGroup, CreateLogStream and PutLogEvents, which ' +
        'AWSLambdaVPCAccessExecutionRole grants as well, so replacing it alone would not narrow the role. ' +
        'The function logs to its own log group, created by the construct with a retention.',
    );
  }
  acknowledgeNag(
    fn.node.defaultChild ?? fn,
    'AwsSolutions-L1',
    `Pinned to ${runtime.name} (the nodeVersion prop, default ${EFSINK_NODE_MAJOR}): the handlers are ` +
      `bundled for node${EFSINK_NODE_MAJOR} and tested on it. A newer Node.js runtime is adopted ` +
      'deliberately through that prop, not whenever aws-cdk-lib learns of one.',
  );
}
