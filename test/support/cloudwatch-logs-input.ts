// Request-body reading and errors for the test CloudWatch Logs server, shaped as the real service answers
// (AWS JSON 1.1: HTTP 400 + {"__type": "...", "message": "..."}). The SDK reads the error name from
// `__type` first, then `code`, then the `x-amzn-ErrorType` header (loadJsonRpcErrorCode in
// @smithy/core/protocols) and drops any `namespace#` prefix.

import { logGroupArn, REGION } from './cloudwatch-logs-store.js';

/** An error the server answers with. `type` becomes `__type`, which the SDK turns into `error.name`. */
export class CloudWatchLogsFault extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly statusCode = 400,
  ) {
    super(message);
    this.name = type;
  }
}

export function invalidParameter(message: string): CloudWatchLogsFault {
  return new CloudWatchLogsFault('InvalidParameterException', message);
}

/** Message in the form AWS uses for constraint violations ("1 validation error detected: ..."). */
export function constraintViolation(value: unknown, member: string, constraint: string): CloudWatchLogsFault {
  return invalidParameter(
    `1 validation error detected: Value '${String(value)}' at '${member}' failed to satisfy constraint: ${constraint}`,
  );
}

/** Typed access to a JSON request body; wrong JSON types answer SerializationException like the service. */
export class RequestInput {
  constructor(private readonly body: Record<string, unknown>) {}

  private typed<T>(name: string, check: (v: unknown) => v is T, expected: string): T | undefined {
    const value = this.body[name];
    if (value === undefined || value === null) return undefined;
    if (!check(value)) {
      throw new CloudWatchLogsFault(
        'SerializationException',
        `${name}: expected ${expected}, received ${JSON.stringify(value)}`,
      );
    }
    return value;
  }

  string(name: string): string | undefined {
    return this.typed(name, (v): v is string => typeof v === 'string', 'a string');
  }

  number(name: string): number | undefined {
    return this.typed(name, (v): v is number => typeof v === 'number' && Number.isFinite(v), 'a number');
  }

  boolean(name: string): boolean | undefined {
    return this.typed(name, (v): v is boolean => typeof v === 'boolean', 'a boolean');
  }

  strings(name: string): string[] | undefined {
    return this.typed(
      name,
      (v): v is string[] => Array.isArray(v) && v.every((item) => typeof item === 'string'),
      'a list of strings',
    );
  }

  /** `limit` with the model's range; outside it the service answers a constraint violation. */
  limit(min: number, max: number): number | undefined {
    const value = this.number('limit');
    if (value === undefined) return undefined;
    if (!Number.isInteger(value)) throw constraintViolation(value, 'limit', 'Member must be an integer');
    if (value < min) {
      throw constraintViolation(value, 'limit', `Member must have value greater than or equal to ${min}`);
    }
    if (value > max) {
      throw constraintViolation(value, 'limit', `Member must have value less than or equal to ${max}`);
    }
    return value;
  }

  /**
   * The log group from `logGroupName` or `logGroupIdentifier` (a name or an ARN): exactly one is allowed
   * ("You must include either logGroupIdentifier or logGroupName, but not both." — API reference).
   */
  logGroupName(): string {
    const name = this.string('logGroupName');
    const identifier = this.string('logGroupIdentifier');
    if (name !== undefined && identifier !== undefined) {
      throw invalidParameter('LogGroup name and LogGroup ARN are mutually exclusive parameters.');
    }
    const chosen = name ?? identifier;
    if (chosen === undefined) throw invalidParameter('Should provide either name or ARN of the LogGroup.');
    if (chosen.length === 0) {
      throw constraintViolation(
        chosen,
        name === undefined ? 'logGroupIdentifier' : 'logGroupName',
        'Member must have length greater than or equal to 1',
      );
    }
    if (identifier?.startsWith('arn:')) {
      const prefix = logGroupArn('');
      if (!identifier.startsWith(prefix)) {
        throw new CloudWatchLogsFault(
          'ResourceNotFoundException',
          `The specified log group does not exist (only ${REGION} ARNs are served).`,
        );
      }
      return identifier.slice(prefix.length).replace(/:\*$/, '');
    }
    return chosen;
  }
}

/** Opaque page tokens: base64url JSON tagged with the operation, so a foreign token is rejected. */
export function encodeToken(kind: string, state: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ k: kind, ...state }), 'utf8').toString('base64url');
}

export function decodeToken(kind: string, token: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && (parsed as { k?: unknown }).k === kind) {
      return parsed as Record<string, unknown>;
    }
  } catch {
    // fall through to the service's answer for a token it did not issue
  }
  throw invalidParameter('The specified nextToken is invalid.');
}
