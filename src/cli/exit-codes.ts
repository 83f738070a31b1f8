// Exit codes every verb shares, so CI pipelines can tell "denied" from "broken".
export const EXIT = {
  ok: 0,
  /** An unexpected failure inside Portcullis. */
  failure: 1,
  /** Bad input or usage: nothing was evaluated. */
  badInput: 2,
  /** Evaluated, and something would be denied. */
  denied: 3,
} as const;
