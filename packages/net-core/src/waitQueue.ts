/**
 * A wait queue (`wait_queue_head_t`, include/linux/wait.h) for user tasks sleeping on a socket.
 * A task adds itself and returns `'sleep'` from its step; `wakeUp` wakes every waiter once and
 * empties the queue (each wait is one-shot, as `prepare_to_wait` + `schedule` + `finish_wait`).
 * A wake that lands while the task is still running is kept by the task, so none is lost.
 */
import type { Task } from '@ntbsim/kernel';

/** A queue of sleeping tasks (wait_queue_head_t). */
export class WaitQueue {
  private readonly waiters = new Set<Task>();

  /** Number of waiting tasks. */
  get size(): number {
    return this.waiters.size;
  }

  /** Add `task` (add_wait_queue); it should return `'sleep'` (or a timeout) from its step. */
  add(task: Task): void {
    this.waiters.add(task);
  }

  /** Remove `task` without waking it (remove_wait_queue). */
  remove(task: Task): void {
    this.waiters.delete(task);
  }

  /**
   * Wake every waiter (wake_up_interruptible_all; with `sync`, wake_up_interruptible_sync_poll
   * as a socket's data-ready and write-space callbacks do, a hint for the wakee's CPU choice);
   * returns how many were queued.
   */
  wakeUp(sync = false): number {
    const n = this.waiters.size;
    if (n === 0) return 0;
    const tasks = [...this.waiters];
    this.waiters.clear();
    for (const t of tasks) t.wake(sync);
    return n;
  }
}
