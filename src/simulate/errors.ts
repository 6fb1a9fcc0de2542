/** Codes raised by `efsink simulate` and `efsink demo` (listed in docs/errors.md). */
export const SimulateErrorCode = {
  /** `--format` is neither a preset name nor an access-log format (it has no `$`). */
  unknownPreset: 'SIMULATE_UNKNOWN_PRESET',
  /** A delivery kept failing after every retry (the message names the unit and the last answer). */
  deliveryFailed: 'SIMULATE_DELIVERY_FAILED',
  /** A helper process or server (efsink serve, the S3 server) did not start. */
  startFailed: 'SIMULATE_START_FAILED',
  /** `efsink demo --root DIR` names a directory that already has content. */
  rootNotEmpty: 'DEMO_ROOT_NOT_EMPTY',
} as const;
