/**
 * ntb_hw_epf: the RC host's NTB driver for a PCI-endpoint NTB function (drivers/ntb/hw/epf/
 * ntb_hw_epf.c), R-Car S4 BAR map (`rcar_barno`: config BAR0, MW1 BAR2, DB BAR4).
 *
 * Every register access is MMIO over the fabric into EP memory behind BAR0: reads are
 * non-posted round trips charged to the caller's context, writes are posted. Commands
 * (ntb_epf_send_command) run serialised (`cmd_lock`) on a kthread of the host: write ARGUMENT
 * and COMMAND, then poll CMD_STATUS with a read every `usleep_range(5, 10)` (the 10 µs upper
 * bound: an idle NO_HZ CPU wakes at the hard expiry) for up to 1 s, then write 0 to
 * CMD_STATUS. Doorbell semantics per mode are in `doorbell.ts`.
 *
 * Error paths log the driver's dev_err / dev_warn lines (`ntb_hw_epf <pci name>: …`):
 * `Unsupported Peer ID %d`, `Unsupported Memory Window index %d` (ntb_epf_mw_to_bar: only for
 * idx < 0 or idx > mw_count), `Size:%pa is greater than the MW size %pa`, `READ: / WRITE: Invalid
 * ScratchPad Index %d`, `WRITE: Invalid Peer ScratchPad Index %d` (for reads too, as the kernel
 * says), `DB interrupt %d greater than Max Supported %d`, `Unsupported MW count: %u`, and the
 * per-bit ISR's `Unexpected reserved doorbell slot IRQ received` through dev_warn_ratelimited
 * (10 lines per 5 s, then `ntb_epf_vec_isr: N callbacks suppressed`; the state is per driver
 * instance, the kernel's is one per call site).
 *
 * Model choices: the probe and the commands run on one `ntb_epf_cmd` kthread (in the kernel
 * they run in the caller's task); CONFIGURE_MW writes ADDR/SIZE under the command lock; a
 * read of all-ones LINK_STATUS (a dead link) reports the link down; an index ≥ mw_count is
 * -EINVAL (the kernel's `idx > mw_count` check is off by one: idx == mw_count reaches
 * `barno_map[BAR_MW1 + idx]`, NO_BAR on `rcar_barno`, so it returns -1 without a log line);
 * an MW_COUNT above the board table's windows fails the probe like one above
 * NTB_EPF_MAX_MW_COUNT (the kernel would register and fail that window's ops through NO_BAR),
 * and the failed probe frees its vectors (the kernel's init_dev returns without
 * ntb_epf_cleanup_isr there). A command timeout returns -ETIMEDOUT and counts in
 * `stats().timeouts`, without the WARNING splat (`WARN_ON(timedout)`: register dump and call
 * trace) the kernel prints. There is no remove path (pci_driver.remove,
 * ntb_epf_cleanup_isr's TEARDOWN_DOORBELL): the device stays bound.
 */
import { ERRNO, Work, type ExecContext, type Host, type IrqVector, type Ns, type Task, type TaskStep, type Workqueue } from '@ntbsim/kernel';
import { createNtbDev, type DmaBuffer, type DmaChannel, type IoWindow, type NtbBus, type NtbDev, type NtbDevOps, type NtbDone, type NtbLinkState, type NtbMwAlign, type NtbMwTrans } from '@ntbsim/ntb-core';
import type { EpfBarPlan } from './barPlan.js';
import {
  COMMAND_STATUS_ERROR,
  COMMAND_STATUS_OK,
  EPF_CMD,
  LINK_STATUS_UP,
  NTB_EPF_ARGUMENT,
  NTB_EPF_CMD_STATUS,
  NTB_EPF_COMMAND,
  NTB_EPF_COMMAND_TIMEOUT_MS,
  NTB_EPF_DB_DATA,
  NTB_EPF_DB_ENTRY_SIZE,
  NTB_EPF_DB_OFFSET,
  NTB_EPF_LINK_STATUS,
  NTB_EPF_LOWER_ADDR,
  NTB_EPF_LOWER_SIZE,
  NTB_EPF_MAX_DB_COUNT,
  NTB_EPF_MIN_DB_COUNT,
  NTB_EPF_MW1_OFFSET,
  NTB_EPF_MW_COUNT,
  NTB_EPF_SPAD_COUNT,
  NTB_EPF_SPAD_OFFSET,
  NTB_EPF_UPPER_ADDR,
  NTB_EPF_UPPER_SIZE,
  EPF_MAX_MW,
  type EpfCommand,
} from './configRegion.js';
import { hostDbValidMask, hostDbVectorCount, hostIsrAction, hostPeerDbSlot } from './doorbell.js';
import { hostDmaEngine } from './dma.js';
import type { Fabric } from './fabric.js';
import { WcWindow, type WcPolicy } from './ioWindow.js';
import { hostMemory, type MemRegion } from './memory.js';
import { chargeRead, chargeWrite } from './mmio.js';
import type { DwMsiController, MsiCapability } from './msi.js';
import { portOps, type EpfPortMode } from './ports.js';
import type { DoorbellMode, EpfHostStats, EpfProbeState, TlpKind } from './types.js';

