import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compilePathTemplate,
  DEFAULT_PATH_TEMPLATE,
  encodeName,
  MARK,
  renderPath,
  STRING_TOKENS,
} from './path-template.js';

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
    ['../../etc', '%2E.%2F..%2Fetc/2025/08/06/14.log'],
    ['/abs/./x', 'abs/%2E/x/2025/08/06/14.log'],
    ['a\0b', 'a%00b/2025/08/06/14.log'],
    ['.efsink', '%2Eefsink/2025/08/06/14.log'],
    ['sp ace:%', 'sp%20ace%3A%25/2025/08/06/14.log'],
    ['a//b/', 'a%2F%2Fb%2F/2025/08/06/14.log'],
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

  it('fails with LAYOUT_NAME_TOO_LONG when a name exceeds 255 bytes once encoded', () => {
    expect(() => encodeName('é'.repeat(50))).toThrow(
      expect.objectContaining({ code: 'LAYOUT_NAME_TOO_LONG' }),
    );
    expect(encodeName('x'.repeat(255))).toHaveLength(255);
  });

  it('writes a segment that renders to nothing as %_, and a value of slashes as one name', () => {
    const t = compilePathTemplate('{logStream}');
    expect(renderPath(t, { logStream: '' }, at)).toBe('%_');
    expect(renderPath(t, { logStream: '//' }, at)).toBe('%2F%2F');
    expect(renderPath(T, {}, at)).toBe('2025/08/06/14.log'); // an empty log group adds no directory
    expect(renderPath(compilePathTemplate('{logGroup}'), {}, at)).toBe('%_');
  });
});

