import { describe, expect, it } from 'vitest';
import { parseAccessLogFormat } from './format.js';
import { ACCESS_LOG_PRESETS, type AccessLogPresetName } from './presets.js';
import { type AccessLogContext, renderAccessLog } from './render.js';

// Two requests, rendered with every preset. The expected lines are written out by hand from the preset
// strings in aws-facts.md 1.3; they are not produced by the code under test.
const plain: AccessLogContext = {
  'identity.sourceIp': '198.51.100.7',
  'identity.caller': undefined,
  requestTime: '09/Mar/2024:08:05:03 +0000',
  httpMethod: 'GET',
  resourcePath: '/pets/{petId}',
  routeKey: 'GET /pets/{petId}',
  protocol: 'HTTP/1.1',
  status: 200,
  responseLength: 512,
  requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  extendedRequestId: 'IfAyBFvNIAMFXWw=',
};

const unusual: AccessLogContext = {
  'identity.sourceIp': '2001:db8::1',
  'identity.caller': 'AIDAJQABLZS4A3QDU576Q',
  'identity.user': 'AIDACKCEVSQ6C2EXAMPLE',
  requestTime: '31/Dec/2023:23:59:59 +0000',
  httpMethod: 'POST',
  resourcePath: '/café/日本/🎉',
  routeKey: '$default',
  protocol: 'HTTP/2.0',
  status: 502,
  responseLength: 0,
  requestId: 'f47ac10b-58cc-4372-a567-0e02b2c3d479',
  extendedRequestId: '',
};