/** usleep_range(5, 10) between CMD_STATUS polls: the hard expiry (ns). */
const CMD_POLL_SLEEP_NS = 10_000;
const PAGE = 4096;
/** DEFAULT_RATELIMIT_INTERVAL (s; 5 * HZ jiffies) of dev_warn_ratelimited. */
const RATELIMIT_INTERVAL_S = 5;
/** DEFAULT_RATELIMIT_BURST: lines per interval of dev_warn_ratelimited. */
const RATELIMIT_BURST = 10;

/** `%pa` of a 64-bit phys_addr_t / resource_size_t: `0x` and 16 hex digits. */
function pa(v: number): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

/** Options of the host driver. */
export interface NtbHwEpfOptions {
  /** The RC host. */
  readonly host: Host;
  /** The link to the EP. */
  readonly fabric: Fabric;
  /** BAR plan (the driver's PCI ID data). */
  readonly plan: EpfBarPlan;
  /** Doorbell code state. */
  readonly mode: DoorbellMode;
  /** Port numbering of the two devices. */
  readonly ports: EpfPortMode;
  /** The EP function's MSI capability. */
  readonly msi: MsiCapability;
  /** The RC's DWC MSI controller the vectors come through. */
  readonly msiController: DwMsiController;
  /** The host's WC behaviour. */
  readonly wc: WcPolicy;
  /** Device name (pci_name). */
  readonly name: string;
  /** The bus to register on when the probe succeeds. */
  readonly bus: NtbBus;
}

type Job =
  | { readonly kind: 'call'; readonly fn: (ctx: ExecContext) => void }
  | {
      readonly kind: 'cmd';
      readonly command: EpfCommand;
      readonly argument: number;
      readonly pre: readonly (readonly [number, number])[];
      readonly done: (rc: number, ctx: ExecContext) => void;
    };

/** The host-side driver instance of one EPF NTB function (struct ntb_epf_dev). */
export class NtbHwEpf {
  /** The NTB device it registers. */
  readonly dev: NtbDev;
  /** Counters. */
  readonly stats: EpfHostStats = { commands: 0, polls: 0, timeouts: 0, lastCommandRc: 0, isrWarnings: 0 };
  private dbCount = 0;
  private mwCount = 0;
  private spadCount = 0;
  private peerSpadOffset = 0;
  private dbValid = 0;
  private dbVal = 0;
  private irqs: IrqVector[] = [];
  private msiReceiver: MemRegion | null = null;
  private readonly jobs: Job[] = [];
  private current: Job | null = null;
  private deadline: Ns = 0;
  private started = false;
  private task: Task | null = null;
  private idle = true;
  /** End of the kthread's last step: a woken task must not start before it (cmd_lock serialises commands in time). */
  private lastStepEnd: Ns = 0;
  private readonly wq: Workqueue;
  private probeState: EpfProbeState = { state: 'pending', rc: null, at: null };
  /** The link is down after a notified loss: an all-ones LINK_STATUS reads as down. */
  private lossNotified = false;
  private readonly probeWaiters: ((s: EpfProbeState) => void)[] = [];
  /** struct ratelimit_state of the ISR's dev_warn_ratelimited (begin in jiffies, 0: not started). */
  private readonly isrRs = { begin: 0, printed: 0, missed: 0 };

  /** A driver instance; call `probe()` to bind it. */
  constructor(private readonly o: NtbHwEpfOptions) {
    this.wq = o.host.createWorkqueue('ntb_hw_epf');
    this.dev = createNtbDev({ name: o.name, driverName: 'ntb_hw_epf', host: o.host, ops: this.ops() });
  }

  /** Probe progress. */
  get probeResult(): EpfProbeState {
    return this.probeState;
  }

