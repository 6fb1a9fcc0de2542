export {
  AccessLogErrorCode,
  AccessLogFormatError,
  type FormatProblem,
} from './errors.js';
export {
  type AccessLogFormat,
  type FormatPart,
  type LiteralPart,
  parseAccessLogFormat,
  type VariablePart,
} from './format.js';
export {
  type GenerateAccessLogOptions,
  type GeneratedAccessLogEntry,
  generateAccessLogEntries,
  generateAccessLogLines,
  iterateAccessLogEntries,
} from './generate.js';
export { generateRequestContext, type RequestContextScope } from './generate-context.js';
export { parseAccessLog } from './parse-line.js';
export {
  ACCESS_LOG_PRESET_NAMES,
  ACCESS_LOG_PRESETS,
  type AccessLogPresetName,
  HTTP_CLF_FORMAT,
  HTTP_CSV_FORMAT,
  HTTP_JSON_FORMAT,
  HTTP_XML_FORMAT,
  REST_CLF_FORMAT,
  REST_CSV_FORMAT,
  REST_JSON_FORMAT,
  REST_XML_FORMAT,
} from './presets.js';
export { createPrng, type Prng } from './prng.js';
export { type AccessLogContext, MISSING_VALUE, renderAccessLog } from './render.js';
export { formatRequestTime, parseRequestTime, requestTimeFields } from './request-time.js';
export { utf8ByteLength } from './utf8.js';
export {
  assertValidFormat,
  MAX_FORMAT_BYTES,
  REQUEST_ID_VARIABLES,
  validateAccessLogFormat,
} from './validate.js';
