import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of transport misuse and bad parameters. */
export type TransportErrorCode = Extract<Errno, 'EINVAL' | 'ENODEV' | 'EEXIST' | 'ERANGE' | 'EPERM'>;

/** Bad module parameters or misuse of the transport API: thrown (hot-path failures return -errno). */
export class TransportError extends Error {
  /** The errno-like code. */
  readonly code: TransportErrorCode;
  /** A `code` error; the message gets the `[ntb-transport]` prefix. */
  constructor(code: TransportErrorCode, message: string) {
    super(`[ntb-transport] ${message}`);
    this.name = 'TransportError';
    this.code = code;
  }
}