const expected: ReadonlyArray<readonly [AccessLogPresetName, AccessLogContext, string]> = [
  [
    'rest-clf',
    plain,
    '198.51.100.7 - - [09/Mar/2024:08:05:03 +0000] "GET /pets/{petId} HTTP/1.1" 200 512 c6af9ac6-7b61-11e6-9a41-93e8deadbeef IfAyBFvNIAMFXWw=',
  ],
  [
    'rest-json',
    plain,
    '{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "extendedRequestId":"IfAyBFvNIAMFXWw=", "ip": "198.51.100.7", "caller":"-", "user":"-", "requestTime":"09/Mar/2024:08:05:03 +0000", "httpMethod":"GET", "resourcePath":"/pets/{petId}", "status":"200", "protocol":"HTTP/1.1", "responseLength":"512" }',
  ],
  [
    'rest-xml',
    plain,
    '<request id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef"> <extendedRequestId>IfAyBFvNIAMFXWw=</extendedRequestId> <ip>198.51.100.7</ip> <caller>-</caller> <user>-</user> <requestTime>09/Mar/2024:08:05:03 +0000</requestTime> <httpMethod>GET</httpMethod> <resourcePath>/pets/{petId}</resourcePath> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>512</responseLength> </request>',
  ],
  [
    'rest-csv',
    plain,
    '198.51.100.7,-,-,09/Mar/2024:08:05:03 +0000,GET,/pets/{petId},HTTP/1.1,200,512,c6af9ac6-7b61-11e6-9a41-93e8deadbeef,IfAyBFvNIAMFXWw=',
  ],
  [
    'http-clf',
    plain,
    '198.51.100.7 - - [09/Mar/2024:08:05:03 +0000] "GET GET /pets/{petId} HTTP/1.1" 200 512 c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  ],
  [
    'http-json',
    plain,
    '{ "requestId":"c6af9ac6-7b61-11e6-9a41-93e8deadbeef", "ip": "198.51.100.7", "requestTime":"09/Mar/2024:08:05:03 +0000", "httpMethod":"GET","routeKey":"GET /pets/{petId}", "status":"200","protocol":"HTTP/1.1", "responseLength":"512" }',
  ],
  [
    'http-xml',
    plain,
    '<request id="c6af9ac6-7b61-11e6-9a41-93e8deadbeef"> <ip>198.51.100.7</ip> <requestTime>09/Mar/2024:08:05:03 +0000</requestTime> <httpMethod>GET</httpMethod> <routeKey>GET /pets/{petId}</routeKey> <status>200</status> <protocol>HTTP/1.1</protocol> <responseLength>512</responseLength> </request>',
  ],
  [
    'http-csv',
    plain,
    '198.51.100.7,09/Mar/2024:08:05:03 +0000,GET,GET /pets/{petId},HTTP/1.1,200,512,c6af9ac6-7b61-11e6-9a41-93e8deadbeef',
  ],
  [
    'rest-clf',
    unusual,
    '2001:db8::1 AIDAJQABLZS4A3QDU576Q AIDACKCEVSQ6C2EXAMPLE [31/Dec/2023:23:59:59 +0000] "POST /café/日本/🎉 HTTP/2.0" 502 0 f47ac10b-58cc-4372-a567-0e02b2c3d479 -',
  ],
  [
    'rest-json',
    unusual,
    '{ "requestId":"f47ac10b-58cc-4372-a567-0e02b2c3d479", "extendedRequestId":"-", "ip": "2001:db8::1", "caller":"AIDAJQABLZS4A3QDU576Q", "user":"AIDACKCEVSQ6C2EXAMPLE", "requestTime":"31/Dec/2023:23:59:59 +0000", "httpMethod":"POST", "resourcePath":"/café/日本/🎉", "status":"502", "protocol":"HTTP/2.0", "responseLength":"0" }',
  ],
  [
    'rest-xml',
    unusual,
    '<request id="f47ac10b-58cc-4372-a567-0e02b2c3d479"> <extendedRequestId>-</extendedRequestId> <ip>2001:db8::1</ip> <caller>AIDAJQABLZS4A3QDU576Q</caller> <user>AIDACKCEVSQ6C2EXAMPLE</user> <requestTime>31/Dec/2023:23:59:59 +0000</requestTime> <httpMethod>POST</httpMethod> <resourcePath>/café/日本/🎉</resourcePath> <status>502</status> <protocol>HTTP/2.0</protocol> <responseLength>0</responseLength> </request>',
  ],
  [
    'rest-csv',
    unusual,
    '2001:db8::1,AIDAJQABLZS4A3QDU576Q,AIDACKCEVSQ6C2EXAMPLE,31/Dec/2023:23:59:59 +0000,POST,/café/日本/🎉,HTTP/2.0,502,0,f47ac10b-58cc-4372-a567-0e02b2c3d479,-',
  ],
  [
    'http-clf',
    unusual,
    '2001:db8::1 - - [31/Dec/2023:23:59:59 +0000] "POST $default HTTP/2.0" 502 0 f47ac10b-58cc-4372-a567-0e02b2c3d479',
  ],
  [
    'http-json',
    unusual,
    '{ "requestId":"f47ac10b-58cc-4372-a567-0e02b2c3d479", "ip": "2001:db8::1", "requestTime":"31/Dec/2023:23:59:59 +0000", "httpMethod":"POST","routeKey":"$default", "status":"502","protocol":"HTTP/2.0", "responseLength":"0" }',
  ],
  [
    'http-xml',
    unusual,
    '<request id="f47ac10b-58cc-4372-a567-0e02b2c3d479"> <ip>2001:db8::1</ip> <requestTime>31/Dec/2023:23:59:59 +0000</requestTime> <httpMethod>POST</httpMethod> <routeKey>$default</routeKey> <status>502</status> <protocol>HTTP/2.0</protocol> <responseLength>0</responseLength> </request>',
  ],
  [
    'http-csv',
    unusual,
    '2001:db8::1,31/Dec/2023:23:59:59 +0000,POST,$default,HTTP/2.0,502,0,f47ac10b-58cc-4372-a567-0e02b2c3d479',
  ],
];

describe('renderAccessLog', () => {
  it.each(expected)('renders the %s preset exactly as API Gateway documents it', (preset, context, line) => {
    expect(renderAccessLog(ACCESS_LOG_PRESETS[preset], context)).toBe(line);
  });

  it('renders the same line from a tokenized format as from the string', () => {
    const format = parseAccessLogFormat(ACCESS_LOG_PRESETS['rest-json']);
    expect(renderAccessLog(format, plain)).toBe(renderAccessLog(ACCESS_LOG_PRESETS['rest-json'], plain));
  });

  it('renders missing, undefined and empty values as -', () => {
    const format = '$context.requestId|$context.a|$context.b|$context.c';
    expect(renderAccessLog(format, { requestId: 'r', b: undefined, c: '' })).toBe('r|-|-|-');
  });

  it('writes numbers with String(n), including 0', () => {
    expect(
      renderAccessLog('$context.status $context.responseLength', { status: 404, responseLength: 0 }),
    ).toBe('404 0');
  });

  it('substitutes values raw: no JSON escaping of quotes, backslashes or newlines', () => {
    const line = renderAccessLog('{"ua":"$context.identity.userAgent"}', {
      'identity.userAgent': 'a"b\\c\nd',
    });
    expect(line).toBe('{"ua":"a"b\\c\nd"}');
  });

  it('keeps a trailing newline of the format, and a value that looks like a variable stays as is', () => {
    expect(
      renderAccessLog('$context.routeKey $context.requestId\n', {
        routeKey: '$context.requestId',
        requestId: 'r',
      }),
    ).toBe('$context.requestId r\n');
  });

  it('does not read names such as toString or __proto__ from Object.prototype', () => {
    expect(renderAccessLog('$context.toString $context.__proto__ $context.constructor', {})).toBe('- - -');
  });

  it('copies literal text that is not a $context variable, including forbidden references', () => {
    expect(renderAccessLog('$input.body $5 $context.requestId.', { requestId: 'r' })).toBe(
      '$input.body $5 r.',
    );
  });
});
