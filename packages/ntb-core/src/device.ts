/**
 * struct ntb_dev and the ntb.h inline helpers: a hardware driver wraps its `NtbDevOps` in an
 * `NtbDev` and registers it on the host's bus; the bound client sets its context ops and
 * receives `linkEvent` / `dbEvent` / `msgEvent` through it.
 *
 * Operations that sleep in the kernel (link enable/disable and memory-window translation:
 * `ntb_epf_send_command` polls the peer's CMD_STATUS) return at once in the model and report
 * through `done`. The device counts them while they are in flight (`sleepingOps`), so that
 * whoever stands for the sleeping caller (a module's `rmmod` or `modprobe`, which return only
 * once their probe or remove has finished those calls) can wait for them: `whenIdle`.
 */
import { ERRNO, type ExecContext, type Host, type Ns } from '@ntbsim/kernel';
import { NtbError } from './errors.js';
import type { NtbCtxOps, NtbDevice, NtbDevOps, NtbDevOptions, NtbDone, NtbMwTrans, NtbTopo } from './types.js';

/** A registered NTB device (struct ntb_dev). */
export class NtbDev implements NtbDevice {
  /** Device name. */
  readonly name: string;
  /** The bound PCI driver's name (dev_driver_string). */
  readonly driverName: string;
  /** Owning host. */
  readonly host: Host;
  /** Topology. */
  readonly topo: NtbTopo;
  /** Hardware operations. */
  readonly ops: NtbDevOps;
  private ctxOps: NtbCtxOps | null = null;
  private inFlight = 0;
  private idleWaiters: (() => void)[] = [];

  /** Wrap hardware ops into a device; checks the ops ntb.h requires (ntb_dev_ops_is_valid). */
  constructor(options: NtbDevOptions) {
    const o = options.ops as Partial<NtbDevOps>;
    const required: (keyof NtbDevOps)[] = ['linkIsUp', 'linkEnable', 'linkDisable', 'mwCount', 'mwGetAlign', 'peerMwCount', 'peerMwGetAddr', 'dbValidMask', 'dbRead', 'dbClear', 'dbSetMask', 'dbClearMask', 'peerDbSet', 'spadCount', 'spadRead', 'spadWrite', 'peerSpadRead', 'peerSpadWrite', 'allocCoherent', 'freeCoherent', 'peerMwIoremap'];
    const missing = required.filter((k) => typeof o[k] !== 'function');
    if (missing.length > 0) throw new NtbError('EINVAL', `device ${options.name}: ops missing ${missing.join(', ')}`);
    if ((o.dbVectorCount === undefined) !== (o.dbVectorMask === undefined)) {
      throw new NtbError('EINVAL', `device ${options.name}: dbVectorCount and dbVectorMask must be implemented as a pair`);
    }
    if (o.mwSetTrans === undefined && o.peerMwSetTrans === undefined) {
      throw new NtbError('EINVAL', `device ${options.name}: one memory-window interface is required: mwSetTrans (inbound), peerMwSetTrans (outbound), or both`);
    }
    const msgOps: (keyof NtbDevOps)[] = ['msgCount', 'msgInbits', 'msgOutbits', 'msgReadSts', 'msgClearSts', 'msgRead', 'peerMsgWrite'];
    const msgHave = msgOps.filter((k) => o[k] !== undefined);
    if (msgHave.length > 0 && msgHave.length < msgOps.length) {
      throw new NtbError('EINVAL', `device ${options.name}: the message interface is all or nothing: has ${msgHave.join(', ')}, missing ${msgOps.filter((k) => o[k] === undefined).join(', ')}`);
    }
    this.name = options.name;
    this.driverName = options.driverName ?? 'ntb';
    this.host = options.host;
    this.topo = options.topo ?? 'none';
    this.ops = this.trackSleeping(options.ops);
  }

  /** `ops` with each sleeping operation counted from the call to its `done`. */
  private trackSleeping(ops: NtbDevOps): NtbDevOps {
    const tracked: NtbDevOps = { ...ops };
    const track = (done: NtbDone): NtbDone => {
      this.inFlight++;
      return (rc) => {
        this.inFlight--;
        done(rc);
        if (this.inFlight === 0) this.wakeIdleWaiters();
      };
    };
    tracked.linkEnable = (speed, width, done) => ops.linkEnable(speed, width, track(done));
    tracked.linkDisable = (done) => ops.linkDisable(track(done));
    if (ops.mwSetTrans !== undefined) tracked.mwSetTrans = (trans, done) => ops.mwSetTrans?.(trans, track(done));
    if (ops.mwClearTrans !== undefined) tracked.mwClearTrans = (pidx, widx, done) => ops.mwClearTrans?.(pidx, widx, track(done));
    if (ops.peerMwSetTrans !== undefined) tracked.peerMwSetTrans = (trans, done) => ops.peerMwSetTrans?.(trans, track(done));
    if (ops.peerMwClearTrans !== undefined) tracked.peerMwClearTrans = (pidx, widx, done) => ops.peerMwClearTrans?.(pidx, widx, track(done));
    return tracked;
  }

