/**
 * The embedded backend is synchronous underneath (node:sqlite), while the interface is
 * promise-based so that a networked backend fits it too. `settle` runs the synchronous work now
 * and hands its result, or its exception, over as a promise.
 */
export function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}
