import { EfsinkError } from '../errors.js';
import { AccessLogErrorCode } from './errors.js';

/** English month abbreviations, as in CLF; fixed here so no locale can change them. */
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

const REQUEST_TIME = /^(\d{2})\/([A-Z][a-z]{2})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})$/;

/**
 * `$context.requestTime` for an epoch in milliseconds: CLF `dd/MMM/yyyy:HH:mm:ss +0000`, always UTC
 * (aws-facts.md 1.2). Milliseconds are dropped, as in CLF. Pure: the time is passed in.
 *
 * @example
 * formatRequestTime(Date.UTC(2024, 2, 9, 8, 5, 3)) // '09/Mar/2024:08:05:03 +0000'
 */
export function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const year = date.getUTCFullYear();
  if (!Number.isFinite(epochMs) || year < 0 || year > 9999) {
    throw new EfsinkError(
      AccessLogErrorCode.invalidRequestTime,
      `requestTime: epoch ${epochMs} ms is not a time in years 0000–9999`,
    );
  }
  const month = MONTHS[date.getUTCMonth()] as string;
  return `${pad2(date.getUTCDate())}/${month}/${String(year).padStart(4, '0')}:${pad2(date.getUTCHours())}:${pad2(date.getUTCMinutes())}:${pad2(date.getUTCSeconds())} +0000`;
}

/**
 * Reads a `$context.requestTime` back to epoch milliseconds (whole seconds), honouring a `+hhmm` or
 * `-hhmm` offset. Returns null for anything else, including impossible dates (`31/Feb/…`).
 *
 * @example
 * parseRequestTime('09/Mar/2024:08:05:03 +0000') // 1709971503000
 */
export function parseRequestTime(text: string): number | null {
  const m = REQUEST_TIME.exec(text);
  if (m === null) return null;
  const [, dd, mon, yyyy, hh, mi, ss, sign, oh, om] = m as unknown as string[];
  const month = MONTHS.indexOf(mon as (typeof MONTHS)[number]);
  const fields = [Number(dd), Number(hh), Number(mi), Number(ss), Number(oh), Number(om)];
  const [day, hour, minute, second, offH, offM] = fields as [number, number, number, number, number, number];
  if (month === -1 || day < 1 || hour > 23 || minute > 59 || second > 59 || offM > 59) return null;
  const date = new Date(0);
  date.setUTCFullYear(Number(yyyy), month, day);
  date.setUTCHours(hour, minute, second, 0);
  if (date.getUTCDate() !== day) return null;
  const offsetMs = (offH * 60 + offM) * 60_000;
  return date.getTime() - (sign === '-' ? -offsetMs : offsetMs);
}

/**
 * Both time variables for one request, ready to spread into a render context.
 *
 * @example
 * requestTimeFields(1709971503123)
 * // { requestTime: '09/Mar/2024:08:05:03 +0000', requestTimeEpoch: 1709971503123 }
 */
export function requestTimeFields(epochMs: number): { requestTime: string; requestTimeEpoch: number } {
  return { requestTime: formatRequestTime(epochMs), requestTimeEpoch: epochMs };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}