  private wakeIdleWaiters(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const fn of waiters) this.host.sim.at(this.host.sim.now, fn);
  }

  /** Sleeping operations (link enable/disable, memory-window translation) called and not yet done. */
  get sleepingOps(): number {
    return this.inFlight;
  }

  /**
   * Run `fn` once no sleeping operation is in flight: at once when none is, otherwise in an
   * event at the instant the last one finishes (where a caller sleeping in them would return).
   */
  whenIdle(fn: () => void): void {
    if (this.inFlight === 0) fn();
    else this.idleWaiters.push(fn);
  }

  /**
   * Run the simulation until no sleeping operation is in flight or `limitNs` (ns) have passed,
   * as a process sleeping in them (`rmmod`, `modprobe`) would; true when idle. For a caller at
   * the top level, between simulation runs; from inside an event use `whenIdle`.
   */
  sleepUntilIdle(limitNs: Ns): boolean {
    const sim = this.host.sim;
    const until = sim.now + limitNs;
    let idle = false;
    const wake = (): void => {
      idle = true;
      sim.stop();
    };
    this.whenIdle(wake);
    while (!idle && sim.now < until) sim.run({ until });
    if (!idle) this.idleWaiters = this.idleWaiters.filter((fn) => fn !== wake);
    return idle;
  }

  /** The client's context ops, if one is bound. */
  get ctx(): NtbCtxOps | null {
    return this.ctxOps;
  }

  /** Translate inbound window `trans.widx` (ntb_mw_set_trans): the driver's op; 0 at once when it has none, as the kernel's wrapper. */
  mwSetTrans(trans: NtbMwTrans, done: NtbDone): void {
    if (this.ops.mwSetTrans !== undefined) this.ops.mwSetTrans(trans, done);
    else done(0);
  }

  /** Remove inbound translation `widx` (ntb_mw_clear_trans): the driver's op, or a zero translation when it has none. */
  mwClearTrans(pidx: number, widx: number, done: NtbDone): void {
    if (this.ops.mwClearTrans !== undefined) this.ops.mwClearTrans(pidx, widx, done);
    else this.mwSetTrans({ pidx, widx, addr: 0, size: 0 }, done);
  }

  /** dev_info on the device: `text` into the host's kernel log after `<driverName> <name>: `; returns the stamped line. */
  devInfo(text: string): string {
    return this.host.printk(`${this.driverName} ${this.name}: ${text}`);
  }

  /** Doorbell vectors; 1 when the driver does not say (ntb_db_vector_count). */
  dbVectorCount(): number {
    return this.ops.dbVectorCount?.() ?? 1;
  }

  /** Doorbell bits of `vector`; all valid bits when the driver does not say (ntb_db_vector_mask). */
  dbVectorMask(vector: number): number {
    return this.ops.dbVectorMask?.(vector) ?? this.ops.dbValidMask();
  }

  /** Set the client's context ops; -EINVAL if already set (ntb_set_ctx). */
  setCtx(ctxOps: NtbCtxOps): number {
    if (this.ctxOps !== null) return -ERRNO.EINVAL;
    this.ctxOps = ctxOps;
    return 0;
  }

  /** Clear the client's context ops (ntb_clear_ctx). */
  clearCtx(): void {
    this.ctxOps = null;
  }

  /** Deliver a link event to the client (ntb_link_event). */
  linkEvent(): void {
    this.ctxOps?.linkEvent?.();
  }

  /** Deliver a doorbell event for `vector` to the client (ntb_db_event). */
  dbEvent(vector: number, ctx: ExecContext): void {
    this.ctxOps?.dbEvent?.(vector, ctx);
  }

  /** Deliver a message event to the client (ntb_msg_event). */
  msgEvent(): void {
    this.ctxOps?.msgEvent?.();
  }
}

/** Wrap hardware ops into an NTB device (what a hardware driver's probe does before ntb_register_device). */
export function createNtbDev(options: NtbDevOptions): NtbDev {
  return new NtbDev(options);
}
