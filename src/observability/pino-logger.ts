import { pino } from 'pino';
import type { Logger } from './logger.js';

/** JSON logs to stderr (stdout carries command results). */
export function pinoLogger(level: string, name = 'efsink'): Logger {
  const p = pino({ name, level }, pino.destination(2));
  return {
    debug: (f, m) => p.debug(f, m),
    info: (f, m) => p.info(f, m),
    warn: (f, m) => p.warn(f, m),
    error: (f, m) => p.error(f, m),
  };
}