  /** The MSI vectors requested by the probe (index = vector number). */
  get vectors(): readonly IrqVector[] {
    return this.irqs;
  }

  /** Run `cb` when the probe has finished. */
  whenProbed(cb: (s: EpfProbeState) => void): void {
    if (this.probeState.state === 'pending') this.probeWaiters.push(cb);
    else cb(this.probeState);
  }

  /** ntb_epf_pci_probe: map BARs, allocate MSI vectors, CONFIGURE_DOORBELL, read counts, register. */
  probe(): void {
    this.enqueue({
      kind: 'call',
      fn: (ctx) => {
        const spadCount = this.rd(NTB_EPF_SPAD_COUNT, 4, ctx);
        const spadOff = this.rd(NTB_EPF_SPAD_OFFSET, 4, ctx);
        this.peerSpadOffset = spadOff + 4 * spadCount;
        const nvec = Math.min(NTB_EPF_MAX_DB_COUNT + 1, this.o.msi.offered);
        if (nvec < NTB_EPF_MIN_DB_COUNT + 1) {
          this.finishProbe(-ERRNO.ENOSPC, ctx);
          return;
        }
        const receiver = hostMemory(this.o.host).alloc(4, 4, `${this.o.name} dw-pcie msi`);
        if (receiver === null) {
          this.finishProbe(-ERRNO.ENOMEM, ctx);
          return;
        }
        this.msiReceiver = receiver;
        const noAffinity = !this.o.msiController.steerable;
        this.irqs = Array.from({ length: nvec }, (_, i) => this.o.host.requestIrq('ntb_epf', (c) => this.isr(c, i), noAffinity ? { noAffinity } : {}));
        this.o.msi.enable(receiver, this.irqs, this.o.msiController);
        this.dbCount = nvec - 1;
        this.sendCommand(EPF_CMD.CONFIGURE_DOORBELL, nvec, [], (rc, c) => {
          if (rc !== 0) {
            this.dev.devInfo('Failed to configure doorbell');
            this.dev.devInfo('Failed to init ISR');
            this.dev.devInfo('Failed to init device');
            this.freeVectors();
            this.finishProbe(rc, c);
            return;
          }
          this.dbValid = hostDbValidMask(this.o.mode, this.dbCount);
          this.mwCount = this.rd(NTB_EPF_MW_COUNT, 4, c);
          this.spadCount = this.rd(NTB_EPF_SPAD_COUNT, 4, c);
          if (this.mwCount > EPF_MAX_MW || this.mwCount > this.o.plan.mws.length) {
            this.dev.devInfo(`Unsupported MW count: ${this.mwCount}`);
            this.dev.devInfo('Failed to init device');
            this.freeVectors();
            this.finishProbe(-ERRNO.EINVAL, c);
            return;
          }
          this.o.bus.registerDevice(this.dev);
          this.finishProbe(0, c);
        });
      },
    });
  }

  private freeVectors(): void {
    if (this.msiReceiver !== null) {
      this.o.msi.disable(this.msiReceiver);
      hostMemory(this.o.host).free(this.msiReceiver);
      this.msiReceiver = null;
    }
    for (const irq of this.irqs) this.o.host.freeIrq(irq);
    this.irqs = [];
    this.dbCount = 0;
  }

  /** `rc`, after the driver's dev_err line `text` when it is an error (-ETIMEDOUT, -EINVAL). */
  private failed(rc: number, text: string): number {
    if (rc !== 0) this.dev.devInfo(text);
    return rc;
  }

  private finishProbe(rc: number, ctx: ExecContext): void {
    this.probeState = { state: rc === 0 ? 'done' : 'failed', rc, at: ctx.time };
    for (const w of this.probeWaiters.splice(0)) w(this.probeState);
  }

  /**
   * @internal Hardware link loss (`lost`) or recovery. `notified`: a surprise-down / link-up
   * notification the mainline driver lacks tells the client in process context, and while the
   * link is down an all-ones LINK_STATUS reads as down. Otherwise nothing happens, as in the
   * kernel: no event, and `link_is_up` tests bit 0 of the all-ones read, so the link reads up.
   */
  linkChanged(lost: boolean, notified: boolean): void {
    this.lossNotified = lost && notified;
    if (notified) this.wq.queue(new Work('ntb_epf link', () => this.dev.linkEvent()));
  }

