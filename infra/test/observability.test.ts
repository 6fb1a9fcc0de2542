import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, test } from 'vitest';
import { buildApp } from '../bin/app.js';
import { FirehoseS3ToEfs } from '../lib/firehose-s3-to-efs.js';
import { createTestEnvironment, FIXTURE_ENTRIES } from './helpers.js';

const RUNBOOK = readFileSync(resolve(import.meta.dirname, '../../docs/runbook.md'), 'utf8');

/** The example app with every path stack, as `npm run synth` builds it (no bundling). */
function exampleTemplates(): Map<string, Template> {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [], example: 'true', alarmEmail: 'ops@example.org' },
  });
  buildApp(app);
  const stacks = app.node.children.filter((c): c is Stack => Stack.isStack(c));
  return new Map(
    stacks
      .filter((s) => s.stackName !== 'EfsinkVpcEndpoints')
      .map((s) => [s.stackName, Template.fromStack(s)] as const),
  );
}

const templates = exampleTemplates();

/** Entries under "## FirehoseHttpEndpointToEfs" (ThrottledRecordsAlarm, shared, is verified on the S3 path). */
const HTTP_PATH_ALARMS = new Set(
  (RUNBOOK.split('## FirehoseHttpEndpointToEfs')[1] ?? '').match(/^### (\S+)/gm)?.map((h) => h.slice(4)) ??
    [],
);

/** `### Heading` → its section text, up to the next `###` or `##`. */
function runbookSections(): Map<string, string> {
  const sections = new Map<string, string>();
  const parts = RUNBOOK.split(/^### /m).slice(1);
  for (const part of parts) {
    const [heading = '', ...rest] = part.split('\n');
    sections.set(heading.trim(), rest.join('\n').split(/^## /m)[0] ?? '');
  }
  return sections;
}

describe('alarms and docs/runbook.md', () => {
  const sections = runbookSections();
  const alarms = [...templates.entries()].flatMap(([stack, t]) =>
    Object.values(t.findResources('AWS::CloudWatch::Alarm')).map((a) => ({
      stack,
      props: (a as { Properties: { AlarmName: string; AlarmDescription: string } }).Properties,
    })),
  );

  test('the example app has the three path stacks and their alarms', () => {
    expect([...templates.keys()].sort()).toEqual([
      'EfsinkCloudWatchLogs',
      'EfsinkFirehoseHttp',
      'EfsinkFirehoseS3',
    ]);
    expect(alarms.length).toBeGreaterThanOrEqual(25);
  });

  test('every alarm is named <stack>-<path>-<id>, and <id> is a runbook heading its description points to', () => {
    for (const { stack, props } of alarms) {
      expect(props.AlarmName.startsWith(`${stack}-`)).toBe(true);
      const id = props.AlarmName.split('-').at(-1) ?? '';
      expect(sections.has(id), `docs/runbook.md has no "### ${id}" (alarm ${props.AlarmName})`).toBe(true);
      expect(props.AlarmDescription).toContain(`Runbook: docs/runbook.md#${id.toLowerCase()}`);
    }
  });

  test('every alarm heading of the runbook belongs to an alarm the constructs create', () => {
    const ids = new Set(alarms.map(({ props }) => props.AlarmName.split('-').at(-1)));
    for (const heading of sections.keys()) expect(ids.has(heading), `orphan heading ${heading}`).toBe(true);
  });

  test('every entry says what it means, how to confirm it, and recovers with efsink verify as the last step', () => {
    for (const [heading, text] of sections) {
      expect(text, heading).toMatch(/\*\*Means\*\*/);
      expect(text, heading).toMatch(/\*\*Confirm\*\*/);
      expect(text, heading).toMatch(/\*\*Recover\*\*/);
      const recover = text.split('**Recover**')[1] ?? '';
      const blocks = [...recover.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1] ?? '');
      const commands = (blocks.at(-1) ?? '')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l !== '' && !l.startsWith('#'));
      // The HTTP endpoint path has no source copy to verify against (docs/runbook.md says so): its
      // recoveries end with an assembly pass instead. Every other path ends with efsink verify.
      expect(commands.at(-1), `${heading}: last recovery step`).toMatch(
        HTTP_PATH_ALARMS.has(heading) ? /^efsink assemble / : /^efsink verify /,
      );
    }
  });

  test('the runbook states the HTTP path verification gap it works around', () => {
    expect(RUNBOOK).toMatch(/\*\*Gap:\*\* the HTTP endpoint path\s+keeps no second copy/);
  });
});

describe('dashboards', () => {
  test.each([
    ['EfsinkCloudWatchLogs', ['AsyncEventAge', 'Throttles', 'Errors']],
    [
      'EfsinkFirehoseS3',
      ['DeliveryToS3.DataFreshness', 'ApproximateAgeOfOldestMessage', 'Throttles', 'Errors'],
    ],
    [
      'EfsinkFirehoseHttp',
      ['DeliveryToHttpEndpoint.DataFreshness', 'HTTPCode_ELB_5XX_Count', 'CPUUtilization'],
    ],
  ])('%s: throughput, lag, failures by code, duplicates, DLQ depth and its own metrics', (stack, own) => {
    const t = templates.get(stack);
    expect(t).toBeDefined();
    const bodies = Object.values(t?.findResources('AWS::CloudWatch::Dashboard') ?? {}).map((d) =>
      JSON.stringify(d),
    );
    expect(bodies).toHaveLength(1);
    const body = bodies[0] ?? '';
    for (const metric of [
      'EventsReceived',
      'SegmentsLanded',
      'BytesWritten',
      'OldestUnassembledSegmentAgeSeconds',
      'SEARCH(',
      'Failures',
      'AssemblyFailures',
      'DuplicateUnits',
      ...(stack === 'EfsinkFirehoseHttp' ? [] : ['ApproximateNumberOfMessagesVisible']),
      ...own,
    ])
      expect(body, `${stack} dashboard lacks ${metric}`).toContain(metric);
  });
});

describe('FirehoseS3ToEfs logGroup', () => {
  test('reaches the S3 handler as EFSINK_LOG_GROUP', () => {
    const env = createTestEnvironment();
    new FirehoseS3ToEfs(env.stack, 'S3Path', {
      vpc: env.vpc,
      fileSystem: env.fileSystem,
      entry: FIXTURE_ENTRIES.s3Sqs,
      createAssembler: false,
      logGroup: 'api-access',
    });
    Template.fromStack(env.stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ EFSINK_LOG_GROUP: 'api-access' }) },
    });
  });
});
