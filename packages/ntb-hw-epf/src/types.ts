/**
 * Contracts of the PCI-endpoint NTB hardware model: the pair factory's options and result,
 * the fabric and DMA views it hands out, and the fault hooks. The NTB devices themselves are
 * ntb-core `NtbDev`s; nothing above ntb-core needs to import this package's types.
 */
import type { Host, IrqVector, Ns } from '@ntbsim/kernel';
import type { DmaChannel, NtbBus, NtbDev } from '@ntbsim/ntb-core';
import type { DwMsiController, DwMsiMode } from './msi.js';
import type { EpfPortMode } from './ports.js';

/** How a side reports doorbells: mainline (`legacy`) or the 2026 per-doorbell-bit series (`per-bit`). */
export type DoorbellMode = 'legacy' | 'per-bit';

/** The two boards of a pair. */
export type EpfSide = 'rc' | 'ep';

/** A direction of the PCIe link. */
export type FabricDirection = 'rc-to-ep' | 'ep-to-rc';

/** What a TLP carries: uncached register write, WC data, doorbell, MSI or DMA data. */
export type TlpKind = 'mmio' | 'wc' | 'doorbell' | 'msi' | 'dma';

/** A posted write reached its receiver. */
export interface LandEvent {
  /** Direction it travelled. */
  readonly dir: FabricDirection;
  /** What it was. */
  readonly kind: TlpKind;
  /** Bus address on the wire. */
  readonly addr: number;
  /** Payload bytes. */
  readonly len: number;
  /** Issue time (ns). */
  readonly issue: Ns;
  /** Landing time (ns), the current virtual time. */
  readonly arrival: Ns;
  /** False when no target decoded the address (the write was discarded). */
  readonly mapped: boolean;
}

/** Counters of one link direction. */
export interface LinkStats {
  /** Posted writes that entered the link. */
  tlps: number;
  /** Payload bytes that entered the link. */
  bytes: number;
  /** Writes that landed in a target. */
  landed: number;
  /** Writes that decoded to no target (discarded at the receiver). */
  unmapped: number;
  /** Writes lost because the link was down. */
  droppedLinkDown: number;
  /** Writes dropped by fault injection. */
  droppedFault: number;
  /** Non-posted reads. */
  reads: number;
  /** Total time reads waited behind earlier posted writes (ns). */
  readWaitNs: Ns;
  /** CPU time (ns) CPUs stalled on posted-write flow control while copying into windows on this direction. */
  cpuStallNs: Ns;
}

/** What the pair exposes of its PCIe link. */
export interface PcieFabric {
  /** Payload rate per direction (B/s): `pcieBytesPerSec` of the slower host profile. */
  readonly bytesPerSec: number;
  /** One-way TLP latency (ns): the larger `pcie.latencyNs` of the two profiles. */
  readonly latencyNs: Ns;
  /** Completion timeout of a read on a dead link (ns). */
  readonly completionTimeoutNs: Ns;
  /** False while a hardware link loss is injected. */
  readonly linkUp: boolean;
  /** Link occupancy of a `len`-byte posted write (ns). */
  serializationNs(len: number): Ns;
  /** Counters of `dir` (live). */
  stats(dir: FabricDirection): Readonly<LinkStats>;
  /** Writes issued on `dir` and not yet landed. */
  inFlight(dir: FabricDirection): number;
  /** Time `dir` finishes serialising what it holds (ns). */
  busyUntil(dir: FabricDirection): Ns;
  /** Observe every landing write; returns the function that stops observing. */
  onLand(listener: (ev: LandEvent) => void): () => void;
}

/** Counters of a DMA engine. */
export interface DmaStats {
  /** Descriptors submitted. */
  submitted: number;
  /** Descriptors whose callback ran with ok = true. */
  completed: number;
  /** Descriptors whose callback ran with ok = false. */
  failed: number;
  /** Descriptors dropped by `terminate` before their callback ran (queued, running, or ended with the callback pending); submitted − completed − failed − terminated are in flight. */
  terminated: number;
  /** Bytes copied successfully. */
  bytes: number;
  /** Time the channels spent transferring, summed over channels (ns; counted when a transfer starts). */
  busyNs: number;
}

