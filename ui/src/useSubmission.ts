// What every form of the UI does when it is sent: busy until the API answers, and its refusal
// kept to be shown beside the form (the form stays as it was written, to be mended).
import { useState } from 'react';

export interface Submission {
  readonly busy: boolean;
  readonly error: unknown;
  /** Runs `work` (the API call, and what the form does after it), unless one is running. */
  send(work: () => Promise<void>): void;
  /** A problem the form found itself, before anything was sent. */
  refuse(error: unknown): void;
}

export function useSubmission(): Submission {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  return {
    busy,
    error,
    send(work) {
      if (busy) return;
      setBusy(true);
      setError(undefined);
      work().then(
        () => setBusy(false),
        (failure: unknown) => {
          setError(failure);
          setBusy(false);
        },
      );
    },
    refuse(problem) {
      setError(problem);
    },
  };
}