describe('renderPath: names (ADR 0014)', () => {
  it.each([
    ['/aws/apigateway/prod', 'aws/apigateway/prod'],
    ['/aws/vendedlogs/apigw-access', 'aws/vendedlogs/apigw-access'],
    ['API-Gateway-Execution-Logs_1bn4pp0rr3/prod', 'API-Gateway-Execution-Logs_1bn4pp0rr3/prod'],
    ['MyStack-AccessLogs1234ABCD-x1y2z3', 'MyStack-AccessLogs1234ABCD-x1y2z3'],
    ['/ecs/my-api/access', 'ecs/my-api/access'],
  ])('keeps the path of the everyday log group %j (existing deployments keep their files)', (g, dir) => {
    expect(renderPath(T, { logGroup: g }, at)).toBe(`${dir}/2025/08/06/14.log`);
  });

  it('puts /g/prod, g/prod and g//prod/ in three different files', () => {
    const paths = ['/g/prod', 'g/prod', 'g//prod/', '/g', 'g'].map((g) => renderPath(T, { logGroup: g }, at));
    expect(paths).toEqual([
      'g/prod/2025/08/06/14.log',
      'g%2Fprod/2025/08/06/14.log',
      'g%2F%2Fprod%2F/2025/08/06/14.log',
      '%2Fg/2025/08/06/14.log',
      'g/2025/08/06/14.log',
    ]);
  });

  it("never turns another log group's file into a directory", () => {
    const aFile = renderPath(T, { logGroup: '/a' }, at);
    const bare = renderPath(T, { logGroup: 'a/2025/08/06/14.log' }, at);
    const slashed = renderPath(T, { logGroup: '/a/2025/08/06/14.log' }, at);
    const plainA = renderPath(T, { logGroup: '/x/a' }, at);
    const trap = renderPath(T, { logGroup: '/x/a/2025/08/06/14.log' }, at);
    expect(bare).toBe('a%2F2025%2F08%2F06%2F14.log/2025/08/06/14.log');
    expect(slashed).toBe('a/2025/08/06/%_14.log/2025/08/06/14.log');
    expect(trap.startsWith(`${plainA}/`)).toBe(false);
    for (const p of [bare, slashed]) expect(p.startsWith(`${aFile}/`)).toBe(false);
  });

  /** Names built from the pieces that make mappings collide: slashes, dots, digits, escapes. */
  const hostile = fc
    .array(
      fc.oneof(
        fc.constantFrom('/', '/', '//', '.', '..', 'a', 'b', '14', '2025', '08', '14.log', '.log', '-'),
        fc.constantFrom('%', '%2F', '%_', '%25', '_', 'API-Gateway-Execution-Logs_', '\0', 'é', ' '),
        fc.string({ unit: 'binary', maxLength: 4 }),
      ),
      { maxLength: 8 },
    )
    .map((xs) => xs.join(''));

  it.each([
    DEFAULT_PATH_TEMPLATE,
    '{logGroup}/{logStream}/{HH}.log',
    '{logGroup}',
    'logs/{owner}/{logGroup}/{yyyy}{MM}{dd}-{logStream}.log',
    '{logGroup}/{yyyy}/{MM}/{dd}/{HH}/{logStream}',
    '{source}-{HH}/{logGroup}/x.log',
  ])(
    'is injective and no path is a directory of another, for any names (%s)',
    (source) => {
      const t = compilePathTemplate(source);
      const used = STRING_TOKENS.filter((k) => source.includes(`{${k}}`));
      const hours = [at, at + 3_600_000, at + 86_400_000 * 400];
      // Values related to each other, as colliding names are: one base, with a slash added in front,
      // doubled or added at the end, or with another path's directories and file name appended.
      const variants = [
        (b: string) => b,
        (b: string) => `/${b}`,
        (b: string) => b.replace('/', '//'),
        (b: string) => `${b}/`,
        (b: string) => `${b}/2025/08/06/14.log`,
        (b: string) => `/${b}/2025/08/06/14.log`,
        (b: string) => `${b}/14.log`,
        (b: string) => `${b}/14`,
        (b: string) => `${b}/${MARK}14.log`,
      ];
      const related = (base: string) =>
        fc.oneof(
          hostile,
          fc.constantFrom(...variants).map((v) => v(base)),
        );
      const entries = (base: string) =>
        fc.array(
          fc.record({
            values: fc.record(
              Object.fromEntries(used.map((k) => [k, related(base)])) as Record<string, fc.Arbitrary<string>>,
            ),
            hour: fc.constantFrom(...hours),
          }),
          { minLength: 2, maxLength: 6 },
        );
      // The identity of a file: the values the template uses, and the time parts it renders.
      const identity = (e: { values: Record<string, string>; hour: number }) => {
        const d = new Date(e.hour);
        const time = [
          source.includes('{yyyy}') ? d.getUTCFullYear() : '',
          source.includes('{MM}') ? d.getUTCMonth() : '',
          source.includes('{dd}') ? d.getUTCDate() : '',
          source.includes('{HH}') ? d.getUTCHours() : '',
        ];
        return JSON.stringify([used.map((k) => e.values[k]), time]);
      };
      fc.assert(
        fc.property(hostile.chain(entries), (list) => {
          const paths = new Map<string, string>();
          for (const e of list) {
            let path: string;
            try {
              path = renderPath(t, e.values, e.hour);
            } catch (err) {
              expect((err as { code?: string }).code).toBe('LAYOUT_NAME_TOO_LONG');
              continue;
            }
            const id = identity(e);
            for (const [otherId, other] of paths) {
              if (otherId === id) expect(path).toBe(other);
              else {
                expect(path).not.toBe(other);
                expect(path.startsWith(`${other}/`)).toBe(false);
                expect(other.startsWith(`${path}/`)).toBe(false);
              }
            }
            paths.set(id, path);
          }
        }),
        { numRuns: 1500 },
      );
    },
    120_000,
  );
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
    ['{logGroup}-{logStream}.log', 'could not be told apart'],
  ])('fails on %j with LAYOUT_INVALID_TEMPLATE (%s)', (template, reason) => {
    expect(() => compilePathTemplate(template)).toThrow(
      expect.objectContaining({ code: 'LAYOUT_INVALID_TEMPLATE', message: expect.stringContaining(reason) }),
    );
  });

  it('accepts templates without time tokens', () => {
    expect(renderPath(compilePathTemplate('all/{owner}.log'), { owner: '123' }, 0)).toBe('all/123.log');
  });
});