/** The DW eDMA-like engine of one host. */
export interface EpfDmaEngine {
  /** Its completion interrupt (`dw-edma` in /proc/interrupts). */
  readonly irq: IrqVector;
  /** Counters (live). */
  readonly stats: Readonly<DmaStats>;
  /** Channels (profile `dma.channels`). */
  readonly channelCount: number;
  /** Channels not held by a client. */
  readonly freeChannels: number;
  /** Each channel's transfer time so far (ns), by channel index. */
  channelBusyNs(): number[];
  /** A free DMA_MEMCPY channel (dma_request_channel), or null. */
  request(): DmaChannel | null;
}

/** Progress of the host driver's probe (ntb_epf_pci_probe). */
export interface EpfProbeState {
  /** `pending` until CONFIGURE_DOORBELL completed, then `done` (device registered) or `failed`. */
  readonly state: 'pending' | 'done' | 'failed';
  /** 0, or the negative errno of a failed probe; null while pending. */
  readonly rc: number | null;
  /** Virtual time the probe finished (ns), or null. */
  readonly at: Ns | null;
}

/** vNTB configfs values (pci_epf_vntb attributes) and the board's BAR sizing. */
export interface VntbOptions {
  /** `num_mws` (1..4). Default: `mwSizes.length`, else 1 (howto). */
  readonly numMws?: number;
  /** `mw1..mw4` sizes (bytes). Default: 1 MiB each (howto `mw1 0x100000`, R-Car test configs). */
  readonly mwSizes?: readonly number[];
  /** `mw1_offset..mw4_offset` inside BAR2 (bytes, 4 KiB aligned, MW1 at 0). Default: packed in order, 4 KiB aligned (RFC `mw2_offset`). */
  readonly mwOffsets?: readonly number[];
  /** `db_count` (1..32; ≥ 3 with a per-bit EP). Default 16 (R-Car test configs). */
  readonly dbCount?: number;
  /** `spad_count`. Default 128 (howto, R-Car test configs). */
  readonly spadCount?: number;
  /** MSI vectors offered to the host (`pci_epc_set_msi`; a power of two in 4..EP profile `pcie.msiVectors`). Default: the EP profile's `pcie.msiVectors` (16 on R-Car S4: vNTB asks for 16, MSI only). */
  readonly msiVectors?: number;
  /** `vbus_number` of the virtual PCI bus (names the EP device). Default 0x10 (R-Car test configs). */
  readonly vbusNumber?: number;
  /** Interrupt-driven host→EP doorbells (2026 vNTB `msi_doorbell`, e.g. the eDMA interrupt-emulation doorbell): no polling, command handler every 500 ms. Default false: R-Car S4 cannot map GITS_TRANSLATER, so doorbells are polled every `msecs_to_jiffies(5)` (8 ms at HZ 250). */
  readonly doorbellIrq?: boolean;
  /** BAR2 size (bytes, power of two ≥ 1 MiB). Default: the smallest Resizable BAR size holding every MW. */
  readonly bar2Size?: number;
  /** Largest usable BAR2 (bytes). Default 2 MiB ("~2 MiB practical ceiling" on Spider). */
  readonly bar2CeilingBytes?: number;
}

