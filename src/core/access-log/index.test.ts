import { describe, expect, it } from 'vitest';
import * as accessLog from './index.js';

describe('access-log public API', () => {
  it('exports the engine, the presets and the generator by name', () => {
    const line = accessLog.renderAccessLog(accessLog.HTTP_CSV_FORMAT, accessLog.requestTimeFields(0));
    expect(line).toBe('-,01/Jan/1970:00:00:00 +0000,-,-,-,-,-,-');
    expect(accessLog.parseAccessLog(accessLog.HTTP_CSV_FORMAT, line)).toMatchObject({
      requestTime: '01/Jan/1970:00:00:00 +0000',
    });
    expect(accessLog.ACCESS_LOG_PRESET_NAMES).toHaveLength(8);
    expect(accessLog.AccessLogErrorCode.formatTooLong).toBe('FORMAT_TOO_LONG');
    expect(typeof accessLog.generateAccessLogLines).toBe('function');
    expect(typeof accessLog.assertValidFormat).toBe('function');
  });
});
