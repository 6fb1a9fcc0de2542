import { describe, expect, it } from 'vitest';
import { EfsinkError } from '../core/errors.js';
import { detectMemoryLimitBytes } from '../receiver/memory-limit.js';
import { CONFIG_MEMORY_BOUND_EXCEEDED, memoryBound, resolveConcurrency } from './receiver-memory.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const error = (code: typeof CONFIG_MEMORY_BOUND_EXCEEDED, message: string) => new EfsinkError(code, message);

describe('memoryBound', () => {
  it('is floor((memory − idle − queued) / (6 × body + 2 × unwrap budget))', () => {
    const b = memoryBound({
      memoryLimitBytes: GiB,
      maxBodyBytes: 16 * MiB,
      maxDecompressedBytes: 64 * MiB,
      maxQueuedRequests: 64,
    });
    expect(b.perRequestBytes).toBe(224 * MiB);
    expect(b.overheadBytes).toBe(140 * MiB);
    expect(b.budgetBytes).toBe(884 * MiB);
    expect(b.maxConcurrentRequests).toBe(3);
  });

  it("fits not even one request of the receiver's defaults (96 MiB body, 256 MiB unwrap) in 1 GiB, one in 2 GiB", () => {
    const defaults = { maxBodyBytes: 96 * MiB, maxDecompressedBytes: 256 * MiB, maxQueuedRequests: 64 };
    expect(memoryBound({ ...defaults, memoryLimitBytes: GiB }).maxConcurrentRequests).toBe(0);
    expect(memoryBound({ ...defaults, memoryLimitBytes: 2 * GiB }).maxConcurrentRequests).toBe(1);
    expect(memoryBound({ ...defaults, memoryLimitBytes: 100 }).budgetBytes).toBe(0);
  });
});

describe('resolveConcurrency', () => {
  const limits = {
    memoryLimitBytes: GiB,
    maxBodyBytes: 16 * MiB,
    maxDecompressedBytes: 64 * MiB,
    maxQueuedRequests: 64,
  };

  it('defaults to min(8, the bound)', () => {
    expect(resolveConcurrency(limits, error).maxConcurrentRequests).toBe(3);
    expect(resolveConcurrency({ ...limits, memoryLimitBytes: 8 * GiB }, error).maxConcurrentRequests).toBe(8);
  });

  it('keeps a requested concurrency that fits', () => {
    expect(resolveConcurrency({ ...limits, requested: 3 }, error).maxConcurrentRequests).toBe(3);
    expect(resolveConcurrency({ ...limits, requested: 1 }, error).maxConcurrentRequests).toBe(1);
  });

  it('fails CONFIG_MEMORY_BOUND_EXCEEDED for a requested concurrency over the bound, with the numbers', () => {
    expect(() => resolveConcurrency({ ...limits, requested: 4 }, error)).toThrow(
      expect.objectContaining({
        code: CONFIG_MEMORY_BOUND_EXCEEDED,
        message: expect.stringMatching(
          /--max-concurrent-requests 4 does not fit in memory: per request 6 × --max-body-bytes \(16 MiB\) \+ 2 × --max-decompressed-bytes \(64 MiB\) = 224 MiB; memory 1024 MiB − 140 MiB .* room for 3/,
        ),
      }),
    );
  });

  it('fails CONFIG_MEMORY_BOUND_EXCEEDED when not even one request fits', () => {
    expect(() =>
      resolveConcurrency({ ...limits, maxBodyBytes: 96 * MiB, maxDecompressedBytes: 256 * MiB }, error),
    ).toThrow(
      expect.objectContaining({
        code: CONFIG_MEMORY_BOUND_EXCEEDED,
        message: expect.stringMatching(/not even one request fits/),
      }),
    );
  });
});

describe('detectMemoryLimitBytes', () => {
  const files = (map: Record<string, string>) => (path: string) => {
    const text = map[path];
    if (text === undefined) throw Object.assign(new Error('ENOENT'), { code: 'ENOENT' });
    return text;
  };

  it('reads the cgroup v2 limit, else v1, else the machine memory', () => {
    expect(detectMemoryLimitBytes(files({ '/sys/fs/cgroup/memory.max': '1073741824\n' }), 8 * GiB)).toBe(GiB);
    expect(
      detectMemoryLimitBytes(
        files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '2147483648\n' }),
        8 * GiB,
      ),
    ).toBe(2 * GiB);
    expect(detectMemoryLimitBytes(files({}), 8 * GiB)).toBe(8 * GiB);
  });

  it('treats "max" (v2) and the v1 no-limit value as no limit', () => {
    expect(detectMemoryLimitBytes(files({ '/sys/fs/cgroup/memory.max': 'max\n' }), 8 * GiB)).toBe(8 * GiB);
    expect(
      detectMemoryLimitBytes(
        files({ '/sys/fs/cgroup/memory/memory.limit_in_bytes': '9223372036854771712\n' }),
        8 * GiB,
      ),
    ).toBe(8 * GiB);
  });
});
