/**
 * The order of a command's writes to its two streams. A `CommandResult` keeps standard output
 * and standard error apart, as a pipe or `2>/dev/null` sees them; where a tool writes to both
 * in an order other than "all of standard output, then all of standard error" (iperf3's
 * `warning: …` on stderr before its report on stdout), its result also lists its writes in
 * the order made, so that what shows both streams together — a terminal, `2>&1` — shows them
 * as the real tool's would appear. Consumers that read one stream are unaffected.
 */
import { result, type CommandResult } from '../types.js';

/** One write of a command: `text` to standard output (fd 1) or standard error (fd 2). */
export interface StreamWrite {
  /** 1 = standard output, 2 = standard error. */
  readonly fd: 1 | 2;
  /** What was written. */
  readonly text: string;
}

/** A result whose writes were interleaved: `writes` in the order made (their texts per fd are `stdout` and `stderr`). */
export interface InterleavedResult extends CommandResult {
  /** The writes in the order the command made them. */
  readonly writes: readonly StreamWrite[];
}

function hasWrites(r: CommandResult): r is InterleavedResult {
  return Array.isArray((r as Partial<InterleavedResult>).writes);
}

/**
 * The result of `writes` made in that order, exiting with `status`: `writes` is kept only when
 * the order is not already "standard output, then standard error".
 */
export function interleaved(writes: readonly StreamWrite[], status: number): CommandResult {
  const kept = writes.filter((w) => w.text !== '');
  const text = (fd: 1 | 2): string => kept.filter((w) => w.fd === fd).map((w) => w.text).join('');
  const base = result(text(1), text(2), status);
  const firstErr = kept.findIndex((w) => w.fd === 2);
  const inOrder = firstErr < 0 || kept.slice(firstErr).every((w) => w.fd === 2);
  if (inOrder) return base;
  const withOrder: InterleavedResult = { ...base, writes: kept };
  return withOrder;
}

/** The writes of `r` in the order made: its recorded order, else its standard output then its standard error. */
export function writesOf(r: CommandResult): readonly StreamWrite[] {
  if (hasWrites(r)) return r.writes;
  return [
    { fd: 1, text: r.stdout },
    { fd: 2, text: r.stderr },
  ];
}

/** Both streams of `r` as one text, in the order written: what `2>&1` or a terminal shows. */
export function combinedOutput(r: CommandResult): string {
  return writesOf(r)
    .map((w) => w.text)
    .join('');
}

/** `r` with `text` written to standard output before everything it wrote. */
export function prependStdout(text: string, r: CommandResult): CommandResult {
  if (text === '') return r;
  return hasWrites(r) ? interleaved([{ fd: 1, text }, ...r.writes], r.status) : { ...r, stdout: text + r.stdout };
}

/** Write `r` to `stdout` and `stderr` in the order its command wrote them (a terminal shows both interleaved so). */
export function writeResult(r: CommandResult, stdout: { write(text: string): unknown }, stderr: { write(text: string): unknown }): void {
  for (const w of writesOf(r)) if (w.text !== '') (w.fd === 1 ? stdout : stderr).write(w.text);
}
