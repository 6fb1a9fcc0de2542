import { hostname } from 'node:os';
import type { SinkConfig } from '../config/sink-config.js';
import type { UnitPlan } from '../core/write/plan-segments.js';
import type { Logger } from '../observability/logger.js';
import { type AssembleReport, assemblePass } from './assemble.js';
import type { AssembleOptions } from './assemble-file.js';
import { type LandResult, landUnit } from './land.js';
import { type RootLayout, rootLayout } from './layout.js';

/** Allowed disagreement between NFS clients' clocks before an expired lease is broken. */
export const DEFAULT_CLOCK_SKEW_MS = 2_000;

/**
 * The one I/O entry point adapters use: land plans, run assembly passes. Built once per process
 * (Lambda cold start, receiver start, CLI command).
 */
export interface Sink {
  readonly layout: RootLayout;
  land(plan: UnitPlan): Promise<LandResult>;
  assemble(): Promise<AssembleReport>;
}

export interface SinkDeps {
  readonly log: Logger;
  readonly now?: () => number;
  readonly holder?: string;
  readonly onStep?: (step: string) => void | Promise<void>;
  readonly housekeepingIntervalMs?: number;
}

export function createSink(config: SinkConfig, deps: SinkDeps): Sink {
  const layout = rootLayout(config.root);
  const assembleOptions: AssembleOptions = {
    layout,
    leaseMs: config.leaseSeconds * 1000,
    clockSkewMs: DEFAULT_CLOCK_SKEW_MS,
    segmentRetentionMs: config.segmentRetentionSeconds * 1000,
    sealAfterMs: config.sealAfterSeconds * 1000,
    maxBatchBytes: config.maxBatchBytes,
    holder: deps.holder ?? `${hostname()}:${process.pid}`,
    now: deps.now ?? Date.now,
    log: deps.log,
    ...(deps.onStep ? { onStep: deps.onStep } : {}),
    ...(deps.housekeepingIntervalMs !== undefined
      ? { housekeepingIntervalMs: deps.housekeepingIntervalMs }
      : {}),
  };
  return {
    layout,
    land: (plan) => landUnit(layout, plan),
    assemble: () => assemblePass(assembleOptions, { concurrency: config.assembleConcurrency }),
  };
}