  private isr(ctx: ExecContext, irqNo: number): void {
    const a = hostIsrAction(this.o.mode, irqNo, this.dbCount);
    switch (a.kind) {
      case 'link':
        if (this.o.mode === 'legacy') this.dbVal = irqNo + 1;
        this.dev.linkEvent();
        return;
      case 'ignored':
        this.stats.isrWarnings++;
        if (a.reason === 'reserved' && this.ratelimit(this.isrRs, 'ntb_epf_vec_isr')) this.dev.devInfo('Unexpected reserved doorbell slot IRQ received');
        return;
      case 'db':
        if (this.o.mode === 'legacy') this.dbVal = irqNo + 1;
        else this.dbVal = (this.dbVal | (1 << a.bit)) >>> 0;
        this.dev.dbEvent(a.vector, ctx);
        return;
    }
  }

  /**
   * ___ratelimit with DEFAULT_RATELIMIT_INTERVAL / BURST: true when the caller may print; the
   * first call after an interval with suppressed lines first logs `<func>: N callbacks suppressed`.
   */
  private ratelimit(rs: { begin: number; printed: number; missed: number }, func: string): boolean {
    const host = this.o.host;
    if (rs.begin === 0) rs.begin = host.jiffies;
    if (host.jiffies > rs.begin + host.msecsToJiffies(RATELIMIT_INTERVAL_S * 1000)) {
      if (rs.missed > 0) {
        host.printk(`${func}: ${rs.missed} callbacks suppressed`);
        rs.missed = 0;
      }
      rs.begin = host.jiffies;
      rs.printed = 0;
    }
    if (rs.printed < RATELIMIT_BURST) {
      rs.printed++;
      return true;
    }
    rs.missed++;
    return false;
  }

  /** pidx is NTB_DEF_PEER_IDX; otherwise dev_err `Unsupported Peer ID %d`. */
  private peerOk(pidx: number): boolean {
    if (pidx === 0) return true;
    this.dev.devInfo(`Unsupported Peer ID ${pidx}`);
    return false;
  }

  /** ntb_epf_mw_to_bar's check: dev_err for idx < 0 or idx > mw_count; true for a window the model has (idx < mw_count). */
  private mwToBar(widx: number): boolean {
    if (this.mwIndexOk(widx)) return true;
    if (!(widx >= 0 && widx <= this.mwCount)) this.dev.devInfo(`Unsupported Memory Window index ${widx}`);
    return false;
  }

  private rd(off: number, width: 2 | 4, ctx?: ExecContext): number {
    return chargeRead(ctx, this.o.fabric, { dir: 'rc-to-ep', addr: this.o.plan.bar0.base + off, width });
  }

  private wr(off: number, value: number, options: { readonly width?: 2 | 4; readonly ctx?: ExecContext | undefined; readonly kind?: TlpKind } = {}): void {
    chargeWrite(options.ctx, this.o.fabric, { dir: 'rc-to-ep', kind: options.kind ?? 'mmio', addr: this.o.plan.bar0.base + off, value, width: options.width ?? 4 });
  }

  private enqueue(job: Job): void {
    this.jobs.push(job);
    if (this.task === null) this.task = this.o.host.createKthread('ntb_epf_cmd', (ctx) => this.step(ctx));
    else if (this.idle) {
      const task = this.task;
      const sim = this.o.host.sim;
      if (this.lastStepEnd > sim.now) sim.at(this.lastStepEnd, () => task.wake());
      else task.wake();
    }
    this.idle = false;
  }

  /** ntb_epf_send_command: queue a command; `done(rc, ctx)` runs in the kthread once it finished. */
  private sendCommand(command: EpfCommand, argument: number, pre: readonly (readonly [number, number])[], done: (rc: number, ctx: ExecContext) => void): void {
    this.enqueue({ kind: 'cmd', command, argument, pre, done });
  }

  private step(ctx: ExecContext): TaskStep {
    const next = this.stepBody(ctx);
    this.lastStepEnd = ctx.time;
    return next;
  }

