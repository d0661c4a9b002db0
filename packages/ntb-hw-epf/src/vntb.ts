/**
 * pci-epf-vntb: the endpoint function of a "virtual NTB" between the RC and the EP
 * (drivers/pci/endpoint/functions/pci-epf-vntb.c), plus the EP-side NTB device it registers.
 *
 * At bind it allocates the ctrl + scratchpad region (BAR0) and the doorbell slots (BAR4) in
 * EP memory, fills spad_offset/spad_count/num_mws/db_entry_size/db_data[i] = i + 1, reserves
 * one outbound window per MW, and starts `epf_ntb_cmd_handler` on the `kpcintb` workqueue.
 * That delayed work runs at once and then re-queues itself every `msecs_to_jiffies(5)`; each
 * run first polls the doorbell slots (R-Car S4 cannot map GITS_TRANSLATER for RC→EP MSI
 * doorbells, so they are polled), then executes at most one host command. With
 * `doorbellIrq` (2026 vNTB `msi_doorbell`: platform-MSI or the embedded eDMA
 * interrupt-emulation doorbell) `db_entry_size` is 0, `db_data[i] = i` is the message data
 * written at offset 0 of the DB BAR, each slot has its own EP interrupt whose handler calls
 * `ntb_db_event`, nothing is polled and the handler re-queues every 500 ms. Commands:
 * CONFIGURE/TEARDOWN_DOORBELL → OK; CONFIGURE_MW → program the outbound iATU of MW
 * `argument` to the host address/size in the ctrl region (ERROR when the index, alignment or
 * size is bad); TEARDOWN_MW → unmap; LINK_UP/LINK_DOWN → set/clear link_status and
 * `ntb_link_event` on the EP device. EP→host doorbells are MSIs raised through the DWC
 * (`pci_epc_raise_irq`): a posted write to the RC's MSI receiver.
 *
 * Model choices: MW sub-ranges of BAR2 translate to the EP buffers set by `mw_set_trans`
 * (inbound iATU); out-of-range indices are rejected (the kernel does not check them).
 * CONFIGURE_MW answers ERROR for an address not 4 KiB aligned or a zero size (the DWC iATU
 * checks `pci_epc_map_addr` meets) and also for a size above the MW's outbound allocation,
 * which the kernel would map over the next window (the host's own BAR-size check keeps it
 * from asking). `pci_epc_raise_irq` fails with -EINVAL (counted in `stats().msiErrors`) when
 * the host has not enabled MSI or the number is above the vectors it enabled; the DWC writes
 * such an MSI anyway (to the unprogrammed address, or with data bits the RC's MSI controller
 * has not enabled and drops). The EP's own dev_err lines are not logged: `UNKNOWN command: %d`,
 * `Failed to map memory window %d address`, `Failed to raise IRQ` (legacy) and `Failed to
 * raise IRQ for interrupt_num %u: %d` (peer_db_work); the counters `unknownCommands`,
 * `msiErrors` and the host's `stats().lastCommandRc` show those events.
 */
import { DelayedWork, ERRNO, Work, type ExecContext, type Host, type IrqVector, type Workqueue } from '@ntbsim/kernel';
import { createNtbDev, type DmaBuffer, type DmaChannel, type IoWindow, type NtbDev, type NtbDevOps, type NtbDone, type NtbLinkState, type NtbMwAlign, type NtbMwTrans } from '@ntbsim/ntb-core';
import { BAR4_BYTES, EPC_PAGE_BYTES, type EpfBarPlan, type MwPlan, type VntbConfig } from './barPlan.js';
import {
  COMMAND_STATUS_ERROR,
  COMMAND_STATUS_OK,
  EPF_CMD,
  EpfCtrl,
  epfCtrlRegionBytes,
  EPF_CTRL_SIZE,
  LINK_STATUS_UP,
  NTB_EPF_ARGUMENT,
  NTB_EPF_CMD_STATUS,
  NTB_EPF_COMMAND,
  NTB_EPF_DB_DATA,
  NTB_EPF_DB_ENTRY_SIZE,
  NTB_EPF_DB_OFFSET,
  NTB_EPF_LINK_STATUS,
  NTB_EPF_LOWER_ADDR,
  NTB_EPF_LOWER_SIZE,
  NTB_EPF_MW_COUNT,
  NTB_EPF_SPAD_COUNT,
  NTB_EPF_SPAD_OFFSET,
} from './configRegion.js';
import { epDbValidMask, epDbVectorCount, epLegacyMsi, epPerBitMsi, epPollFirstSlot, epSlotEvent, VNTB_PEER_DB_WORK_BUDGET } from './doorbell.js';
import { hostDmaEngine } from './dma.js';
import { EpfError } from './errors.js';
import type { BusTarget, Fabric } from './fabric.js';
import { WcWindow, type WcPolicy } from './ioWindow.js';
import { hostMemory, type MemRegion } from './memory.js';
import { leBytes, localReadNs, localWriteNs } from './mmio.js';
import type { MsiCapability } from './msi.js';
import { portOps, type EpfPortMode } from './ports.js';
import type { DoorbellMode, EpfEndpointStats } from './types.js';

