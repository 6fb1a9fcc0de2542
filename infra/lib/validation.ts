import { type Duration, Token } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import { ConstructConfigError } from './errors.js';

/**
 * API Gateway can write access logs only to a Firehose stream whose name starts with this prefix: its
 * service-linked role may call `firehose:PutRecord*` on `deliverystream/amazon-apigateway-*` only.
 * @see https://docs.aws.amazon.com/apigateway/latest/api/API_AccessLogSettings.html
 */
export const API_GATEWAY_STREAM_PREFIX = 'amazon-apigateway-';

/** @see https://docs.aws.amazon.com/firehose/latest/APIReference/API_CreateDeliveryStream.html */
const DELIVERY_STREAM_NAME = /^[a-zA-Z0-9_.-]{1,64}$/;

/** @see https://docs.aws.amazon.com/lambda/latest/api/API_FileSystemConfig.html */
const LAMBDA_MOUNT_PATH = /^\/mnt\/[a-zA-Z0-9-_.]+$/;

/** Fails unless `name` is a valid Firehose name that API Gateway may write to. Tokens are skipped. */
export function validateDeliveryStreamName(scope: IConstruct, name: string): void {
  if (Token.isUnresolved(name)) return;
  if (!name.startsWith(API_GATEWAY_STREAM_PREFIX)) {
    throw new ConstructConfigError(
      'DELIVERY_STREAM_NAME_PREFIX',
      scope.node.path,
      `deliveryStreamName "${name}" must start with "${API_GATEWAY_STREAM_PREFIX}": API Gateway writes access logs only to streams with that prefix`,
    );
  }
  if (!DELIVERY_STREAM_NAME.test(name)) {
    throw new ConstructConfigError(
      'DELIVERY_STREAM_NAME_INVALID',
      scope.node.path,
      `deliveryStreamName "${name}" (${name.length} characters) must be 1-64 characters of [a-zA-Z0-9_.-]`,
    );
  }
}

/** Fails unless `path` is a Lambda `LocalMountPath` (`/mnt/<name>`, at most 160 characters). */
export function validateMountPath(scope: IConstruct, path: string): void {
  if (Token.isUnresolved(path)) return;
  if (!LAMBDA_MOUNT_PATH.test(path) || path.length > 160) {
    throw new ConstructConfigError(
      'MOUNT_PATH_INVALID',
      scope.node.path,
      `mountPath "${path}" must match /mnt/<name> with <name> of [a-zA-Z0-9-_.] and at most 160 characters in all`,
    );
  }
}

/** Fails unless `min <= value <= max`. Tokens are skipped. `unit` goes into the message. */
export function validateRange(
  scope: IConstruct,
  field: string,
  value: number | undefined,
  min: number,
  max: number,
  unit = '',
): void {
  if (value === undefined || Token.isUnresolved(value)) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConstructConfigError(
      'VALUE_OUT_OF_RANGE',
      scope.node.path,
      `${field} is ${value}${unit}; allowed is an integer from ${min}${unit} to ${max}${unit}`,
    );
  }
}

/** Same as {@link validateRange} for a Duration, in whole seconds. Unresolved durations are skipped. */
export function validateDurationSeconds(
  scope: IConstruct,
  field: string,
  value: Duration | undefined,
  minSeconds: number,
  maxSeconds: number,
): void {
  if (value === undefined || value.isUnresolved()) return;
  validateRange(scope, field, value.toSeconds(), minSeconds, maxSeconds, ' s');
}

/**
 * Fails unless `name` is usable as the `{logGroup}` output folder: 1-512 characters (a CloudWatch
 * Logs group name's limit) with no control characters. The path template confines any value under
 * the root, so nothing else is refused. Tokens are skipped.
 */
export function validateLogGroupName(scope: IConstruct, name: string | undefined): void {
  if (name === undefined || Token.isUnresolved(name)) return;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused.
  if (name.length === 0 || name.length > 512 || /[\u0000-\u001f\u007f]/.test(name)) {
    throw new ConstructConfigError(
      'LOG_GROUP_INVALID',
      scope.node.path,
      `logGroup ${JSON.stringify(name)} (${name.length} characters) must be 1-512 characters without control characters`,
    );
  }
}