  private stepBody(ctx: ExecContext): TaskStep {
    if (this.current === null) {
      const next = this.jobs.shift();
      if (next === undefined) {
        this.idle = true;
        return 'sleep';
      }
      this.current = next;
      this.started = false;
    }
    const job = this.current;
    if (job.kind === 'call') {
      this.current = null;
      job.fn(ctx);
      return this.more();
    }
    if (!this.started) {
      this.started = true;
      this.stats.commands++;
      for (const [off, v] of job.pre) this.wr(off, v, { ctx });
      this.wr(NTB_EPF_ARGUMENT, job.argument, { ctx });
      this.wr(NTB_EPF_COMMAND, job.command, { ctx });
      this.deadline = ctx.time + NTB_EPF_COMMAND_TIMEOUT_MS * 1_000_000;
    }
    const timedOut = ctx.time > this.deadline;
    this.stats.polls++;
    const status = this.rd(NTB_EPF_CMD_STATUS, 2, ctx);
    let rc: number;
    if (status === COMMAND_STATUS_ERROR) rc = -ERRNO.EINVAL;
    else if (status === COMMAND_STATUS_OK) rc = 0;
    else if (timedOut) {
      rc = -ERRNO.ETIMEDOUT;
      this.stats.timeouts++;
    } else return CMD_POLL_SLEEP_NS;
    this.wr(NTB_EPF_CMD_STATUS, 0, { width: 2, ctx });
    this.current = null;
    this.stats.lastCommandRc = rc;
    job.done(rc, ctx);
    return this.more();
  }

  private more(): TaskStep {
    if (this.jobs.length > 0) return 'run';
    this.idle = true;
    return 'sleep';
  }

  private defer(done: NtbDone, rc: number): void {
    this.wq.queue(new Work('ntb_epf done', () => done(rc)));
  }

  private mwIndexOk(widx: number): boolean {
    return Number.isInteger(widx) && widx >= 0 && widx < this.mwCount;
  }