/** Register writes to program one iATU region (base lo/hi, limit, target lo/hi, ctrl1, ctrl2). */
const IATU_PROGRAM_WRITES = 7;

/** Options of the endpoint function. */
export interface VntbOptionsResolved {
  /** The EP host. */
  readonly host: Host;
  /** The link to the RC. */
  readonly fabric: Fabric;
  /** Checked configfs values. */
  readonly config: VntbConfig;
  /** BAR / outbound plan. */
  readonly plan: EpfBarPlan;
  /** Doorbell code state. */
  readonly mode: DoorbellMode;
  /** Port numbering of the two devices. */
  readonly ports: EpfPortMode;
  /** The function's MSI capability. */
  readonly msi: MsiCapability;
  /** The EP's WC behaviour. */
  readonly wc: WcPolicy;
  /** Device name of the virtual NTB device. */
  readonly name: string;
  /** Interrupt-driven host doorbells (`msi_doorbell`) instead of polling. */
  readonly doorbellIrq: boolean;
}

interface Translation {
  readonly addr: number;
  readonly size: number;
}

/** The vNTB endpoint function bound to an EPC (struct epf_ntb). */
export class VntbFunction implements BusTarget {
  /** The EP-side NTB device. */
  readonly dev: NtbDev;
  /** ctrl + scratchpads (BAR0 memory). */
  readonly ctrlRegion: MemRegion;
  /** Doorbell slots (BAR4 memory, epf_db[]). */
  readonly dbRegion: MemRegion;
  /** Counters. */
  readonly stats: EpfEndpointStats = { handlerRuns: 0, commands: 0, unknownCommands: 0, doorbells: 0, msis: 0, msiErrors: 0 };
  private readonly ctrl: EpfCtrl;
  private readonly inbound: (Translation | null)[];
  private readonly outbound: (Translation | null)[];
  private db = 0;
  private peerDbPending = 0;
  /** Virtual time (ns) of the latest peer doorbell ring (the ringing step's `ctx.time`). */
  private peerDbRungAt = 0;
  private readonly wq: Workqueue;
  private readonly cmdWork: DelayedWork;
  private readonly peerDbWork: Work;
  private stalled = false;
  private linkBeforeLoss = 0;
  private readonly dbIrqs: IrqVector[] = [];

