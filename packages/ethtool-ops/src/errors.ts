import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of ethtool-ops misuse: a bad argument, or a driver breaking the ops contract. */
export type EthtoolErrorCode = Extract<Errno, 'EINVAL' | 'EIO'>;

/** Misuse of the ethtool core (non-u32 request, unknown link mode, a driver that half-applies): thrown. */
export class EthtoolError extends Error {
  /** The errno-like code. */
  readonly code: EthtoolErrorCode;
  /** A `code` error; the message gets the `[ethtool-ops]` prefix, `options.cause` is kept. */
  constructor(code: EthtoolErrorCode, message: string, options?: ErrorOptions) {
    super(`[ethtool-ops] ${message}`, options);
    this.name = 'EthtoolError';
    this.code = code;
  }
}
