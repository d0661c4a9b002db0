import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of ntb-core misuse. */
export type NtbErrorCode = Extract<Errno, 'EINVAL' | 'EBUSY' | 'ENODEV' | 'EEXIST'>;

/** Misuse of the NTB core API (bad ops, double registration): thrown. */
export class NtbError extends Error {
  /** The errno-like code. */
  readonly code: NtbErrorCode;
  /** A `code` error; the message gets the `[ntb-core]` prefix. */
  constructor(code: NtbErrorCode, message: string) {
    super(`[ntb-core] ${message}`);
    this.name = 'NtbError';
    this.code = code;
  }
}
