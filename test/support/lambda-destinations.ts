// How Lambda's asynchronous invocation hands a failed event to an on-failure destination, for tests:
// the invocation record as documented in the Lambda developer guide ("Capturing records of Lambda
// asynchronous invocations", example invocation record: version 1.0, requestContext with condition
// RetriesExhausted and approximateInvokeCount 3, responseContext with functionError Unhandled), and
// the SNS notification envelope an SQS queue subscribed to a topic receives (SNS developer guide,
// "Amazon SNS message and JSON formats").

import { randomUUID } from 'node:crypto';

export const FUNCTION_ARN = 'arn:aws:lambda:us-east-1:123456789012:function:efsink-cloudwatch-logs:$LATEST';

/** The record Lambda sends after the last retry failed; `payload: undefined` models a dropped payload. */
export function invocationRecordOf(
  payload: unknown,
  error: Error,
  options: { requestId?: string; timestamp?: Date; dropPayload?: boolean } = {},
): Record<string, unknown> {
  return {
    version: '1.0',
    timestamp: (options.timestamp ?? new Date()).toISOString(),
    requestContext: {
      requestId: options.requestId ?? randomUUID(),
      functionArn: FUNCTION_ARN,
      condition: 'RetriesExhausted',
      approximateInvokeCount: 3,
    },
    ...(options.dropPayload ? {} : { requestPayload: payload }),
    responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
    responsePayload: { errorType: error.name, errorMessage: error.message, trace: [] },
  };
}

/** An SNS notification as delivered to an SQS subscriber without raw message delivery. */
export function snsNotificationOf(message: string): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: randomUUID(),
    TopicArn: 'arn:aws:sns:us-east-1:123456789012:efsink-failures',
    Message: message,
    Timestamp: new Date().toISOString(),
    SignatureVersion: '1',
    Signature: 'EXAMPLE',
    SigningCertURL: 'https://sns.us-east-1.amazonaws.com/SimpleNotificationService-EXAMPLE.pem',
    UnsubscribeURL: 'https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=EXAMPLE',
  };
}
