/** Polls `check` until it holds or `timeoutMillis` passes (for state with no event to await). */
export async function waitFor(check: () => boolean, timeoutMillis = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMillis;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMillis}ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolve function, for events a test awaits. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * Asks `fetch` until its answer satisfies `done`, `intervalMillis` apart, and returns that answer; fails with the
 * last answer after `timeoutMillis` (for state that has no event to await, such as a broker's message index).
 */
export async function pollFor<T>(
  fetch: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMillis: number; intervalMillis: number; what: string },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMillis;
  for (;;) {
    const value = await fetch();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${options.what} incomplete after ${options.timeoutMillis}ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMillis));
  }
}
