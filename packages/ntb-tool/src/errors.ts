import type { Errno } from '@ntbsim/kernel';

/**
 * ERESTART (include/uapi/asm-generic/errno.h, 85): what ntb_tool's blocking writes (`db_event`,
 * `msg_event`, `peerN/link_event`) return when a signal interrupts their wait. It is not among
 * `@ntbsim/kernel`'s `ERRNO`; glibc's text is "Interrupted system call should be restarted".
 */
export const ERESTART = 85;

/** EISDIR (21): a read or write of one of ntb_tool's directories (not among `@ntbsim/kernel`'s `ERRNO`; "Is a directory"). */
export const EISDIR = 21;

/** Errno-like codes of ntb_tool: any kernel errno, plus `ERESTART` of an interrupted wait and `EISDIR` of a directory. */
export type ToolErrorCode = Errno | 'ERESTART' | 'EISDIR';

/** A refused read or write of an ntb_tool file, thrown by `NtbTool.readText`; `read` / `write` return -errno instead. */
export class ToolError extends Error {
  /** The errno-like code (`EINVAL` for bad syntax or a missing device op, `ENOENT` for a file that does not exist, …). */
  readonly code: ToolErrorCode;
  /** A `code` error; the message gets the `[ntb-tool]` prefix. */
  constructor(code: ToolErrorCode, message: string) {
    super(`[ntb-tool] ${message}`);
    this.name = 'ToolError';
    this.code = code;
  }
}
