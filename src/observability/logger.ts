/**
 * The narrow logging interface the I/O module and adapters use; pino (CLI, receiver) and
 * Powertools (Lambda) are plugged in by the adapters.
 */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