  /** Bind the function: allocate its regions and start the command handler. */
  constructor(private readonly o: VntbOptionsResolved) {
    const mem = hostMemory(o.host);
    const ctrlBytes = Math.ceil(epfCtrlRegionBytes(o.config.spadCount) / EPC_PAGE_BYTES) * EPC_PAGE_BYTES;
    const ctrlRegion = mem.alloc(ctrlBytes, EPC_PAGE_BYTES, `${o.name} ctrl+spad`);
    const dbRegion = mem.alloc(BAR4_BYTES, EPC_PAGE_BYTES, `${o.name} db`);
    if (ctrlRegion === null || dbRegion === null) throw new EpfError('ENOMEM', 'vntb', `${o.host.name}: no memory for the ctrl (${ctrlBytes} B) and doorbell (${BAR4_BYTES} B) regions`);
    this.ctrlRegion = ctrlRegion;
    this.dbRegion = dbRegion;
    this.ctrl = new EpfCtrl(ctrlRegion.bytes);
    this.ctrl.setU32(NTB_EPF_SPAD_OFFSET, EPF_CTRL_SIZE);
    this.ctrl.setU32(NTB_EPF_SPAD_COUNT, o.config.spadCount);
    this.ctrl.setU32(NTB_EPF_MW_COUNT, o.config.numMws);
    this.ctrl.setU32(NTB_EPF_DB_ENTRY_SIZE, o.doorbellIrq ? 0 : 4);
    for (let i = 0; i < o.config.dbCount; i++) {
      this.ctrl.setU32(NTB_EPF_DB_DATA(i), o.doorbellIrq ? i : i + 1);
      this.ctrl.setU32(NTB_EPF_DB_OFFSET(i), 0);
    }
    if (o.doorbellIrq) {
      for (let i = 0; i < o.config.dbCount; i++) this.dbIrqs.push(o.host.requestIrq('pci-epf-vntb', (ctx) => this.doorbellIrq(ctx, i)));
      dbRegion.onWrite = () => this.dbIrqs[dbRegion.view.getUint32(0, true)]?.raise();
    }
    this.inbound = o.plan.mws.map(() => null);
    this.outbound = o.plan.mws.map(() => null);
    this.wq = o.host.createWorkqueue('kpcintb');
    this.cmdWork = new DelayedWork('epf_ntb_cmd_handler', (ctx) => this.cmdHandler(ctx));
    this.peerDbWork = new Work('vntb_epf_peer_db_work', (ctx) => this.peerDbWorkFn(ctx));
    this.wq.queue(this.cmdWork);
    // pci-epf-vntb's virtual PCI device is bound to its own `pci-vntb` driver (vntb_pci_driver).
    this.dev = createNtbDev({ name: o.name, driverName: 'pci-vntb', host: o.host, ops: this.ops() });
  }

  /** The EP's doorbell interrupts, one per slot (empty when doorbells are polled). */
  get doorbellIrqs(): readonly IrqVector[] {
    return this.dbIrqs;
  }

  /** EP doorbell bits (ntb->db). */
  get dbBits(): number {
    return this.db;
  }

  /** Stop (true) or restart (false) the command handler. */
  setStalled(stalled: boolean): void {
    if (stalled === this.stalled) return;
    this.stalled = stalled;
    if (stalled) this.wq.cancelDelayed(this.cmdWork);
    else this.wq.queue(this.cmdWork);
  }

  /** Hardware link loss seen by the EP: link_status drops and the EP device gets a link event (process context). */
  onLinkLost(): void {
    this.linkBeforeLoss = this.ctrl.u16(NTB_EPF_LINK_STATUS) & LINK_STATUS_UP;
    this.ctrl.setU16(NTB_EPF_LINK_STATUS, 0);
    this.wq.queue(new Work('vntb link lost', () => this.dev.linkEvent()));
  }

  /** Link recovery seen by the EP: link_status is restored and the EP device gets a link event. */
  onLinkRestored(): void {
    this.ctrl.setU16(NTB_EPF_LINK_STATUS, this.linkBeforeLoss);
    this.wq.queue(new Work('vntb link restored', () => this.dev.linkEvent()));
  }

  /** Write doorbell slot `slot` locally, as a host doorbell would (spurious doorbell injection). */
  ringSlot(slot: number): void {
    const slots = this.o.doorbellIrq ? this.dbIrqs.length : BAR4_BYTES / 4;
    if (!Number.isInteger(slot) || slot < 0 || slot >= slots) throw new EpfError('EINVAL', 'vntb', `doorbell slot: got ${slot}, allowed 0..${slots - 1}`);
    if (this.o.doorbellIrq) this.dbIrqs[slot]?.raise();
    else this.dbRegion.view.setUint32(slot * 4, slot + 1, true);
  }

  /** epf_ntb_doorbell_handler: the interrupt of doorbell slot `slot` (hardirq). */
  private doorbellIrq(ctx: ExecContext, slot: number): void {
    if (slot < epPollFirstSlot(this.o.mode)) return;
    const ev = epSlotEvent(this.o.mode, slot);
    this.stats.doorbells++;
    this.db = (this.db | (1 << ev.bit)) >>> 0;
    this.dev.dbEvent(ev.vector, ctx);
  }

