// The efsink library API (`import … from 'efsink'`): what an application needs to land API Gateway
// access logs itself — a sink (land + assemble), its configuration, the Lambda ingest adapters, the
// Firehose receiver, and the access-log format engine. The CLI is `npx efsink`; the CDK constructs are
// `efsink/cdk`. Everything else under dist/ is internal and may change without notice.
export { loadSinkConfig, type SinkConfig, sinkConfigFromEnv } from './config/sink-config.js';
export * from './core/access-log/index.js';
export { EfsinkError, isEfsinkError } from './core/errors.js';
export { type AssembleReport, assemblePass } from './io/assemble.js';
export { createSink, type Sink, type SinkDeps } from './io/sink.js';
export { ingestCloudWatchLogsEvent } from './lambda/cloudwatch-logs.js';
export { createReceiver, type Receiver, type ReceiverDeps } from './receiver/server.js';
