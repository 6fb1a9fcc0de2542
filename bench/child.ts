import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { LambdaEvent } from './corpus.js';

/**
 * One measurement in its own process, so that peak RSS (`maxRSS`) belongs to one variant only.
 * The corpus is read and parsed before the clock starts; a short warm-up on a scratch directory lets
 * V8 optimise the hot code first (a Lambda instance handling a stream of deliveries is warm).
 */

export const VARIANTS = ['naive', 'floor', 'efsink-ingest', 'efsink-ingest+assemble'] as const;
export type Variant = (typeof VARIANTS)[number];
/** `load` only reads the corpus: the RSS every variant pays before doing any work. */
export type ChildVariant = Variant | 'load';

export interface ChildArgs {
  readonly variant: ChildVariant;
  readonly corpusFile: string;
  readonly root: string;
  /** Events to run through first, on `<root>.warmup` (deleted before timing). 0 = none. */
  readonly warmupEvents: number;
}

export interface ChildResult {
  readonly variant: ChildVariant;
  readonly wallMs: number;
  /** (d) only: the ingest part and the assemble part of wallMs. */
  readonly ingestMs?: number;
  readonly assembleMs?: number;
  /** `process.resourceUsage().maxRSS`, kilobytes, read at the very end. */
  readonly maxRssKb: number;
}

export async function runChild(args: ChildArgs): Promise<ChildResult> {
  const corpus = JSON.parse(readFileSync(args.corpusFile, 'utf8')) as {
    eventsPerPayload: number;
    events: LambdaEvent[];
  };
  const events = corpus.events;
  const run = await loadVariant(args.variant);
  if (args.warmupEvents > 0) {
    const payloads = Math.max(1, Math.round(args.warmupEvents / corpus.eventsPerPayload));
    const scratch = `${args.root}.warmup`;
    mkdirSync(scratch, { recursive: true });
    await run(events.slice(0, payloads), scratch);
    rmSync(scratch, { recursive: true, force: true });
  }
  mkdirSync(args.root, { recursive: true });
  const t0 = performance.now();
  const split = await run(events, args.root);
  const wallMs = performance.now() - t0;
  return { variant: args.variant, wallMs, ...split, maxRssKb: process.resourceUsage().maxRSS };
}

type Run = (
  events: readonly LambdaEvent[],
  root: string,
) => Promise<{ ingestMs?: number; assembleMs?: number }>;

async function loadVariant(variant: ChildVariant): Promise<Run> {
  switch (variant) {
    case 'load':
      return async () => ({});
    case 'naive': {
      const { naiveHandler } = await import('./baseline-variants.js');
      return async (events, root) => {
        for (const e of events) naiveHandler(e, root);
        return {};
      };
    }
    case 'floor': {
      const { floorHandler } = await import('./baseline-variants.js');
      return async (events, root) => {
        events.forEach((e, i) => {
          floorHandler(e, root, i);
        });
        return {};
      };
    }
    case 'efsink-ingest':
    case 'efsink-ingest+assemble': {
      const { createEfsinkRunner } = await import('./efsink-variant.js');
      const withAssemble = variant === 'efsink-ingest+assemble';
      return async (events, root) => {
        // The sink is per root (a Lambda builds it once at cold start); building it is not timed work.
        const runner = createEfsinkRunner(root);
        const t0 = performance.now();
        for (const e of events) await runner.ingest(e);
        if (!withAssemble) return {};
        const t1 = performance.now();
        await runner.assemble();
        return { ingestMs: t1 - t0, assembleMs: performance.now() - t1 };
      };
    }
  }
}
