/**
 * Stable codes for every configuration error the efsink constructs raise. Branch on `code`, never on
 * `instanceof`: a synth can load two copies of this module (bundled app + library).
 */
export const CONSTRUCT_CONFIG_ERROR_CODES = [
  'DELIVERY_STREAM_NAME_PREFIX',
  'DELIVERY_STREAM_NAME_INVALID',
  'MOUNT_PATH_INVALID',
  'VALUE_OUT_OF_RANGE',
  'VISIBILITY_TIMEOUT_TOO_SHORT',
  'ENTRY_NOT_FOUND',
  'ENDPOINT_URL_INVALID',
  'PREFIX_INVALID',
  'INVALID_NODE_VERSION',
  'LOG_GROUP_INVALID',
  'MEMORY_BOUND_EXCEEDED',
] as const;

export type ConstructConfigErrorCode = (typeof CONSTRUCT_CONFIG_ERROR_CODES)[number];

/**
 * Thrown eagerly from a construct's constructor when a prop is outside what AWS accepts. CDK's own
 * `ValidationError` is internal, so we carry our own with a stable `code`. The message says what was
 * given and what is allowed.
 */
export class ConstructConfigError extends Error {
  override readonly name = 'ConstructConfigError';
  readonly code: ConstructConfigErrorCode;
  /** Construct path (`Stack/Construct`) that raised the error, for messages in big apps. */
  readonly constructPath: string;

  constructor(
    code: ConstructConfigErrorCode,
    constructPath: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(`${constructPath}: ${message}`, options);
    this.code = code;
    this.constructPath = constructPath;
  }
}
