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

  /**
   * Wrap hardware ops into a device. The ops are checked as ntb_register_device checks them
   * (ntb_dev_ops_is_valid), here where a driver builds its device: NtbError EINVAL naming
   * every rule they break, in the kernel's order.
   */
  constructor(options: NtbDevOptions) {
    const problems = devOpsProblems(options.ops);
    if (problems.length > 0) throw new NtbError('EINVAL', `device ${options.name}: ops refused (ntb_dev_ops_is_valid): ${problems.join('; ')}`);
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

  /** Local port number (ntb_port_number): the driver's op, or ntb_default_port_number of `topo`. */
  portNumber(): number {
    return this.ops.portNumber?.() ?? defaultPortNumber(this.topo);
  }

  /** Number of peers (ntb_peer_port_count): the driver's op, or 1 (NTB_DEF_PEER_CNT). */
  peerPortCount(): number {
    return this.ops.peerPortCount?.() ?? NTB_DEF_PEER_CNT;
  }

  /** Port number of peer `pidx` (ntb_peer_port_number): the driver's op, or ntb_default_peer_port_number of `topo`. */
  peerPortNumber(pidx: number): number {
    return this.ops.peerPortNumber?.(pidx) ?? defaultPeerPortNumber(this.topo, pidx);
  }

  /** Peer index of `port` (ntb_peer_port_idx): the driver's op, or ntb_default_peer_port_idx (0 for the default peer port, else -EINVAL). */
  peerPortIdx(port: number): number {
    if (this.ops.peerPortIdx !== undefined) return this.ops.peerPortIdx(port);
    const peerPort = defaultPeerPortNumber(this.topo, NTB_DEF_PEER_IDX);
    return peerPort === -ERRNO.EINVAL || port !== peerPort ? -ERRNO.EINVAL : 0;
  }

  /** Whether scratchpad access is unsafe (ntb_spad_is_unsafe): the driver's op, or false. */
  spadIsUnsafe(): boolean {
    return this.ops.spadIsUnsafe?.() ?? false;
  }

  /** Scratchpads per side (ntb_spad_count): the driver's op, or 0. */
  spadCount(): number {
    return this.ops.spadCount?.() ?? 0;
  }

  /** Read local scratchpad `sidx` (ntb_spad_read): the driver's op, or 0xffffffff (~(u32)0). */
  spadRead(sidx: number, ctx?: ExecContext): number {
    return this.ops.spadRead !== undefined ? this.ops.spadRead(sidx, ctx) : SPAD_NONE;
  }

  /** Write local scratchpad `sidx` (ntb_spad_write): the driver's op, or -EINVAL. */
  spadWrite(sidx: number, value: number, ctx?: ExecContext): number {
    return this.ops.spadWrite !== undefined ? this.ops.spadWrite(sidx, value, ctx) : -ERRNO.EINVAL;
  }

  /** Bus address of peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_addr): the driver's op, or -EINVAL. */
  peerSpadAddr(pidx: number, sidx: number): number {
    return this.ops.peerSpadAddr !== undefined ? this.ops.peerSpadAddr(pidx, sidx) : -ERRNO.EINVAL;
  }

  /** Read peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_read): the driver's op, or 0xffffffff (~(u32)0). */
  peerSpadRead(pidx: number, sidx: number, ctx?: ExecContext): number {
    return this.ops.peerSpadRead !== undefined ? this.ops.peerSpadRead(pidx, sidx, ctx) : SPAD_NONE;
  }

  /** Write peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_write): the driver's op, or -EINVAL. */
  peerSpadWrite(pidx: number, sidx: number, value: number, ctx?: ExecContext): number {
    return this.ops.peerSpadWrite !== undefined ? this.ops.peerSpadWrite(pidx, sidx, value, ctx) : -ERRNO.EINVAL;
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

/** The peer count of a device without port ops (NTB_DEF_PEER_CNT). */
const NTB_DEF_PEER_CNT = 1;
/** The index of the one peer of a device without port ops (NTB_DEF_PEER_IDX). */
const NTB_DEF_PEER_IDX = 0;
/** What ntb_spad_read / ntb_peer_spad_read return without the op: ~(u32)0. */
const SPAD_NONE = 0xffff_ffff;

/**
 * ntb_default_port_number: NTB_PORT_PRI_USD (0) on the primary and B2B upstream sides,
 * NTB_PORT_SEC_DSD (1) on the secondary and B2B downstream sides, 0 on every other topology
 * ('none', 'switch', 'crosslink'; -EINVAL before the "ntb: Fix ntb_default_port_number"
 * change, which made both defaults 0 so such drivers, ntb_hw_epf among them, keep working).
 */
function defaultPortNumber(topo: NtbTopo): number {
  if (topo === 'sec' || topo === 'b2b-dsd') return 1;
  return 0;
}

/** ntb_default_peer_port_number: the other side's default port for peer index 0 (0 on a topology without defaults); -EINVAL for another index. */
function defaultPeerPortNumber(topo: NtbTopo, pidx: number): number {
  if (pidx !== NTB_DEF_PEER_IDX) return -ERRNO.EINVAL;
  if (topo === 'pri' || topo === 'b2b-usd') return 1;
  return 0;
}

/**
 * The rules of ntb_dev_ops_is_valid (include/linux/ntb.h) in its order, each broken one
 * described: the port ops all or none; the link ops; the memory-window ops (an inbound or an
 * outbound translation op, or both); the doorbell ops with the vector ops as a pair; the peer
 * doorbell; the scratchpad interface all or none (`spadIsUnsafe`, `peerSpadAddr` and
 * `peerSpadRead` optional); the message interface all or none (`msgSetMask` / `msgClearMask`
 * optional). Last the platform services the model requires of every device (no ntb.h ops).
 */
function devOpsProblems(ops: NtbDevOps): string[] {
  const o = ops as Partial<Record<keyof NtbDevOps, unknown>>;
  const has = (k: keyof NtbDevOps): boolean => typeof o[k] === 'function';
  const problems: string[] = [];
  const required = (...keys: (keyof NtbDevOps)[]): void => {
    for (const k of keys) if (!has(k)) problems.push(`missing ${k}`);
  };
  const allOrNone = (what: string, key: keyof NtbDevOps, others: (keyof NtbDevOps)[]): void => {
    const keys = [key, ...others];
    const present = keys.filter(has);
    if (others.some((k) => has(k) !== has(key))) {
      problems.push(`${what} are all or none: has ${present.join(', ')}, missing ${keys.filter((k) => !has(k)).join(', ')}`);
    }
  };
  allOrNone('the port ops', 'portNumber', ['peerPortCount', 'peerPortNumber', 'peerPortIdx']);
  required('linkIsUp', 'linkEnable', 'linkDisable');
  required('mwCount', 'mwGetAlign');
  if (!has('mwSetTrans') && !has('peerMwSetTrans')) problems.push('one memory-window interface is required: mwSetTrans (inbound), peerMwSetTrans (outbound), or both');
  required('peerMwCount', 'peerMwGetAddr');
  required('dbValidMask');
  allOrNone('the doorbell vector ops', 'dbVectorCount', ['dbVectorMask']);
  required('dbRead', 'dbClear', 'dbSetMask', 'dbClearMask', 'peerDbSet');
  allOrNone('the scratchpad ops', 'spadCount', ['spadRead', 'spadWrite', 'peerSpadWrite']);
  allOrNone('the message ops', 'msgCount', ['msgInbits', 'msgOutbits', 'msgReadSts', 'msgClearSts', 'msgRead', 'peerMsgWrite']);
  required('allocCoherent', 'freeCoherent', 'peerMwIoremap');
  return problems;
}

/** Wrap hardware ops into an NTB device (what a hardware driver's probe does before ntb_register_device). */
export function createNtbDev(options: NtbDevOptions): NtbDev {
  return new NtbDev(options);
}
