/**
 * Runs `fn` over `items` with at most `limit` calls in flight, and resolves to the results in the
 * order of `items` (not of completion), so that a caller's report reads as a serial loop's would.
 * After a rejection no new call starts; it rejects with the first error once the calls in flight
 * have settled (nothing is left running behind the caller's back).
 */
export async function mapBounded<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  let failure: { readonly err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  const workers = Math.min(Math.max(1, Math.floor(limit)), items.length);
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.err;
  return results;
}
