import { RECEIVER_KEYS, receiverConfigOf } from '../../config/receiver-config.js';
import { EXIT } from '../../core/error-catalogue.js';
import { createEmfMetrics } from '../../observability/emf-metrics.js';
import { startEmfPublisher } from '../../receiver/emf-publisher.js';
import { createReceiver } from '../../receiver/server.js';
import { openSink } from '../open-sink.js';
import type { CommandContext, SERVE_KEYS } from '../registry.js';

/** `efsink serve`: every setting from its flag, else its EFSINK_* variable (the container's way). */
export async function serveCommand({
  settings,
  out,
}: CommandContext<(typeof SERVE_KEYS)[number]>): Promise<number> {
  const { config: sinkConfig, sink, log } = await openSink(settings);
  const receiverSettings: Record<string, unknown> = {};
  for (const key of RECEIVER_KEYS) receiverSettings[key] = settings[key];
  const receiverConfig = receiverConfigOf(receiverSettings as Parameters<typeof receiverConfigOf>[0]);
  const receiver = createReceiver({ config: receiverConfig, sinkConfig, sink, log });
  const emf = startEmfPublisher({
    source: receiver.metrics,
    emf: createEmfMetrics(receiverConfig.metricsService, (line) => out.write(`${line}\n`)),
    intervalMs: receiverConfig.emfIntervalSeconds * 1000,
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
  return EXIT.ok;
}
