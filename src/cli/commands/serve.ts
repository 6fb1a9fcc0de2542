import { ENV } from '../../config/env-names.js';
import { receiverConfigFromEnv } from '../../config/receiver-config.js';
import { RECEIVER_ENV } from '../../config/receiver-env-names.js';
import { num } from '../../config/sink-config.js';
import { createEmfMetrics } from '../../observability/emf-metrics.js';
import { startEmfPublisher } from '../../receiver/emf-publisher.js';
import { createReceiver } from '../../receiver/server.js';
import { COMMON_SINK_OPTIONS, intFlag, parseCommandArgs } from '../args.js';
import { sinkFromFlags } from '../sink-from-flags.js';

export const SERVE_HELP = `efsink serve --root DIR --access-key KEY [--access-key KEY2 …] [--host 127.0.0.1] [--port 8080]
             [--metrics-port 9464] [--health-probe-timeout-seconds 2]
             [--log-group NAME] [--max-body-bytes N] [--max-concurrent-requests N] [--max-queued-requests N]
             [--memory-limit-bytes N]
             [--assemble-interval-seconds N] [--request-timeout-seconds N] [--shutdown-timeout-seconds N]
             [--keep-alive-timeout-seconds N]
             [--emf-interval-seconds N] [--metrics-service NAME]
  Firehose HTTP endpoint receiver: answers 200 only once a request's records are durable under DIR,
  assembles the hourly files every few seconds, answers /healthz (503 with JSON reasons when a slot
  is stuck or a write-and-fsync probe under DIR/.efsink/ fails or hangs), and serves Prometheus
  /metrics on --metrics-port only (same host; never on the main port). The same counters
  go to stdout as CloudWatch EMF lines every 60 s and at shutdown (namespace efsink, dimension
  service=NAME, default efsink-receiver). Every flag has an
  EFSINK_* variable (EFSINK_ACCESS_KEY, EFSINK_ACCESS_KEYS='["k1","k2"]', EFSINK_HOST, EFSINK_PORT, …).
  Concurrency defaults to min(8, what fits in memory: 6 × body + 2 × unwrap budget per request, after
  128 MiB idle; memory = the cgroup limit or --memory-limit-bytes); more than fits is refused.
  SIGTERM/SIGINT: stop accepting, drain, final assembly pass, exit 0.`;

const OPTIONS = {
  ...COMMON_SINK_OPTIONS,
  host: { type: 'string' },
  port: { type: 'string' },
  'metrics-port': { type: 'string' },
  'health-probe-timeout-seconds': { type: 'string' },
  'access-key': { type: 'string', multiple: true },
  'log-group': { type: 'string' },
  'max-body-bytes': { type: 'string' },
  'max-concurrent-requests': { type: 'string' },
  'max-queued-requests': { type: 'string' },
  'memory-limit-bytes': { type: 'string' },
  'assemble-interval-seconds': { type: 'string' },
  'request-timeout-seconds': { type: 'string' },
  'shutdown-timeout-seconds': { type: 'string' },
  'keep-alive-timeout-seconds': { type: 'string' },
  'emf-interval-seconds': { type: 'string' },
  'metrics-service': { type: 'string' },
} as const;

export async function serveCommand(argv: readonly string[], out: NodeJS.WritableStream): Promise<number> {
  const { values } = parseCommandArgs(argv, OPTIONS, 'serve');
  const env = process.env;
  // Flags win over the environment, for the sink settings as for the receiver's.
  const {
    config: sinkConfig,
    sink,
    log,
  } = sinkFromFlags({
    root: values.root ?? env[ENV.root],
    'path-template': values['path-template'] ?? env[ENV.pathTemplate],
    'segment-retention-seconds': values['segment-retention-seconds'] ?? env[ENV.segmentRetentionSeconds],
    'max-decompressed-bytes': values['max-decompressed-bytes'] ?? env[ENV.maxDecompressedBytes],
    'lease-seconds': values['lease-seconds'] ?? env[ENV.leaseSeconds],
    'assemble-concurrency': values['assemble-concurrency'] ?? env[ENV.assembleConcurrency],
    'log-level': values['log-level'] ?? env[RECEIVER_ENV.logLevel] ?? 'info',
  });
  const overrides: Record<string, unknown> = {
    host: values.host,
    port: intFlag(values.port, 'port'),
    metricsPort: intFlag(values['metrics-port'], 'metrics-port'),
    healthProbeTimeoutSeconds: num(values['health-probe-timeout-seconds']),
    logGroup: values['log-group'],
    maxBodyBytes: intFlag(values['max-body-bytes'], 'max-body-bytes'),
    maxConcurrentRequests: intFlag(values['max-concurrent-requests'], 'max-concurrent-requests'),
    maxQueuedRequests: intFlag(values['max-queued-requests'], 'max-queued-requests'),
    memoryLimitBytes: intFlag(values['memory-limit-bytes'], 'memory-limit-bytes'),
    assembleIntervalSeconds: intFlag(values['assemble-interval-seconds'], 'assemble-interval-seconds'),
    requestTimeoutSeconds: intFlag(values['request-timeout-seconds'], 'request-timeout-seconds'),
    shutdownTimeoutSeconds: intFlag(values['shutdown-timeout-seconds'], 'shutdown-timeout-seconds'),
    keepAliveTimeoutSeconds: intFlag(values['keep-alive-timeout-seconds'], 'keep-alive-timeout-seconds'),
    emfIntervalSeconds: intFlag(values['emf-interval-seconds'], 'emf-interval-seconds'),
    metricsService: values['metrics-service'],
  };
  const flagKeys = values['access-key'];
  if (flagKeys !== undefined && flagKeys.length > 0) overrides.accessKeys = flagKeys;
  const config = receiverConfigFromEnv(env, overrides);
  const receiver = createReceiver({ config, sinkConfig, sink, log });
  const emf = startEmfPublisher({
    source: receiver.metrics,
    emf: createEmfMetrics(config.metricsService, (line) => out.write(`${line}\n`)),
    intervalMs: config.emfIntervalSeconds * 1000,
    log,
  });
  const { host, port, metricsPort } = await receiver.listen();
  const hostPart = host.includes(':') ? `[${host}]` : host;
  out.write(`listening on http://${hostPart}:${port}\n`);
  out.write(`metrics on http://${hostPart}:${metricsPort}/metrics\n`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      out.write(`${signal}: draining\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      // The last EMF publication follows the final assembly pass, so it carries that pass too.
      // emf.stop() never rejects: a failed publication is logged.
      void receiver
        .close()
        .catch((err: unknown) => log.error({ err: (err as Error).message }, 'shutdown failed'))
        .then(() => emf.stop())
        .then(resolve);
    };
    const onTerm = () => stop('SIGTERM');
    const onInt = () => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  out.write('stopped\n');
  return 0;
}
