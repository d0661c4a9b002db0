/**
 * ntb_pingpong (drivers/ntb/test/ntb_pingpong.c, version 2.0: the multi-port rework) on one NTB
 * device: the kernel's doorbell ping-pong test client, what ntb_test.sh's pingpong_test watches.
 *
 * Probe (pp_probe): pp_check_ntb refuses an unsafe doorbell or scratchpad without `unsafe`
 * (-EINVAL), a doorbell valid mask lacking the bits of the ports (`Unsupported DB
 * configuration`, -EINVAL) and a device with neither scratchpads nor message registers
 * (-EINVAL); pp_init_flds takes the inbound doorbell bit of the local port number and splits
 * the peers into those numbered above it (`nmask`, tried first) and below (`pmask`); every
 * doorbell and message event is masked; the context is set (-EINVAL when another client holds
 * the device), the link enabled — sleeping in the device's command — and then a link event
 * raised; the `count` file is created.
 *
 * The game: on each link event (pp_setup) the inbound bit is masked, the timer cancelled and the
 * first peer whose link is up chosen; if there is one, after `delay_ms` the hrtimer pings it
 * (pp_ping, in hardirq context): the count is written to its scratchpad 0 and message register 0
 * (where the device has them), its doorbell bit (the bit of its port number) rung, and the
 * inbound bit unmasked. A doorbell event (pp_pong) reads scratchpad 0 and message 0, clears the
 * message status, counts one, masks and clears the inbound bit, and re-arms the timer: each side
 * answers the other `delay_ms` after it was pinged, and its `count` grows by one per pong.
 *
 * Remove (pp_remove): the `count` file goes, the link is disabled (sleeping in the device's
 * command) and the context cleared, then the timer cancelled and the inbound bit masked.
 */
import { ERRNO, type ExecContext, type Hrtimer } from '@ntbsim/kernel';
import type { NtbCtxOps, NtbDevice } from '@ntbsim/ntb-core';
import type { PingpongParams } from './types.js';

/** GENMASK_ULL(h, l) on the 32 doorbell bits of the ntb-core contract: bits l..h set, 0 when h < l. */
export function genmask(h: number, l: number): number {
  if (h < l || l > 31) return 0;
  const top = Math.min(h, 31);
  return top - l === 31 ? 0xffff_ffff : (((1 << (top - l + 1)) - 1) << l) >>> 0;
}

/** The lowest set bit's index (__ffs64), -1 for 0. */
const ffs = (x: number): number => (x === 0 ? -1 : 31 - Math.clz32(x & -x));

/** ntb_pingpong on one bound device (struct pp_ctx). */
export class NtbPingpong {
  private readonly timer: Hrtimer;
  private readonly ctxOps: NtbCtxOps;
  /** The inbound doorbell bit: the local port number's. */
  readonly inDb: number;
  /** Peers numbered above the local port (tried first). */
  readonly nmask: number;
  /** Peers numbered below it. */
  readonly pmask: number;
  /** The peer pinged and its doorbell bit: zero until a link event finds one (devm_kzalloc), as pp_ping uses them. */
  private outPidx = 0;
  private outDb = 0;
  private pongs = 0;
  private stage: 'bound' | 'removing' | 'removed' = 'bound';
  private readonly removedWaiters: (() => void)[] = [];

  /** ntb_pingpong's state for `dev` (pp_create_data, pp_init_flds); `attach` binds it. */
  constructor(
    /** The NTB device. */
    readonly dev: NtbDevice,
    /** The module parameters in force. */
    readonly params: PingpongParams,
  ) {
    this.timer = dev.host.createHrtimer('ntb_pingpong', (ctx) => this.ping(ctx), 'hard');
    const lport = dev.portNumber();
    const pcnt = dev.peerPortCount();
    let pidx = 0;
    while (pidx < pcnt && lport >= dev.peerPortNumber(pidx)) pidx++;
    this.inDb = (1 << lport) >>> 0;
    this.pmask = genmask(pidx, 0) >>> 1;
    this.nmask = genmask(pcnt - 1, pidx);
    this.ctxOps = { linkEvent: () => this.setup(), dbEvent: (_vector, ctx) => this.pong(ctx) };
  }

  /** Ping-pong cycles seen: the doorbells this side took (the debugfs `count`, an atomic_t). */
  get count(): number {
    return this.pongs;
  }

  /** Write the debugfs `count` (debugfs_atomic_t_set): the value, cut to an int as atomic_set stores it. */
  setCount(value: number): void {
    this.pongs = value | 0;
  }

  /** The peer index being pinged and its doorbell bit (0 and 0 before a link event found a peer up). */
  get peer(): { readonly pidx: number; readonly db: number } {
    return { pidx: this.outPidx, db: this.outDb };
  }

  /** Whether remove has finished (the context cleared, the timer cancelled). */
  get removed(): boolean {
    return this.stage === 'removed';
  }

