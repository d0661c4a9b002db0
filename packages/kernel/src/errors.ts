import type { Errno } from './errno.js';

/** Errno-like codes the kernel substrate reports. */
export type KernelErrorCode = Extract<Errno, 'EINVAL' | 'ERANGE' | 'EBUSY' | 'ENOENT' | 'ESRCH'>;

/** A misuse of the kernel substrate (bad argument, bad profile): thrown, never returned. */
export class KernelError extends Error {
  /** The errno-like code, e.g. `EINVAL`. */
  readonly code: KernelErrorCode;
  /** A `code` error; the message gets the `[kernel]` prefix, `options.cause` is kept. */
  constructor(code: KernelErrorCode, message: string, options?: ErrorOptions) {
    super(`[kernel] ${message}`, options);
    this.name = 'KernelError';
    this.code = code;
  }
}
