/**
 * Errors of the networking core. Misuse (a bad argument, an operation the socket's state does
 * not allow) throws `NetError`; the expected failures of the hot path (would block, queue full,
 * connection refused) are returned as results carrying the same errno names, as the kernel
 * returns `-errno` from a syscall.
 */
import { ERRNO, strerror, type Errno } from '@ntbsim/kernel';

/** Errno numbers the kernel substrate's table lacks (include/uapi/asm-generic/errno*.h). */
export const NET_ERRNO_EXTRA = {
  EPIPE: 32,
  EDESTADDRREQ: 89,
  EISCONN: 106,
  EALREADY: 114,
  EINPROGRESS: 115,
  EADDRNOTAVAIL: 99,
  ECONNABORTED: 103,
  EOVERFLOW: 75,
} as const;

/** The kernel-table errno names the networking core reports. */
const KERNEL_NAMES = [
  'EINVAL',
  'EAGAIN',
  'EMSGSIZE',
  'ENOBUFS',
  'ECONNREFUSED',
  'ENOTCONN',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'ENETDOWN',
  'EADDRINUSE',
  'EBADF',
  'EEXIST',
  'ENODEV',
  'EOPNOTSUPP',
  'EBUSY',
  'ERANGE',
  'ENOSPC',
  'ENOMEM',
  'EIO',
  'ENOENT',
  'EACCES',
] as const satisfies readonly Errno[];

/** The errno names the networking core reports (Linux names). */
export type NetErrno = (typeof KERNEL_NAMES)[number] | keyof typeof NET_ERRNO_EXTRA;

const EXTRA_TEXT: Record<keyof typeof NET_ERRNO_EXTRA, string> = {
  EPIPE: 'Broken pipe',
  EDESTADDRREQ: 'Destination address required',
  EISCONN: 'Transport endpoint is already connected',
  EALREADY: 'Operation already in progress',
  EINPROGRESS: 'Operation now in progress',
  EADDRNOTAVAIL: 'Cannot assign requested address',
  ECONNABORTED: 'Software caused connection abort',
  EOVERFLOW: 'Value too large for defined data type',
};

function isExtra(code: string): code is keyof typeof NET_ERRNO_EXTRA {
  return Object.hasOwn(NET_ERRNO_EXTRA, code);
}

/** The positive errno number of a name (EAGAIN → 11). */
export function netErrnoValue(code: NetErrno): number {
  return isExtra(code) ? NET_ERRNO_EXTRA[code] : ERRNO[code];
}

/** The name of a (positive or negative) errno number the networking core knows, or undefined. */
export function netErrnoName(n: number): NetErrno | undefined {
  const abs = Math.abs(n);
  for (const [k, v] of Object.entries(NET_ERRNO_EXTRA)) if (v === abs) return k as keyof typeof NET_ERRNO_EXTRA;
  return KERNEL_NAMES.find((k) => ERRNO[k] === abs);
}

/** glibc's strerror text of a networking errno name. */
export function netStrerror(code: NetErrno): string {
  return isExtra(code) ? EXTRA_TEXT[code] : strerror(code);
}

/** A misuse of the networking core (bad argument, wrong socket state): thrown, never returned. */
export class NetError extends Error {
  /** The errno-like code, e.g. `EINVAL`. */
  readonly code: NetErrno;
  /** A NetError with errno `code`; the message gets the `[net-core]` prefix. */
  constructor(code: NetErrno, message: string, options?: ErrorOptions) {
    super(`[net-core] ${message}`, options);
    this.name = 'NetError';
    this.code = code;
  }
}
