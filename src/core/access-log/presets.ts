/**
 * The API Gateway console's access-log presets, as exact strings.
 *
 * REST presets are printed in the docs over several lines with `\` continuations; they are joined here
 * with single spaces. The console's exact whitespace is unconfirmed (aws-facts.md 1.3). HTTP API
 * presets are printed on one line in the docs and are copied verbatim, including the missing space
 * after `"$context.httpMethod",` in the JSON preset.
 *
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
 * @see https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-logging.html
 */

/** REST API, Common Log Format. */
export const REST_CLF_FORMAT =
  '$context.identity.sourceIp $context.identity.caller $context.identity.user [$context.requestTime] "$context.httpMethod $context.resourcePath $context.protocol" $context.status $context.responseLength $context.requestId $context.extendedRequestId';

/** REST API, JSON. */
export const REST_JSON_FORMAT =
  '{ "requestId":"$context.requestId", "extendedRequestId":"$context.extendedRequestId", "ip": "$context.identity.sourceIp", "caller":"$context.identity.caller", "user":"$context.identity.user", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod", "resourcePath":"$context.resourcePath", "status":"$context.status", "protocol":"$context.protocol", "responseLength":"$context.responseLength" }';

/** REST API, XML. */
export const REST_XML_FORMAT =
  '<request id="$context.requestId"> <extendedRequestId>$context.extendedRequestId</extendedRequestId> <ip>$context.identity.sourceIp</ip> <caller>$context.identity.caller</caller> <user>$context.identity.user</user> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <resourcePath>$context.resourcePath</resourcePath> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>';

/** REST API, CSV. */
export const REST_CSV_FORMAT =
  '$context.identity.sourceIp,$context.identity.caller,$context.identity.user,$context.requestTime,$context.httpMethod,$context.resourcePath,$context.protocol,$context.status,$context.responseLength,$context.requestId,$context.extendedRequestId';

/** HTTP API, Common Log Format. */
export const HTTP_CLF_FORMAT =
  '$context.identity.sourceIp - - [$context.requestTime] "$context.httpMethod $context.routeKey $context.protocol" $context.status $context.responseLength $context.requestId';

/** HTTP API, JSON. */
export const HTTP_JSON_FORMAT =
  '{ "requestId":"$context.requestId", "ip": "$context.identity.sourceIp", "requestTime":"$context.requestTime", "httpMethod":"$context.httpMethod","routeKey":"$context.routeKey", "status":"$context.status","protocol":"$context.protocol", "responseLength":"$context.responseLength" }';

/** HTTP API, XML. */
export const HTTP_XML_FORMAT =
  '<request id="$context.requestId"> <ip>$context.identity.sourceIp</ip> <requestTime>$context.requestTime</requestTime> <httpMethod>$context.httpMethod</httpMethod> <routeKey>$context.routeKey</routeKey> <status>$context.status</status> <protocol>$context.protocol</protocol> <responseLength>$context.responseLength</responseLength> </request>';

/** HTTP API, CSV. */
export const HTTP_CSV_FORMAT =
  '$context.identity.sourceIp,$context.requestTime,$context.httpMethod,$context.routeKey,$context.protocol,$context.status,$context.responseLength,$context.requestId';

/** Every preset by a short name, for CLI flags and test tables. */
export const ACCESS_LOG_PRESETS = {
  'rest-clf': REST_CLF_FORMAT,
  'rest-json': REST_JSON_FORMAT,
  'rest-xml': REST_XML_FORMAT,
  'rest-csv': REST_CSV_FORMAT,
  'http-clf': HTTP_CLF_FORMAT,
  'http-json': HTTP_JSON_FORMAT,
  'http-xml': HTTP_XML_FORMAT,
  'http-csv': HTTP_CSV_FORMAT,
} as const;

export type AccessLogPresetName = keyof typeof ACCESS_LOG_PRESETS;

/** Preset names in a stable order. */
export const ACCESS_LOG_PRESET_NAMES = Object.keys(ACCESS_LOG_PRESETS) as readonly AccessLogPresetName[];