/** Options of `createEpfPair`. */
export interface EpfPairOptions {
  /** The PCIe root-complex host (runs ntb_hw_epf). */
  readonly rc: Host;
  /** The endpoint host (runs pci-epf-vntb). Must share the RC's simulation. */
  readonly ep: Host;
  /** vNTB configuration. */
  readonly vntb?: VntbOptions;
  /** Doorbell code state per board. Default `legacy` on both (mainline; `per-bit` is the 2026 pci/next series). */
  readonly doorbell?: { readonly rc?: DoorbellMode; readonly ep?: DoorbellMode };
  /** Port numbering (ports.ts). Default `same` (mainline: both devices port 0, peer port 0). */
  readonly ports?: EpfPortMode;
  /** NTB buses to register the devices on. Default: a new bus per host. */
  readonly buses?: { readonly rc: NtbBus; readonly ep: NtbBus };
  /** WC linger of both hosts' write-combining buffers (ns). Default 0 (writes leave at once). */
  readonly wcLingerNs?: Ns;
  /** Completion timeout of a read on a dead link (ns). Default 50 µs (PCIe default range 50 µs-50 ms; estimate). */
  readonly completionTimeoutNs?: Ns;
  /** Posted writes a CPU can queue ahead of the link before its stores stall (bytes). Default 8 KiB (estimate: the controller's outbound posted queue plus the partner's posted data credits). */
  readonly postedBufferBytes?: number;
  /** Device names (pci_name). Default: rc `0000:01:00.0`, ep `0000:<vbus>:00.0`. */
  readonly names?: { readonly rc?: string; readonly ep?: string };
  /** How the RC's DWC MSI controller hands the EP's vectors to CPUs (msi.ts). Default `redirect` (Linux 7.0); `chained` for earlier kernels; `direct` as an ITS or APIC delivers. */
  readonly msi?: DwMsiMode;
}

/** Options of a hardware link loss. */
export interface EpfLinkDownOptions {
  /** Both devices get link events (a surprise-down notification); false: nobody notices, as mainline. Default true. */
  readonly notify?: boolean;
}

/**
 * Fault hooks (issue #8). Each call changes only what it names; none touches the other state.
 */
export interface EpfFaults {
  /**
   * Hardware link loss: TLPs in flight and later are lost, reads time out with all-ones. With
   * `notify` (default true) both devices see a link-down event, as a surprise-down / PERST
   * handler would give them; with `notify: false` neither does, as in mainline (ntb_hw_epf has
   * no link-change path, vNTB changes link_status only on LINK_UP/LINK_DOWN commands, and the
   * host's `link_is_up` reads bit 0 of the all-ones LINK_STATUS as up). No-op if already down.
   */
  linkDown(options?: EpfLinkDownOptions): void;
  /** The hardware link's state: up ('none'), or lost with link events to both devices ('notified') or without ('silent'). */
  linkLoss(): 'none' | 'notified' | 'silent';
  /** Link recovery: TLPs flow again; after a notified loss the EP's link_status is restored and both devices see a link event. */
  linkUp(): void;
  /** WC linger of `side`'s write-combining buffers (ns); 0 turns it off. */
  setWcLinger(ns: Ns, side?: EpfSide | 'both'): void;
  /** Lose the next `n` host→EP doorbell writes on the wire. */
  dropDoorbells(n: number): void;
  /** Lose the next `n` EP→host MSIs on the wire. */
  dropMsis(n: number): void;
  /** Spurious doorbell: `to: 'ep'` writes DB slot `slot` as if the host had rung it; `to: 'rc'` raises host MSI vector `vector`. */
  spuriousDoorbell(target: { readonly to: 'ep'; readonly slot: number } | { readonly to: 'rc'; readonly vector: number }): void;
  /** Make the next `count` (default 1) DMA descriptors of `side` fail, on `channel` or any channel. */
  dmaError(side: EpfSide, options?: { readonly count?: number; readonly channel?: number }): void;
  /** Stop (true) or restart (false) the EP's command handler work (EP kernel stalled): host commands then time out. */
  stallEpHandler(stalled: boolean): void;
}

