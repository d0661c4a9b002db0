import type { Errno } from '@ntbsim/kernel';

/** Errno-like codes of hardware misconfiguration. */
export type EpfErrorCode = Extract<Errno, 'EINVAL' | 'ENOSPC' | 'ENOMEM'>;

/**
 * A bad hardware configuration (configfs value, BAR plan, doorbell mode, fault argument):
 * thrown before anything is changed, naming the field, the value and the limit.
 * Runtime failures of device operations return `-ERRNO.X` instead, as the kernel does.
 */
export class EpfError extends Error {
  /** The errno-like code, e.g. `EINVAL`. */
  readonly code: EpfErrorCode;
  /** A `code` error raised by `component`; the message gets the `[ntb-hw-epf] [component]` prefix. */
  constructor(code: EpfErrorCode, component: string, message: string) {
    super(`[ntb-hw-epf] [${component}] ${message}`);
    this.name = 'EpfError';
    this.code = code;
  }
}
