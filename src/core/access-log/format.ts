/**
 * Tokenizing an API Gateway access-log format.
 *
 * How a variable name ends (our decision; AWS documents none): after `$context.` the name is one or more
 * segments of `[A-Za-z0-9_]` joined by single dots. The name ends at the first character outside
 * `[A-Za-z0-9_.]`, and a dot that is not followed by a name character is not part of the name. So in
 * `$context.requestId.` the variable is `requestId` and the final `.` is literal text, and
 * `$context.authorizer.claims.sub` is one variable named `authorizer.claims.sub`. A `-` ends a name
 * (`$context.authorizer.claims.custom-attr` is `authorizer.claims.custom` then `-attr`).
 *
 * Everything that is not a `$context.name` reference is literal text, including a lone `$`
 * (`$5`, a trailing `$`). References API Gateway forbids or efsink does not model (`$input.body`,
 * `${context.requestId}`) are literal here too; `validateAccessLogFormat` reports them.
 */

/** Literal text copied as is into every line. */
export interface LiteralPart {
  readonly kind: 'literal';
  readonly text: string;
}

/** A `$context.name` reference; `name` excludes the `$context.` prefix (for example `identity.sourceIp`). */
export interface VariablePart {
  readonly kind: 'variable';
  readonly name: string;
}

export type FormatPart = LiteralPart | VariablePart;

/** A tokenized format. Build it once with `parseAccessLogFormat` and reuse it on the hot path. */
export interface AccessLogFormat {
  readonly source: string;
  /** Literal and variable parts in order; no two literals are adjacent and no literal is empty. */
  readonly parts: readonly FormatPart[];
  /** Distinct variable names in order of first appearance. */
  readonly variables: readonly string[];
}

/** What follows one `$` in a format (internal: shared by the tokenizer and the validator). */
export type DollarReference =
  | { readonly kind: 'context'; readonly start: number; readonly end: number; readonly name: string }
  | { readonly kind: 'bare-context'; readonly start: number; readonly end: number }
  | { readonly kind: 'foreign'; readonly start: number; readonly end: number; readonly name: string }
  | { readonly kind: 'vtl'; readonly start: number; readonly end: number };

const CONTEXT_VARIABLE = /\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/y;
const IDENTIFIER = /\$([A-Za-z_][A-Za-z0-9_]*)/y;

/** Classifies every `$` in `format` that starts a reference; a `$` that starts none is literal. */
export function scanDollarReferences(format: string): DollarReference[] {
  const found: DollarReference[] = [];
  let at = format.indexOf('$');
  while (at !== -1) {
    const ref = classifyDollar(format, at);
    if (ref !== undefined) found.push(ref);
    at = format.indexOf('$', ref === undefined ? at + 1 : ref.end);
  }
  return found;
}

function classifyDollar(format: string, start: number): DollarReference | undefined {
  CONTEXT_VARIABLE.lastIndex = start;
  const variable = CONTEXT_VARIABLE.exec(format);
  if (variable !== null) {
    return { kind: 'context', start, end: CONTEXT_VARIABLE.lastIndex, name: variable[1] as string };
  }
  IDENTIFIER.lastIndex = start;
  const identifier = IDENTIFIER.exec(format);
  if (identifier !== null) {
    const name = identifier[1] as string;
    const end = IDENTIFIER.lastIndex;
    return name === 'context' ? { kind: 'bare-context', start, end } : { kind: 'foreign', start, end, name };
  }
  const next = format[start + 1];
  if (next === '{' || next === '!') return { kind: 'vtl', start, end: start + 2 };
  return undefined;
}

/**
 * Splits a format into literal text and `$context` variables. Never throws: validity is a separate
 * question (`validateAccessLogFormat`).
 *
 * @example
 * parseAccessLogFormat('$context.requestId "$context.httpMethod"').parts
 * // [{kind:'variable',name:'requestId'}, {kind:'literal',text:' "'},
 * //  {kind:'variable',name:'httpMethod'}, {kind:'literal',text:'"'}]
 */
export function parseAccessLogFormat(format: string): AccessLogFormat {
  const parts: FormatPart[] = [];
  const variables: string[] = [];
  let literalStart = 0;
  for (const ref of scanDollarReferences(format)) {
    if (ref.kind !== 'context') continue;
    if (ref.start > literalStart)
      parts.push({ kind: 'literal', text: format.slice(literalStart, ref.start) });
    parts.push({ kind: 'variable', name: ref.name });
    if (!variables.includes(ref.name)) variables.push(ref.name);
    literalStart = ref.end;
  }
  if (literalStart < format.length) parts.push({ kind: 'literal', text: format.slice(literalStart) });
  return { source: format, parts, variables };
}

/** Accepts either a format string or an already tokenized format. */
export function toAccessLogFormat(format: string | AccessLogFormat): AccessLogFormat {
  return typeof format === 'string' ? parseAccessLogFormat(format) : format;
}