  /** BusTarget: decode an rc-to-ep write/read at an RC bus address through the EP's BARs and inbound iATU. */
  resolve(addr: number, len: number): { readonly region: MemRegion; readonly offset: number } | null {
    const { bar0, bar2, bar4 } = this.o.plan;
    if (addr >= bar0.base && addr + len <= bar0.base + bar0.size) {
      const off = addr - bar0.base;
      return off + len <= this.ctrlRegion.size ? { region: this.ctrlRegion, offset: off } : null;
    }
    if (addr >= bar4.base && addr + len <= bar4.base + bar4.size) return { region: this.dbRegion, offset: addr - bar4.base };
    if (addr >= bar2.base && addr + len <= bar2.base + bar2.size) {
      const off = addr - bar2.base;
      for (let i = 0; i < this.o.plan.mws.length; i++) {
        const mw = this.o.plan.mws[i] as MwPlan;
        const t = this.inbound[i];
        if (off < mw.offset || t == null) continue;
        const local = off - mw.offset;
        if (local + len > mw.hostSize) continue;
        const region = hostMemory(this.o.host).find(t.addr + local, len);
        if (region !== null) return { region, offset: t.addr + local - region.dmaAddr };
      }
    }
    return null;
  }

  private translateOutbound(widx: number, off: number, len: number): number | null {
    const t = this.outbound[widx];
    if (t == null || off + len > t.size) return null;
    return t.addr + off;
  }

  private cmdHandler(ctx: ExecContext): void {
    if (this.stalled) return;
    this.stats.handlerRuns++;
    const first = epPollFirstSlot(this.o.mode);
    const dbv = this.dbRegion.view;
    for (let i = first; i < this.o.config.dbCount && !this.o.doorbellIrq; i++) {
      ctx.charge(localReadNs(ctx));
      if (dbv.getUint32(i * 4, true) === 0) continue;
      const ev = epSlotEvent(this.o.mode, i);
      this.stats.doorbells++;
      this.db = (this.db | (1 << ev.bit)) >>> 0;
      this.dev.dbEvent(ev.vector, ctx);
      ctx.charge(localWriteNs(ctx));
      dbv.setUint32(i * 4, 0, true);
    }
    ctx.charge(localReadNs(ctx));
    const command = this.ctrl.u32(NTB_EPF_COMMAND);
    if (command !== 0) this.execute(command, ctx);
    this.wq.queueDelayed(this.cmdWork, this.o.host.msecsToJiffies(this.o.doorbellIrq ? 500 : 5), ctx);
  }

  private execute(command: number, ctx: ExecContext): void {
    const c = this.ctrl;
    ctx.charge(localReadNs(ctx) + 2 * localWriteNs(ctx));
    const argument = c.u32(NTB_EPF_ARGUMENT);
    c.setU32(NTB_EPF_COMMAND, 0);
    c.setU32(NTB_EPF_ARGUMENT, 0);
    this.stats.commands++;
    let status: number;
    switch (command) {
      case EPF_CMD.CONFIGURE_DOORBELL:
      case EPF_CMD.TEARDOWN_DOORBELL:
        status = COMMAND_STATUS_OK;
        break;
      case EPF_CMD.CONFIGURE_MW:
        status = this.configureMw(argument, ctx) === 0 ? COMMAND_STATUS_OK : COMMAND_STATUS_ERROR;
        break;
      case EPF_CMD.TEARDOWN_MW:
        if (argument < this.outbound.length) {
          ctx.charge(2 * localWriteNs(ctx));
          this.outbound[argument] = null;
        }
        status = COMMAND_STATUS_OK;
        break;
      case EPF_CMD.LINK_UP:
      case EPF_CMD.LINK_DOWN: {
        const up = command === EPF_CMD.LINK_UP;
        const ls = c.u16(NTB_EPF_LINK_STATUS);
        c.setU16(NTB_EPF_LINK_STATUS, up ? ls | LINK_STATUS_UP : ls & ~LINK_STATUS_UP);
        this.dev.linkEvent();
        status = COMMAND_STATUS_OK;
        break;
      }
      default:
        this.stats.unknownCommands++;
        return;
    }
    ctx.charge(localWriteNs(ctx));
    c.setU16(NTB_EPF_CMD_STATUS, status);
  }

