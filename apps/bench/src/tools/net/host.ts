/**
 * What the lab's network tools report about the board they run on: `uname` fields
 * (`system_info` of iperf3, `iperf3 -v`) and the wall clock (iperf3's JSON timestamp), which
 * is a fixed epoch plus the lab's virtual time so that runs are reproducible; and what starting
 * one of them costs in time.
 */
import type { Board, Lab } from '../../lab/lab.js';

/** Wall-clock time of virtual time 0 (s since the Unix epoch): 2026-11-22 00:00:00 UTC. */
export const LAB_EPOCH_SECONDS = 1795305600;

/** Kernel release the boards report (`uname -r`). */
export const LAB_KERNEL_RELEASE = '6.18.0';

/** The wall clock at virtual time `ns`: whole seconds since the Unix epoch (`time(NULL)` then). */
export function wallClockAt(ns: number): number {
  return LAB_EPOCH_SECONDS + Math.floor(ns / 1e9);
}

/** The board's wall clock now, whole seconds since the Unix epoch (`time(NULL)`). */
export function wallClockSeconds(lab: Lab): number {
  return wallClockAt(lab.sim.now);
}

/** The wall clock at virtual time `ns`, whole microseconds since the Unix epoch (`gettimeofday`). */
export function wallClockUs(ns: number): number {
  return LAB_EPOCH_SECONDS * 1_000_000 + Math.floor(ns / 1000);
}

/** The board's `struct utsname` (uname(2)): what `uname`, iperf3's system info and sysstat's header show. */
export interface Utsname {
  /** `Linux`. */
  readonly sysname: string;
  /** The board's name (`rc`, `ep`). */
  readonly nodename: string;
  /** LAB_KERNEL_RELEASE. */
  readonly release: string;
  /** The kernel's build string. */
  readonly version: string;
  /** `aarch64` (R-Car S4) or `x86_64` (the x86 profiles). */
  readonly machine: string;
}

/** The board's architecture, uname's machine: `x86_64` on the x86 profiles, `aarch64` otherwise (R-Car S4). */
export function boardMachine(board: Board): 'aarch64' | 'x86_64' {
  return board.host.profile.name.startsWith('x86') ? 'x86_64' : 'aarch64';
}

/** uname(2) of `board`. */
export function utsname(board: Board): Utsname {
  return { sysname: 'Linux', nodename: board.name, release: LAB_KERNEL_RELEASE, version: '#1 SMP PREEMPT', machine: boardMachine(board) };
}

/** `uname -snrvm` of a board, as iperf3's get_system_info prints it. */
export function systemInfo(lab: Lab, board: Board): string {
  const u = utsname(board);
  return `${u.sysname} ${u.nodename} ${u.release} ${u.version} ${u.machine}`;
}

/**
 * A client tool's process start (fork + execve + dynamic linking until main()): the lab's
 * virtual time advances by the profile's `kernel.execNs` before its first socket call, so two
 * back-to-back clients never start at the same instant (on a board, a new `iperf3 -c` reaches
 * the server milliseconds after the last one left, once the server listens again). The CPU
 * time of the start is not accounted.
 */
export function programStart(lab: Lab, board: Board): void {
  lab.sim.run({ until: lab.sim.now + Math.round(board.host.costs.exec()) });
}
