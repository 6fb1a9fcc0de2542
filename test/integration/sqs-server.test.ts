import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSqsTestClient, type SqsServer, startSqsServer } from '../support/sqs-server.js';

// The real SDK v3 client (AWS JSON 1.0, MD5 checks on send and receive) against the in-repo server.
describe('in-repo SQS server, driven by @aws-sdk/client-sqs', () => {
  let now = 1_800_000_000_000;
  let sqs: SqsServer;
  let client: ReturnType<typeof createSqsTestClient>;
  beforeEach(async () => {
    now = 1_800_000_000_000;
    sqs = await startSqsServer({ nowMs: () => now });
    client = createSqsTestClient(sqs.endpoint);
  });
  afterEach(async () => {
    client.destroy();
    await sqs.stop();
  });

  const createQueue = async (name: string, attributes?: Record<string, string>) =>
    (await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes })))
      .QueueUrl as string;

  it('hides a received message for the visibility timeout, then redelivers it with a new receipt handle', async () => {
    const url = await createQueue('q');
    await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: 'héllo' }));
    const first = await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
    expect(first.Messages?.map((m) => m.Body)).toEqual(['héllo']);
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: url }))).Messages).toBeUndefined();
    now += 31_000;
    const second = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    const m = second.Messages?.[0];
    expect(m?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(m?.ReceiptHandle).not.toBe(first.Messages?.[0]?.ReceiptHandle);
    // The stale handle succeeds but deletes nothing; the latest one deletes.
    await client.send(
      new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: first.Messages?.[0]?.ReceiptHandle }),
    );
    expect(sqs.bodies(url)).toEqual(['héllo']);
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: m?.ReceiptHandle }));
    expect(sqs.bodies(url)).toEqual([]);
  });

  it('answers SDK-typed errors for an unknown queue and an invalid receipt handle', async () => {
    const url = await createQueue('q');
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: `${sqs.endpoint}/000000000000/nope` })),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: 'bm90LWEtaGFuZGxl' })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });
  });

  it('returns at most MaxNumberOfMessages and long-polls until a message arrives', async () => {
    const url = await createQueue('q');
    for (let i = 0; i < 12; i++)
      await client.send(new SendMessageCommand({ QueueUrl: url, MessageBody: `m${i}` }));
    const got = await client.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10 }));
    expect(got.Messages).toHaveLength(10);
    const empty = await createQueue('empty');
    const waiting = client.send(new ReceiveMessageCommand({ QueueUrl: empty, WaitTimeSeconds: 20 }));
    await new Promise((r) => setTimeout(r, 50));
    await client.send(new SendMessageCommand({ QueueUrl: empty, MessageBody: 'late' }));
    expect((await waiting).Messages?.map((x) => x.Body)).toEqual(['late']);
  });

  it('dead-letters after maxReceiveCount and moves messages back with StartMessageMoveTask', async () => {
    const dlq = await createQueue('dlq');
    const dlqArn = (
      await client.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))
    ).Attributes?.QueueArn;
    const src = await createQueue('src', {
      VisibilityTimeout: '10',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
    });
    await client.send(new SendMessageCommand({ QueueUrl: src, MessageBody: 'poison' }));
    for (let i = 0; i < 2; i++) {
      expect((await client.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toHaveLength(1);
      now += 11_000;
    }
    expect((await client.send(new ReceiveMessageCommand({ QueueUrl: src }))).Messages).toBeUndefined();
    expect(sqs.bodies(dlq)).toEqual(['poison']);
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn }));
    expect(sqs.bodies(dlq)).toEqual([]);
    const back = await client.send(
      new ReceiveMessageCommand({ QueueUrl: src, MessageSystemAttributeNames: ['ApproximateReceiveCount'] }),
    );
    expect(back.Messages?.map((m) => [m.Body, m.Attributes?.ApproximateReceiveCount])).toEqual([
      ['poison', '1'],
    ]);
  });
});
