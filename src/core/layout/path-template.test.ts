import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compilePathTemplate, DEFAULT_PATH_TEMPLATE, encodeName, renderPath } from './path-template.js';

const T = compilePathTemplate(DEFAULT_PATH_TEMPLATE);
const at = Date.UTC(2025, 7, 6, 14, 59, 59, 999);

describe('renderPath', () => {
  it('renders the default layout in UTC from the entry timestamp', () => {
    expect(renderPath(T, { logGroup: '/aws/apigateway/prod' }, at)).toBe(
      'aws/apigateway/prod/2025/08/06/14.log',
    );
    expect(renderPath(T, { logGroup: 'API-Gateway-Execution-Logs_1bn4pp0rr3/dev' }, at + 1)).toBe(
      'API-Gateway-Execution-Logs_1bn4pp0rr3/dev/2025/08/06/15.log',
    );
  });

  it.each([
    ['..', '%2E./2025/08/06/14.log'],
    ['../../etc', '%2E./%2E./etc/2025/08/06/14.log'],
    ['/abs/./x', 'abs/%2E/x/2025/08/06/14.log'],
    ['a\0b', 'a%00b/2025/08/06/14.log'],
    ['.efsink', '%2Eefsink/2025/08/06/14.log'],
    ['sp ace:%', 'sp%20ace%3A%25/2025/08/06/14.log'],
    ['a//b/', 'a/b/2025/08/06/14.log'],
    ['日本', '%E6%97%A5%E6%9C%AC/2025/08/06/14.log'],
  ])('confines hostile log group %j under the root as %j', (logGroup, expected) => {
    expect(renderPath(T, { logGroup }, at)).toBe(expected);
  });

  it('never escapes the root or names a hidden file, for any log group and stream', () => {
    const t = compilePathTemplate('{logGroup}/{logStream}-{HH}.log');
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 60 }),
        fc.string({ unit: 'binary', maxLength: 60 }),
        (logGroup, logStream) => {
          const path = renderPath(t, { logGroup, logStream }, at);
          expect(path.startsWith('/')).toBe(false);
          for (const name of path.split('/')) {
            expect(name.length).toBeGreaterThan(0);
            expect(name.startsWith('.')).toBe(false);
            expect(name).not.toMatch(/[\0\\]/);
          }
        },
      ),
      { numRuns: 500 },
    );
  }, 60_000);

  it('is injective: two different log groups never share a file', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 30 }),
        fc.string({ minLength: 1, maxLength: 30 }),
        (a, b) => {
          const norm = (s: string) =>
            s
              .split('/')
              .filter((x) => x.length > 0)
              .join('/');
          fc.pre(norm(a) !== norm(b) && norm(a) !== '' && norm(b) !== '');
          expect(renderPath(T, { logGroup: a }, at)).not.toBe(renderPath(T, { logGroup: b }, at));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('fails with LAYOUT_NAME_TOO_LONG when a name exceeds 255 bytes once encoded', () => {
    expect(() => encodeName('é'.repeat(50))).toThrow(
      expect.objectContaining({ code: 'LAYOUT_NAME_TOO_LONG' }),
    );
    expect(encodeName('x'.repeat(255))).toHaveLength(255);
  });

  it('fails with LAYOUT_PATH_ESCAPES_ROOT when everything renders empty', () => {
    expect(() => renderPath(compilePathTemplate('{logStream}'), { logStream: '//' }, at)).toThrow(
      expect.objectContaining({ code: 'LAYOUT_PATH_ESCAPES_ROOT' }),
    );
  });
});

describe('compilePathTemplate', () => {
  it.each([
    ['', 'is empty'],
    ['/abs/{HH}.log', 'must be relative'],
    ['{logGroup}/', 'must end with a file name'],
    ['a//b', 'empty segment'],
    ['../{HH}', 'starts with "."'],
    ['{logGroup}/{hour}.log', 'unknown token {hour}'],
    ['{logGroup/x', 'unbalanced "{"'],
    ['a}b', 'unbalanced "}"'],
    ['a\0b', 'contains NUL'],
  ])('fails on %j with LAYOUT_INVALID_TEMPLATE (%s)', (template, reason) => {
    expect(() => compilePathTemplate(template)).toThrow(
      expect.objectContaining({ code: 'LAYOUT_INVALID_TEMPLATE', message: expect.stringContaining(reason) }),
    );
  });

  it('accepts templates without time tokens', () => {
    expect(renderPath(compilePathTemplate('all/{owner}.log'), { owner: '123' }, 0)).toBe('all/123.log');
  });
});
