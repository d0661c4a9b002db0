/**
 * A delayed work with the kernel's cancel semantics. `cancel_delayed_work(_sync)` also takes a
 * work off the workqueue when its timer has already fired and it waits for a kworker; the
 * model's `Workqueue.cancelDelayed` only stops the timer, so a work queued with delay 0 (or
 * whose timer fired) would still run after being cancelled. Cancelling such a work here
 * abandons the queued instance (it does nothing when its kworker gets to it) and later
 * queueing uses a fresh one.
 */
import { DelayedWork, type ExecContext, type Workqueue } from '@ntbsim/kernel';

/** A delayed work on `wq` that a cancel really cancels. */
export class CancellableWork {
  private current: DelayedWork;

  /** A work named `name` running `fn` on `wq`. */
  constructor(
    private readonly wq: Workqueue,
    private readonly name: string,
    private readonly fn: (ctx: ExecContext) => void,
  ) {
    this.current = this.make();
  }

  private make(): DelayedWork {
    const w: DelayedWork = new DelayedWork(this.name, (ctx) => {
      if (this.current === w) this.fn(ctx);
    });
    return w;
  }

  /** Queued or its timer armed. */
  get pending(): boolean {
    return this.current.pending || this.current.timer?.pending === true;
  }

  /** queue_delayed_work: run after `delayJiffies` (0: queue now); false if already pending. */
  queue(delayJiffies: number, on?: ExecContext): boolean {
    return this.wq.queueDelayed(this.current, delayJiffies, on);
  }

  /** cancel_delayed_work_sync: it will not run unless queued again; true if it was pending. */
  cancel(): boolean {
    const was = this.pending;
    this.wq.cancelDelayed(this.current);
    if (this.current.pending) this.current = this.make();
    return was;
  }
}
