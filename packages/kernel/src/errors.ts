import type { Errno } from './errno.js';

/** Errno-like codes the kernel substrate reports. */
export type KernelErrorCode = Extract<Errno, 'EINVAL' | 'ERANGE' | 'EBUSY' | 'ENOENT' | 'ESRCH' | 'EIO'>;

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

/**
 * A value as an error message shows what was given: JSON for most (strings quoted), but NaN,
 * ±Infinity and bigints as themselves (JSON would print `null`), `nothing` for undefined.
 */
export function showValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'bigint') return `${v}n`;
  // A function or a symbol has no JSON: its type says enough.
  return JSON.stringify(v) ?? typeof v;
}
