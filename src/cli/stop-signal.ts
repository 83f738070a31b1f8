// How the long-running commands learn they should stop: SIGINT or SIGTERM, once.

/** Waits for the process to be asked to stop; tests pass their own. */
export type StopSignal = () => Promise<string>;

export const processStopSignal: StopSignal = () =>
  new Promise((done) => {
    const stop = (signal: string) => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done(signal);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
