/**
 * Resolves with the first SIGTERM or SIGINT; `cancel` removes the handlers (a server that failed to start must not
 * keep swallowing Ctrl-C). Servers stop cleanly on either signal.
 */
export function waitForSignal(): { promise: Promise<NodeJS.Signals>; cancel(): void } {
  let cancel = (): void => undefined;
  const promise = new Promise<NodeJS.Signals>((resolvePromise) => {
    const onSignal = (signal: NodeJS.Signals): void => {
      cancel();
      resolvePromise(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    cancel = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  });
  return { promise, cancel };
}
