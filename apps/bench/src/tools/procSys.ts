/**
 * /proc/sys (fs/proc/proc_sysctl.c) for the sysctls the board's kernel model has — its network
 * ones, `net.core.wmem_max` as /proc/sys/net/core/wmem_max — and the one write path that
 * `sysctl -w` and `echo VALUE > /proc/sys/…` share: the stack's own handler and its checks. A
 * read is the value as the handler prints it, then a newline. A 0444 sysctl
 * (tcp_available_congestion_control) cannot be opened for writing even by root
 * (proc_sys_permission: test_perm on the table's mode), so procps says `permission denied on
 * key` and bash `Permission denied`.
 */
import { NetError, type NetStack } from '@ntbsim/net-core';
import type { Board } from '../lab/lab.js';
import type { FsNode, KernelWrite } from './proc.js';

/**
 * A write of `value` to sysctl `name` (`net.core.wmem_max`) on `stack`, by `sysctl -w` or into
 * its /proc/sys file: null when done, else EACCES (a read-only sysctl), EINVAL (a value its
 * handler refuses) or ENOENT (net.ipv4.tcp_congestion_control naming no algorithm).
 */
export function writeSysctl(stack: NetStack, name: string, value: string): 'EACCES' | 'EINVAL' | 'ENOENT' | null {
  try {
    stack.setSysctl(name, value);
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return e.code === 'EACCES' || e.code === 'ENOENT' ? e.code : 'EINVAL';
  }
  return null;
}

/** The sysctl names below /proc/sys/`rest` on `board` (a name's components are its dot-separated words), or null when `rest` is no directory or file of them. */
function sysctlsUnder(board: Board, rest: readonly string[]): string[] | null {
  // A component with a dot in it would read as two: no modelled sysctl has one.
  if (rest.some((c) => c.includes('.'))) return null;
  const prefix = rest.join('.');
  const names = board.stack.sysctlNames().filter((n) => prefix === '' || n === prefix || n.startsWith(`${prefix}.`));
  return names.length === 0 ? null : names;
}

/** The node of /proc/sys/`rest` on `board` (`rest` the components below /proc/sys), or null. */
export function sysctlNode(board: Board, rest: readonly string[]): FsNode | null {
  const names = sysctlsUnder(board, rest);
  if (names === null) return null;
  const name = rest.join('.');
  if (names.includes(name)) return { kind: 'file', read: () => `${board.stack.getSysctl(name)}\n` };
  return { kind: 'dir', entries: [...new Set(names.map((n) => n.split('.')[rest.length] as string))] };
}

/** A write of `text` to /proc/sys/`rest` on `board` (its sysctl's handler, as `sysctl -w` writes it); undefined when it is no sysctl. */
export function writeSysctlFile(board: Board, rest: readonly string[], text: string): KernelWrite | undefined {
  const name = rest.join('.');
  if (sysctlsUnder(board, rest)?.includes(name) !== true) return undefined;
  const errno = writeSysctl(board.stack, name, text);
  return errno === 'EACCES' ? { open: 'EACCES' } : errno;
}
