import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of a failed ntb_netdev probe. */
export type NtbNetdevErrorCode = Extract<Errno, 'EIO'>;

/** A probe that cannot complete (ntb_netdev_probe's error returns): thrown by the `NtbNetdev` constructor, nothing left registered. */
export class NtbNetdevError extends Error {
  /** The errno-like code. */
  readonly code: NtbNetdevErrorCode;
  /** A `code` error; the message gets the `[ntb-netdev]` prefix. */
  constructor(code: NtbNetdevErrorCode, message: string) {
    super(`[ntb-netdev] ${message}`);
    this.name = 'NtbNetdevError';
    this.code = code;
  }
}
