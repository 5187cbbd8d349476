/**
 * Runs `work` over `items` with at most `limit` in flight. The first failure stops new work from
 * starting; the calls already in flight are awaited (their outcome still counts — a sink records what
 * they delivered), then the first failure is thrown.
 * @example await forEachBounded(incidents, 4, (item) => post(item));
 */
export const forEachBounded = async <T>(
  items: readonly T[],
  limit: number,
  work: (item: T, index: number) => Promise<void>,
): Promise<void> => {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failure) throw failure.error;
};
