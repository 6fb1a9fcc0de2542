import { describe, expect, it } from 'vitest';
import { parseAccessLogFormat, scanDollarReferences, toAccessLogFormat } from './format.js';

const lit = (text: string) => ({ kind: 'literal', text });
const v = (name: string) => ({ kind: 'variable', name });

describe('parseAccessLogFormat', () => {
  it.each([
    ['$context.requestId', [v('requestId')]],
    ['$context.identity.sourceIp', [v('identity.sourceIp')]],
    ['$context.error.messageString', [v('error.messageString')]],
    ['$context.authorizer.claims.sub', [v('authorizer.claims.sub')]],
    ['[$context.requestTime]', [lit('['), v('requestTime'), lit(']')]],
    ['$context.requestId.', [v('requestId'), lit('.')]],
    ['$context.a..b', [v('a'), lit('..b')]],
    ['$context.authorizer.claims.custom-attr', [v('authorizer.claims.custom'), lit('-attr')]],
    ['$context.status"$context.x_y9', [v('status'), lit('"'), v('x_y9')]],
    ['$context.a$context.b', [v('a'), v('b')]],
    ['cost $5 $', [lit('cost $5 $')]],
    ['$input.body $context.requestId', [lit('$input.body '), v('requestId')]],
    [`\${context.requestId} $!context.requestId`, [lit(`\${context.requestId} $!context.requestId`)]],
    ['$context $context. $contextual', [lit('$context $context. $contextual')]],
    ['', []],
  ])('tokenizes %j', (format, parts) => {
    expect(parseAccessLogFormat(format).parts).toEqual(parts);
  });

  it('lists each variable once, in order of first appearance', () => {
    const format = parseAccessLogFormat('$context.b $context.a $context.b\n');
    expect(format.variables).toEqual(['b', 'a']);
    expect(format.source).toBe('$context.b $context.a $context.b\n');
    expect(format.parts.at(-1)).toEqual(lit('\n'));
  });

  it('passes an already tokenized format through unchanged', () => {
    const format = parseAccessLogFormat('$context.requestId');
    expect(toAccessLogFormat(format)).toBe(format);
    expect(toAccessLogFormat('$context.requestId')).toEqual(format);
  });
});

describe('scanDollarReferences', () => {
  it('classifies every $ that starts a reference, with offsets', () => {
    expect(scanDollarReferences('$context.x $context $stageVariables.v ${ $! $5')).toEqual([
      { kind: 'context', start: 0, end: 10, name: 'x' },
      { kind: 'bare-context', start: 11, end: 19 },
      { kind: 'foreign', start: 20, end: 35, name: 'stageVariables' },
      { kind: 'vtl', start: 38, end: 40 },
      { kind: 'vtl', start: 41, end: 43 },
    ]);
  });
});