  /** epf_ntb_configure_mw: pci_epc_map_addr(vpci_mw_phy[mw], ctrl->addr, ctrl->size). */
  private configureMw(mw: number, ctx: ExecContext): number {
    const plan = this.o.plan.mws[mw];
    if (plan === undefined) return -ERRNO.EINVAL;
    const addr = this.ctrl.u64(NTB_EPF_LOWER_ADDR);
    const size = this.ctrl.u64(NTB_EPF_LOWER_SIZE);
    if (addr % EPC_PAGE_BYTES !== 0 || size === 0 || size > plan.outboundBytes) return -ERRNO.EINVAL;
    ctx.charge(IATU_PROGRAM_WRITES * localWriteNs(ctx) + localReadNs(ctx));
    this.outbound[mw] = { addr, size };
    return 0;
  }

  /**
   * pci_epc_raise_irq(MSI, num): 1-based MSI number; charges the DWC register accesses to `ctx`.
   * The MSI write enters the link at `ctx.time`, or at `notBefore` (ns) when later.
   */
  raiseMsi(num: number, ctx: ExecContext, notBefore = 0): number {
    ctx.charge(4 * localReadNs(ctx));
    const msi = this.o.msi;
    if (!msi.enabled || !Number.isInteger(num) || num < 1 || num > msi.vectors) {
      this.stats.msiErrors++;
      return -ERRNO.EINVAL;
    }
    ctx.charge(localWriteNs(ctx));
    this.stats.msis++;
    this.o.fabric.post({ dir: 'ep-to-rc', kind: 'msi', addr: msi.addr, len: 4, data: leBytes(num - 1, 4), issue: Math.max(ctx.time, notBefore), owned: true });
    return 0;
  }

  private peerDbWorkFn(ctx: ExecContext): void {
    for (let budget = VNTB_PEER_DB_WORK_BUDGET; budget > 0; budget--) {
      let bits = this.peerDbPending;
      // A ring made by a step running on another CPU is seen here at once, but it happened at
      // that step's end: its MSI cannot leave before it (nor pass the frame written before it).
      const rungAt = this.peerDbRungAt;
      this.peerDbPending = 0;
      if (bits === 0) return;
      while (bits !== 0) {
        const low = bits & -bits;
        bits = (bits & (bits - 1)) >>> 0;
        this.raiseMsi(epPerBitMsi(31 - Math.clz32(low)), ctx, rungAt);
      }
    }
    if (this.peerDbPending !== 0) this.wq.queue(this.peerDbWork, ctx);
  }

  private defer(done: NtbDone, rc: number, cost: number): void {
    this.wq.queue(
      new Work('vntb done', (ctx) => {
        ctx.charge(cost);
        done(rc);
      }),
    );
  }

  private mwOk(widx: number): boolean {
    return Number.isInteger(widx) && widx >= 0 && widx < this.o.config.numMws;
  }

  private spadOk(sidx: number): boolean {
    return Number.isInteger(sidx) && sidx >= 0 && sidx < this.o.config.spadCount;
  }

  private spadAt(half: 0 | 1, sidx: number): number {
    return this.ctrl.spadByteOffset(half, sidx);
  }