  /**
   * pp_check_ntb: 0, or -EINVAL and the dev_err line the kernel logs (null for its dev_dbg
   * refusals, which a default kernel does not print).
   */
  static check(dev: NtbDevice, params: PingpongParams): { readonly rc: number; readonly log: string | null } {
    const ops = dev.ops;
    if ((ops.dbIsUnsafe?.() ?? false) && params.unsafe === 0) return { rc: -ERRNO.EINVAL, log: null };
    if (dev.spadIsUnsafe() && params.unsafe === 0) return { rc: -ERRNO.EINVAL, log: null };
    const pmask = genmask(dev.peerPortCount(), 0);
    if ((ops.dbValidMask() & pmask) >>> 0 !== pmask) return { rc: -ERRNO.EINVAL, log: 'Unsupported DB configuration' };
    if (dev.spadCount() < 1 && (ops.msgCount?.() ?? 0) < 1) return { rc: -ERRNO.EINVAL, log: 'Scratchpads and messages unsupported' };
    return { rc: 0, log: null };
  }

  /** pp_mask_events and pp_setup_ctx: mask every doorbell and message event, take the context, enable the link, raise a link event; 0 or -errno. */
  attach(): number {
    const ops = this.dev.ops;
    let rc = ops.dbSetMask(ops.dbValidMask());
    if (rc !== 0) return rc;
    if ((ops.msgCount?.() ?? 0) >= 1) {
      rc = ops.msgSetMask?.(((ops.msgOutbits?.() ?? 0) | (ops.msgInbits?.() ?? 0)) >>> 0) ?? 0;
      if (rc !== 0) return rc;
    }
    rc = this.dev.setCtx(this.ctxOps);
    if (rc !== 0) return rc;
    // ntb_link_enable sleeps in the device's command (ntb_hw_epf's LINK_UP); the link event ("might be not necessary") follows it.
    ops.linkEnable('auto', 'auto', () => {
      if (this.stage === 'bound') this.dev.linkEvent();
    });
    return 0;
  }

  /** pp_find_next_peer: the first peer up above the local port, else below; false when none is up. */
  private findNextPeer(): boolean {
    const link = this.dev.ops.linkIsUp().peers;
    const pidx = (link & this.nmask) !== 0 ? ffs(link & this.nmask) : (link & this.pmask) !== 0 ? ffs(link & this.pmask) : -1;
    if (pidx < 0) return false;
    this.outPidx = pidx;
    this.outDb = (1 << this.dev.peerPortNumber(pidx)) >>> 0;
    return true;
  }

  /** pp_setup (link_event): mask the inbound bit, cancel the timer, and with a peer up ping it after `delay_ms`. */
  private setup(): void {
    if (this.stage !== 'bound') return;
    this.dev.ops.dbSetMask(this.inDb);
    this.timer.cancel();
    if (!this.findNextPeer()) return;
    this.timer.start(this.params.delayMs * 1_000_000);
  }

  /** pp_ping (the hrtimer, hardirq context): the count to the peer's scratchpad 0 and message 0, its doorbell rung, the inbound bit unmasked. */
  private ping(ctx: ExecContext): void {
    const dev = this.dev;
    const value = this.pongs >>> 0;
    dev.peerSpadWrite(this.outPidx, 0, value, ctx);
    dev.ops.peerMsgWrite?.(this.outPidx, 0, value);
    dev.ops.peerDbSet(this.outDb, ctx);
    dev.ops.dbClearMask(this.inDb);
  }

  /** pp_pong (db_event, hardirq context): read scratchpad 0 and message 0, clear the message status, count one, mask and clear the inbound bit, re-arm the timer. */
  private pong(ctx: ExecContext): void {
    const dev = this.dev;
    dev.spadRead(0, ctx);
    dev.ops.msgRead?.(0);
    dev.ops.msgClearSts?.(0xffff_ffff);
    this.pongs = (this.pongs + 1) | 0;
    dev.ops.dbSetMask(this.inDb);
    dev.ops.dbClear(this.inDb);
    this.timer.start(this.params.delayMs * 1_000_000);
  }

  /**
   * pp_remove: pp_clear_ctx (ntb_link_disable, sleeping in the device's command, then
   * ntb_clear_ctx), then pp_clear (hrtimer_cancel, the inbound bit masked). `whenRemoved` waiters
   * run at the end. The debugfs file is the caller's to drop first.
   */
  remove(): void {
    if (this.stage !== 'bound') return;
    this.stage = 'removing';
    this.dev.ops.linkDisable(() => {
      this.dev.clearCtx();
      this.timer.cancel();
      this.dev.ops.dbSetMask(this.inDb);
      this.stage = 'removed';
      for (const fn of this.removedWaiters.splice(0)) fn();
    });
  }

  /** Call `fn` once remove has finished (at once when it has). */
  whenRemoved(fn: () => void): void {
    if (this.stage === 'removed') fn();
    else this.removedWaiters.push(fn);
  }
}
