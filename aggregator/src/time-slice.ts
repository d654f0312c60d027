/**
 * A long stretch of JavaScript (preparing a batch, scrubbing archive rows) shares the thread with
 * the store of the batch before, which needs it only briefly between its engine calls: pausing
 * for a macrotask every `sliceMs` lets it in, so the store, the pipeline's critical path, does not
 * wait for the whole stretch.
 */
export function timeSlicer(sliceMs: number): () => Promise<void> | undefined {
  let slice = performance.now();
  return () => {
    if (performance.now() - slice <= sliceMs) return undefined;
    return new Promise<void>((r) =>
      setImmediate(() => {
        slice = performance.now();
        r();
      }),
    );
  };
}