  private ops(): NtbDevOps {
    const cfg = this.o.config;
    const mode = this.o.mode;
    const valid = epDbValidMask(mode, cfg.dbCount);
    const mem = hostMemory(this.o.host);
    const costOf = (ctx: ExecContext | undefined, ns: (c: ExecContext) => number): void => {
      if (ctx !== undefined) ctx.charge(ns(ctx));
    };
    const base: NtbDevOps = {
      ...portOps(this.o.ports, 'ep'),
      linkIsUp: (): NtbLinkState => {
        if ((this.ctrl.u16(NTB_EPF_LINK_STATUS) & LINK_STATUS_UP) === 0) return { peers: 0, speed: 'none', width: 'none' };
        const p = this.o.host.profile.pcie;
        return { peers: 1, speed: p.gen.value as 1 | 2 | 3 | 4 | 5 | 6, width: p.lanes.value as 1 | 2 | 4 | 8 | 16 };
      },
      linkEnable: (_s, _w, done) => this.defer(done, 0, 0),
      linkDisable: (done) => this.defer(done, 0, 0),
      mwCount: () => cfg.numMws,
      mwGetAlign: (_pidx, widx): NtbMwAlign | number => (this.mwOk(widx) ? { addrAlign: EPC_PAGE_BYTES, sizeAlign: 1, sizeMax: cfg.mwSizes[widx] as number } : -ERRNO.EINVAL),
      mwSetTrans: (t: NtbMwTrans, done) => {
        // Like vntb_epf_mw_set_trans, no check against the configfs size: the transport asks
        // for the peer's window size (the host sees a whole power-of-two BAR slice), and the
        // BAR-match inbound iATU translates the whole BAR whatever size is recorded.
        if (!this.mwOk(t.widx) || t.addr % EPC_PAGE_BYTES !== 0 || !(t.size > 0)) {
          this.defer(done, -ERRNO.EINVAL, 0);
          return;
        }
        this.wq.queue(
          new Work('vntb_epf_mw_set_trans', (ctx) => {
            ctx.charge(IATU_PROGRAM_WRITES * localWriteNs(ctx) + localReadNs(ctx));
            this.inbound[t.widx] = { addr: t.addr, size: t.size };
            done(0);
          }),
        );
      },
      mwClearTrans: (_pidx, _widx, done) => this.defer(done, 0, 0),
      peerMwCount: () => cfg.numMws,
      peerMwGetAddr: (widx) => (this.mwOk(widx) ? { base: (this.o.plan.mws[widx] as MwPlan).outbound, size: cfg.mwSizes[widx] as number } : -ERRNO.EINVAL),
      dbValidMask: () => valid,
      dbRead: () => this.db,
      dbClear: (bits) => {
        this.db = (this.db & ~bits) >>> 0;
        return 0;
      },
      dbSetMask: () => 0,
      dbClearMask: () => 0,
      peerDbSet: (bits, ctx) => {
        if (mode === 'legacy') return this.raiseMsi(epLegacyMsi(bits), ctx);
        const b = (bits & valid) >>> 0;
        ctx.charge(localWriteNs(ctx));
        if (b === 0) return 0;
        this.peerDbPending = (this.peerDbPending | b) >>> 0;
        this.peerDbRungAt = Math.max(this.peerDbRungAt, ctx.time);
        this.wq.queue(this.peerDbWork, ctx);
        return 0;
      },
      spadCount: () => cfg.spadCount,
      spadRead: (sidx, ctx) => {
        if (!this.spadOk(sidx)) return 0;
        costOf(ctx, localReadNs);
        return this.ctrl.u32(this.spadAt(1, sidx));
      },
      spadWrite: (sidx, value, ctx) => {
        if (!this.spadOk(sidx)) return -ERRNO.EINVAL;
        costOf(ctx, localWriteNs);
        this.ctrl.setU32(this.spadAt(1, sidx), value);
        return 0;
      },
      peerSpadRead: (_pidx, sidx, ctx) => {
        if (!this.spadOk(sidx)) return 0;
        costOf(ctx, localReadNs);
        return this.ctrl.u32(this.spadAt(0, sidx));
      },
      peerSpadWrite: (_pidx, sidx, value, ctx) => {
        if (!this.spadOk(sidx)) return -ERRNO.EINVAL;
        costOf(ctx, localWriteNs);
        this.ctrl.setU32(this.spadAt(0, sidx), value);
        return 0;
      },
      allocCoherent: (size, align): DmaBuffer | null => mem.alloc(size, Math.max(align, EPC_PAGE_BYTES), `${this.o.name} coherent`),
      freeCoherent: (buf) => void mem.free(buf),
      peerMwIoremap: (widx): IoWindow | null => {
        if (!this.mwOk(widx)) return null;
        const size = cfg.mwSizes[widx] as number;
        return new WcWindow({ fabric: this.o.fabric, dir: 'ep-to-rc', size, wc: this.o.wc, name: `${this.o.name} mw${widx}`, translate: (off, len) => this.translateOutbound(widx, off, len) });
      },
      requestDmaChannel: (): DmaChannel | null => hostDmaEngine(this.o.host).request(),
    };
    if (mode === 'legacy') return base;
    const count = epDbVectorCount(cfg.dbCount);
    return {
      ...base,
      dbVectorCount: () => count,
      dbVectorMask: (v) => (Number.isInteger(v) && v >= 0 && v < count ? (1 << v) >>> 0 : 0),
    };
  }
}