/** One RC + EP pair built by `createEpfPair`. */
export interface EpfPair {
  /** The host-side NTB device (ntb_hw_epf); registered on `buses.rc` when its probe completes. */
  readonly rc: NtbDev;
  /** The EP-side NTB device (pci-epf-vntb's virtual NTB); registered on `buses.ep` at creation. */
  readonly ep: NtbDev;
  /** The buses the devices register on. */
  readonly buses: { readonly rc: NtbBus; readonly ep: NtbBus };
  /** The PCIe link. */
  readonly fabric: PcieFabric;
  /** The DMA engines of both hosts. */
  readonly dma: { readonly rc: EpfDmaEngine; readonly ep: EpfDmaEngine };
  /** Fault hooks. */
  readonly faults: EpfFaults;
  /** The resolved vNTB configuration and address plan. */
  readonly config: EpfPairConfig;
  /** The host's MSI vectors, index = vector number (empty until the probe requested them). */
  rcIrqs(): readonly IrqVector[];
  /** The RC's DWC MSI controller: its mode, its chained `msi` SPI, its redirections. */
  readonly msiController: DwMsiController;
  /** The EP's doorbell interrupts, index = DB slot (empty unless `vntb.doorbellIrq`). */
  epIrqs(): readonly IrqVector[];
  /** The host driver's probe progress. */
  probe(): EpfProbeState;
  /** Run `cb` once the host probe has finished (at once if it has). */
  whenProbed(cb: (state: EpfProbeState) => void): void;
  /** Live counters of the host driver and of the endpoint function. */
  stats(): { readonly rc: Readonly<EpfHostStats>; readonly ep: Readonly<EpfEndpointStats> };
  /** The EP's ctrl + scratchpad memory (struct epf_ntb_ctrl at offset 0), for inspection. */
  readonly ctrlBytes: Uint8Array;
  /** The EP's doorbell BAR memory (epf_db[]), for inspection. */
  readonly dbBytes: Uint8Array;
}

/** The checked configuration of a pair. */
export interface EpfPairConfig {
  /** Doorbell modes. */
  readonly doorbell: { readonly rc: DoorbellMode; readonly ep: DoorbellMode };
  /** Port numbering. */
  readonly ports: EpfPortMode;
  /** num_mws. */
  readonly numMws: number;
  /** MW sizes (EP configfs, bytes). */
  readonly mwSizes: readonly number[];
  /** MW offsets in BAR2 (bytes). */
  readonly mwOffsets: readonly number[];
  /** db_count (EP configfs). */
  readonly dbCount: number;
  /** spad_count. */
  readonly spadCount: number;
  /** MSI vectors offered to the host. */
  readonly msiVectors: number;
  /** Interrupt-driven host→EP doorbells. */
  readonly doorbellIrq: boolean;
  /** Bus numbers: BAR bases and sizes as assigned by the RC. */
  readonly bars: { readonly [bar in 'bar0' | 'bar2' | 'bar4']: { readonly base: number; readonly size: number } };
  /** Host-visible MW sizes (bytes). */
  readonly hostMwSizes: readonly number[];
  /** EP outbound window addresses of the MWs (`vpci_mw_phy`). */
  readonly epOutbound: readonly number[];
}

/** Counters of the host driver (ntb_hw_epf). */
export interface EpfHostStats {
  /** Commands sent. */
  commands: number;
  /** CMD_STATUS polls. */
  polls: number;
  /** Commands that timed out. */
  timeouts: number;
  /** Return code of the last command (mw_set_trans / mw_clear_trans ignore it). */
  lastCommandRc: number;
  /** ISR calls that only warned (reserved or out-of-range vector, per-bit mode). */
  isrWarnings: number;
}

/** Counters of the endpoint function (pci-epf-vntb). */
export interface EpfEndpointStats {
  /** Command-handler runs. */
  handlerRuns: number;
  /** Commands executed. */
  commands: number;
  /** Unknown command codes seen. */
  unknownCommands: number;
  /** Doorbell slots found set by the poll. */
  doorbells: number;
  /** MSIs raised. */
  msis: number;
  /** MSIs that failed (-EINVAL: vector out of range or MSI disabled). */
  msiErrors: number;
}
