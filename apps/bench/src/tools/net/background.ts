/**
 * Output of the lab's background servers (`iperf3 -s`, `sockperf server`): a real server
 * prints on the terminal it was started from while other commands run. A lab command runs
 * synchronously, so what a server prints accumulates per board and is taken with
 * `takeServerOutput`: the lab's shell prints it before the next command's output on that
 * board, and the lab's network tools print it first when they run on that board in text mode.
 */
import type { Board } from '../../lab/lab.js';

const pending = new WeakMap<Board, string>();

/** Append what a background server on `board` printed. */
export function printBackground(board: Board, text: string): void {
  if (text !== '') pending.set(board, (pending.get(board) ?? '') + text);
}

/** Take (and clear) what the background servers on `board` printed since the last call. */
export function takeServerOutput(board: Board): string {
  const out = pending.get(board) ?? '';
  pending.delete(board);
  return out;
}
