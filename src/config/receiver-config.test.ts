import { describe, expect, it } from 'vitest';
import { DEFAULT_METRICS_PORT, loadReceiverConfig, receiverConfigFromEnv } from './receiver-config.js';

describe('receiver config: the metrics port', () => {
  it('defaults to 9464 beside a fixed main port, and to 0 (a free port) beside port 0', () => {
    expect(loadReceiverConfig({ accessKeys: ['k'] }).metricsPort).toBe(DEFAULT_METRICS_PORT);
    expect(DEFAULT_METRICS_PORT).toBe(9464);
    expect(loadReceiverConfig({ accessKeys: ['k'], port: 0 }).metricsPort).toBe(0);
  });

  it('takes --metrics-port / EFSINK_METRICS_PORT', () => {
    expect(receiverConfigFromEnv({ EFSINK_ACCESS_KEY: 'k', EFSINK_METRICS_PORT: '9100' }).metricsPort).toBe(
      9100,
    );
  });

  it('fails with CONFIG_INVALID when the metrics port is the main port', () => {
    expect(() => loadReceiverConfig({ accessKeys: ['k'], port: 9000, metricsPort: 9000 })).toThrow(
      /CONFIG_INVALID|--metrics-port \(EFSINK_METRICS_PORT\): 9000 is also the main port/,
    );
  });
});
