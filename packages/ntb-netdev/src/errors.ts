import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of a failed ntb_netdev probe: EIO (no queue pair), EINVAL (a bad option). */
export type NtbNetdevErrorCode = Extract<Errno, 'EIO' | 'EINVAL'>;

/** A probe that cannot complete (ntb_netdev_probe's error returns) or a bad option: thrown by the `NtbNetdev` constructor and `loadNtbNetdev`, nothing left registered. */
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
