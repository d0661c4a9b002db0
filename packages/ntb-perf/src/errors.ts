import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of bad ntb_perf parameters and misuse of its API. */
export type PerfErrorCode = Extract<Errno, 'EINVAL' | 'ERANGE'>;

/** A bad module parameter or API argument: thrown (a refused test run returns -errno instead). */
export class PerfError extends Error {
  /** The errno-like code. */
  readonly code: PerfErrorCode;
  /** A `code` error; the message gets the `[ntb-perf]` prefix. */
  constructor(code: PerfErrorCode, message: string) {
    super(`[ntb-perf] ${message}`);
    this.name = 'PerfError';
    this.code = code;
  }
}
