/**
 * Size of libuv's thread pool for every efsink process (CLI, receiver container, Lambda functions).
 *
 * Every `node:fs` call runs on libuv's thread pool, and on NFS a call holds its thread for the
 * whole round trip: the syscall blocks in the kernel until the server answers. So a Node process
 * never has more file-system calls in flight than `UV_THREADPOOL_SIZE`, whatever its own
 * concurrency; the default is 4 (Node.js docs, "UV_THREADPOOL_SIZE": "Its default size is 4, but it
 * can be changed at startup time … the absolute maximum is 1024"). On EFS, where a call costs a
 * few milliseconds and throughput comes from parallelism, 4 was efsink's real bound:
 * `npm run bench:latency` at 5 ms per call, landing and assembly in one process as in
 * `efsink serve`: 23 segments/s with a pool of 4 against 231/s with 64 (bench/README.md).
 *
 * 64 matches the Linux NFSv4.1 client's session slot table (64 requests in flight per mount by
 * default, module parameter `nfs.max_session_slots`), so the pool is not the narrower of the two.
 * The threads sleep in the kernel while they wait, so they cost no CPU; each reserves its stack
 * (virtual memory, not resident). It must be in the environment before the pool's first use: the
 * constructs set it on every Lambda function and on the container, `bin/efsink` and the
 * Dockerfile set it before loading anything (test: infra/test/threadpool.test.ts).
 */
export const THREADPOOL_ENV = 'UV_THREADPOOL_SIZE';
export const THREADPOOL_SIZE = 64;