  private ops(): NtbDevOps {
    const plan = this.o.plan;
    const base: NtbDevOps = {
      ...portOps(this.o.ports, 'rc'),
      linkIsUp: (): NtbLinkState => {
        const status = this.rd(NTB_EPF_LINK_STATUS, 2);
        if ((status === 0xffff && this.lossNotified) || (status & LINK_STATUS_UP) === 0) return { peers: 0, speed: 'none', width: 'none' };
        const p = this.o.host.profile.pcie;
        return { peers: 1, speed: p.gen.value as 1 | 2 | 3 | 4 | 5 | 6, width: p.lanes.value as 1 | 2 | 4 | 8 | 16 };
      },
      linkEnable: (_speed, _width, done) => this.sendCommand(EPF_CMD.LINK_UP, 0, [], (rc) => done(this.failed(rc, 'Fail to enable link'))),
      linkDisable: (done) => this.sendCommand(EPF_CMD.LINK_DOWN, 0, [], (rc) => done(this.failed(rc, 'Fail to disable link'))),
      mwCount: (pidx) => (this.peerOk(pidx) ? this.mwCount : -ERRNO.EINVAL),
      mwGetAlign: (pidx, widx): NtbMwAlign | number => {
        if (!this.peerOk(pidx) || !this.mwToBar(widx)) return -ERRNO.EINVAL;
        return { addrAlign: PAGE, sizeAlign: 1, sizeMax: (plan.mws[widx] as { hostSize: number }).hostSize };
      },
      mwSetTrans: (t: NtbMwTrans, done) => {
        if (!this.peerOk(t.pidx) || !this.mwToBar(t.widx)) return this.defer(done, -ERRNO.EINVAL);
        const max = (plan.mws[t.widx] as { hostSize: number }).hostSize;
        if (!(t.size >= 0)) return this.defer(done, -ERRNO.EINVAL);
        if (t.size > max) {
          this.dev.devInfo(`Size:${pa(t.size)} is greater than the MW size ${pa(max)}`);
          return this.defer(done, -ERRNO.EINVAL);
        }
        const hi = (v: number): number => Math.floor(v / 0x1_0000_0000) >>> 0;
        const pre: [number, number][] = [
          [NTB_EPF_LOWER_ADDR, t.addr >>> 0],
          [NTB_EPF_UPPER_ADDR, hi(t.addr)],
          [NTB_EPF_LOWER_SIZE, t.size >>> 0],
          [NTB_EPF_UPPER_SIZE, hi(t.size)],
        ];
        this.sendCommand(EPF_CMD.CONFIGURE_MW, t.widx, pre, () => done(0));
      },
      mwClearTrans: (pidx, widx, done) => {
        if (pidx !== 0 || !this.mwIndexOk(widx)) return this.defer(done, -ERRNO.EINVAL);
        this.sendCommand(EPF_CMD.TEARDOWN_MW, widx, [], () => done(0));
      },
      peerMwCount: () => this.mwCount,
      peerMwGetAddr: (widx) => {
        if (!this.mwToBar(widx)) return -ERRNO.EINVAL;
        const mw = plan.mws[widx] as { offset: number; hostSize: number };
        const off = widx === 0 ? this.rd(NTB_EPF_MW1_OFFSET, 4) : mw.offset;
        return { base: plan.bar2.base + off, size: mw.hostSize - (widx === 0 ? off : 0) };
      },
      dbValidMask: () => this.dbValid,
      dbRead: () => this.dbVal,
      dbClear: (bits) => {
        this.dbVal = this.o.mode === 'legacy' ? 0 : (this.dbVal & ~bits) >>> 0;
        return 0;
      },
      dbSetMask: () => 0,
      dbClearMask: () => 0,
      peerDbSet: (bits, ctx) => {
        const slot = hostPeerDbSlot(bits);
        if (slot > this.dbCount) {
          this.dev.devInfo(`DB interrupt ${slot} greater than Max Supported ${this.dbCount}`);
          return -ERRNO.EINVAL;
        }
        const entry = this.rd(NTB_EPF_DB_ENTRY_SIZE, 4, ctx);
        const data = this.rd(NTB_EPF_DB_DATA(slot), 4, ctx);
        const off = this.rd(NTB_EPF_DB_OFFSET(slot), 4, ctx);
        chargeWrite(ctx, this.o.fabric, { dir: 'rc-to-ep', kind: 'doorbell', addr: plan.bar4.base + entry * slot + off, value: data, width: 4 });
        return 0;
      },
      spadCount: () => this.spadCount,
      spadRead: (sidx, ctx) => {
        if (!this.spadIndexOk(sidx)) {
          this.dev.devInfo(`READ: Invalid ScratchPad Index ${sidx}`);
          return 0;
        }
        const off = this.rd(NTB_EPF_SPAD_OFFSET, 4, ctx);
        return this.rd(off + 4 * sidx, 4, ctx);
      },
      spadWrite: (sidx, value, ctx) => {
        if (!this.spadIndexOk(sidx)) {
          this.dev.devInfo(`WRITE: Invalid ScratchPad Index ${sidx}`);
          return -ERRNO.EINVAL;
        }
        const off = this.rd(NTB_EPF_SPAD_OFFSET, 4, ctx);
        this.wr(off + 4 * sidx, value, { ctx });
        return 0;
      },
      peerSpadRead: (pidx, sidx, ctx) => {
        if (!this.peerOk(pidx) || !this.peerSpadIndexOk(sidx)) return -ERRNO.EINVAL >>> 0;
        return this.rd(this.peerSpadOffset + 4 * sidx, 4, ctx);
      },
      peerSpadWrite: (pidx, sidx, value, ctx) => {
        if (!this.peerOk(pidx) || !this.peerSpadIndexOk(sidx)) return -ERRNO.EINVAL;
        this.wr(this.peerSpadOffset + 4 * sidx, value, { ctx });
        return 0;
      },
      allocCoherent: (size, align): DmaBuffer | null => hostMemory(this.o.host).alloc(size, Math.max(align, PAGE), `${this.o.name} coherent`),
      freeCoherent: (buf) => void hostMemory(this.o.host).free(buf),
      peerMwIoremap: (widx): IoWindow | null => {
        if (!this.mwIndexOk(widx)) return null;
        const mw = plan.mws[widx] as { offset: number; hostSize: number };
        const start = plan.bar2.base + mw.offset;
        return new WcWindow({ fabric: this.o.fabric, dir: 'rc-to-ep', size: mw.hostSize, wc: this.o.wc, name: `${this.o.name} mw${widx}`, translate: (off) => start + off });
      },
      requestDmaChannel: (): DmaChannel | null => hostDmaEngine(this.o.host).request(),
    };
    if (this.o.mode === 'legacy') return base;
    return {
      ...base,
      dbVectorCount: () => hostDbVectorCount(this.dbCount),
      dbVectorMask: (v) => (Number.isInteger(v) && v >= 0 && v < hostDbVectorCount(this.dbCount) ? (1 << v) >>> 0 : 0),
    };
  }

  private spadIndexOk(sidx: number): boolean {
    return Number.isInteger(sidx) && sidx >= 0 && sidx < this.spadCount;
  }

  /** The peer scratchpad index check; dev_err `WRITE: Invalid Peer ScratchPad Index %d` (reads say WRITE too). */
  private peerSpadIndexOk(sidx: number): boolean {
    if (this.spadIndexOk(sidx)) return true;
    this.dev.devInfo(`WRITE: Invalid Peer ScratchPad Index ${sidx}`);
    return false;
  }
}
