/**
 * The `include/linux/ntb.h` contract. A hardware driver implements `NtbDevOps`; a client
 * (ntb_transport, ntb_tool, …) uses an `NtbDev` and registers `NtbCtxOps` for events.
 * Doorbell masks are 32-bit numbers here (the kernel's are u64; no modelled hardware has
 * more than 32 doorbells). Operations that return an int return 0 or a negative errno
 * (`-ERRNO.EINVAL`), as in the kernel.
 *
 * Two things ntb.h leaves to the platform are part of the contract here, because a model
 * has no real memory bus: the local DMA-coherent buffers a client allocates for its inbound
 * windows (`dma_alloc_coherent` on the NTB device), and the write-combined mapping of a peer
 * window (`ioremap_wc` of `peer_mw_get_addr`). Both charge their CPU costs to the context
 * that uses them and move bytes at the virtual time the hardware model says.
 */
import type { ExecContext, Host } from '@ntbsim/kernel';

/** NTB topology (enum ntb_topo). */
export type NtbTopo = 'none' | 'pri' | 'sec' | 'b2b-usd' | 'b2b-dsd' | 'switch' | 'crosslink';

/** Link speed (enum ntb_speed): 'auto', 'none' or a PCIe generation. */
export type NtbSpeed = 'auto' | 'none' | 1 | 2 | 3 | 4 | 5 | 6;

/** Link width (enum ntb_width): 'auto', 'none' or a lane count. */
export type NtbWidth = 'auto' | 'none' | 1 | 2 | 4 | 8 | 16 | 32;

/** Result of `link_is_up`: the bitmask of peers whose link is up, and the trained link. */
export interface NtbLinkState {
  /** Bit i set when peer index i is up (0 when down). */
  readonly peers: number;
  /** Trained speed, or 'none' when down. */
  readonly speed: NtbSpeed;
  /** Trained width, or 'none' when down. */
  readonly width: NtbWidth;
}

/** Inbound memory window constraints (ntb_mw_get_align), bytes. */
export interface NtbMwAlign {
  /** Required alignment of the translated DMA address (bytes). */
  readonly addrAlign: number;
  /** Required alignment of the size (bytes). */
  readonly sizeAlign: number;
  /** Largest size the window can translate (bytes). */
  readonly sizeMax: number;
}

/** An inbound window translation request (ntb_mw_set_trans arguments). */
export interface NtbMwTrans {
  /** Peer index. */
  readonly pidx: number;
  /** Window index. */
  readonly widx: number;
  /** DMA address of the local buffer the peer's writes land in. */
  readonly addr: number;
  /** Size of the translation (bytes). */
  readonly size: number;
}

/** Completion of an operation that may sleep: 0 or a negative errno, called in process context. */
export type NtbDone = (rc: number) => void;

/**
 * Local DMA-coherent memory (dma_alloc_coherent on the NTB device). `bytes` is the memory
 * itself: peer writes through the fabric land in it; the owner reads it with plain loads
 * (the CPU cost of bulk reads is the owner's to charge, at the profile's coherent-read rate).
 */
export interface DmaBuffer {
  /** Bus address the device (and the peer, through a window) writes to. */
  readonly dmaAddr: number;
  /** Size (bytes). */
  readonly size: number;
  /** The memory. */
  readonly bytes: Uint8Array;
  /** A DataView over `bytes` for little-endian header access. */
  readonly view: DataView;
}

/**
 * A write-combined mapping of a peer memory window (`ioremap_wc(peer_mw_get_addr(widx))`).
 * Writes are posted: they are issued at `ctx.time` after their CPU cost is charged, travel the
 * fabric, and land in the peer's buffer later. Writes may sit in a write-combining buffer and
 * become visible after a later write on another path (a doorbell) unless `flush` is called.
 */
export interface IoWindow {
  /** Size of the window (bytes). */
  readonly size: number;
  /** memcpy_toio: copy a `len`-byte block to `offset`: its first `data.length` (≤ len) bytes are `data`, the rest elided (timing mode); charges the WC copy cost of all `len`. */
  memcpyToio(ctx: ExecContext, offset: number, data: Uint8Array | null, len: number): void;
  /** iowrite32: posted little-endian 32-bit write; charges the MMIO write cost. */
  iowrite32(ctx: ExecContext, offset: number, value: number): void;
  /** ioread32: non-posted read; charges the round trip, which completes after earlier posted writes on this path have landed. */
  ioread32(ctx: ExecContext, offset: number): number;
  /** dma_mb()/wmb(): drain the write-combining buffer into the fabric (ordering only, no wait). */
  barrier(ctx: ExecContext): void;
}

/**
 * A DMA transaction's cookie (dma_cookie_t): what submitting a descriptor returns, > 0 and
 * increasing per channel (dma_cookie_assign hands out 2, 3, …); 0 when no descriptor could be
 * prepared (the caller falls back to the CPU copy).
 */
export type DmaCookie = number;

/** A dmaengine DMA_MEMCPY channel obtained for the NTB device (dma_request_channel). */
export interface DmaChannel {
  /** Channel name (e.g. `dma0chan3`). */
  readonly name: string;
  /**
   * Prepare and submit a copy of `len` bytes (the first `data.length` given, the rest elided) into a peer window at `offset` (device_prep_dma_memcpy +
   * dmaengine_submit). Charges the CPU setup cost; `done(ok, ctx)` runs in the completion context.
   * Returns the transaction's cookie, or 0 when the descriptor cannot be prepared.
   */
  copyToPeer(ctx: ExecContext, req: { readonly dst: IoWindow; readonly offset: number; readonly data: Uint8Array | null; readonly len: number }, done: (ok: boolean, ctx: ExecContext) => void): DmaCookie;
  /** Prepare and submit a `len`-byte copy out of a local buffer; `dst` (null, or shorter than `len`) gets the first bytes; like `copyToPeer`. */
  copyFromLocal(ctx: ExecContext, req: { readonly src: DmaBuffer; readonly offset: number; readonly dst: Uint8Array | null; readonly len: number }, done: (ok: boolean, ctx: ExecContext) => void): DmaCookie;
  /**
   * dma_sync_wait: `done()` runs once transaction `cookie` of this channel has completed and
   * its callback has run; at once (synchronously) when it counts as complete already, which, as
   * dma_async_is_complete judges it, is also the case for a cookie this channel has not handed
   * out (0, or another channel's). The kernel spins the calling CPU meanwhile; a model waits
   * without charging it. A channel whose descriptors can hang ends the wait after 5 s, as
   * dma_sync_wait does.
   */
  syncWait(cookie: DmaCookie, done: () => void): void;
  /** Drop every descriptor not yet completed; none of them calls back (dmaengine_terminate_sync). */
  terminate(): void;
  /** Release the channel (dma_release_channel). */
  release(): void;
}

/**
 * The device operations a hardware driver implements (struct ntb_dev_ops). Optional members
 * are optional in the kernel too; `NtbDev` supplies the kernel's fallbacks.
 */
export interface NtbDevOps {
  /** Local port number (port_number). The four port ops are all present or all absent; absent, `NtbDev.portNumber` gives the kernel's default. */
  portNumber?(): number;
  /** Number of peers (peer_port_count); absent: 1, `NtbDev.peerPortCount`. */
  peerPortCount?(): number;
  /** Port number of peer `pidx`, or -EINVAL (peer_port_number); absent: `NtbDev.peerPortNumber`. */
  peerPortNumber?(pidx: number): number;
  /** Peer index of a port, or -EINVAL (peer_port_idx); absent: `NtbDev.peerPortIdx`. */
  peerPortIdx?(port: number): number;

  /** Link state (ntb_link_is_up). */
  linkIsUp(): NtbLinkState;
  /** Enable the link (ntb_link_enable); may sleep. */
  linkEnable(speed: NtbSpeed, width: NtbWidth, done: NtbDone): void;
  /** Disable the link (ntb_link_disable); may sleep. */
  linkDisable(done: NtbDone): void;

  /** Inbound windows for peer `pidx` (ntb_mw_count). */
  mwCount(pidx: number): number;
  /** Inbound window constraints, or a negative errno (ntb_mw_get_align). */
  mwGetAlign(pidx: number, widx: number): NtbMwAlign | number;
  /** Translate inbound window `widx` to a local DMA address (ntb_mw_set_trans); may sleep. A device implements this, `peerMwSetTrans`, or both. */
  mwSetTrans?(trans: NtbMwTrans, done: NtbDone): void;
  /** Remove the translation (ntb_mw_clear_trans); may sleep. Absent: `NtbDev.mwClearTrans` sets a zero translation, as the kernel's wrapper does. */
  mwClearTrans?(pidx: number, widx: number, done: NtbDone): void;
  /** Outbound (peer) windows (ntb_peer_mw_count). */
  peerMwCount(): number;
  /** Physical base and size of outbound window `widx`, or a negative errno (ntb_peer_mw_get_addr). */
  peerMwGetAddr(widx: number): { readonly base: number; readonly size: number } | number;
  /** Translate outbound window `widx` to the peer's DMA address (ntb_peer_mw_set_trans: outbound-MW based devices such as IDT); may sleep. */
  peerMwSetTrans?(trans: NtbMwTrans, done: NtbDone): void;
  /** Remove an outbound translation (ntb_peer_mw_clear_trans); may sleep. */
  peerMwClearTrans?(pidx: number, widx: number, done: NtbDone): void;

  /** Whether doorbell access is unsafe (ntb_db_is_unsafe). */
  dbIsUnsafe?(): boolean;
  /** Valid doorbell bits (ntb_db_valid_mask). */
  dbValidMask(): number;
  /** Number of doorbell vectors (ntb_db_vector_count). */
  dbVectorCount?(): number;
  /** Doorbell bits served by `vector` (ntb_db_vector_mask). */
  dbVectorMask?(vector: number): number;
  /** Pending doorbell bits (ntb_db_read). */
  dbRead(): number;
  /** Set local doorbell bits, as if the peer rang them; 0 or -errno (ntb_db_set). */
  dbSet?(bits: number): number;
  /** Clear doorbell bits; 0 or -errno (ntb_db_clear). */
  dbClear(bits: number): number;
  /** Doorbell mask (ntb_db_read_mask). */
  dbReadMask?(): number;
  /** Mask doorbell bits; 0 or -errno (ntb_db_set_mask). */
  dbSetMask(bits: number): number;
  /** Unmask doorbell bits; 0 or -errno (ntb_db_clear_mask). */
  dbClearMask(bits: number): number;
  /** Ring the peer's doorbell bits; charges the MMIO cost to `ctx`; 0 or -errno (ntb_peer_db_set). */
  peerDbSet(bits: number, ctx: ExecContext): number;
  /** Bus address and size of the peer doorbell register (ntb_peer_db_addr, for a DMA engine to ring it), or a negative errno. */
  peerDbAddr?(): { readonly addr: number; readonly size: number } | number;
  /** The peer's pending doorbell bits (ntb_peer_db_read). */
  peerDbRead?(): number;
  /** Clear the peer's doorbell bits; 0 or -errno (ntb_peer_db_clear). */
  peerDbClear?(bits: number): number;
  /** The peer's doorbell mask (ntb_peer_db_read_mask). */
  peerDbReadMask?(): number;
  /** Mask the peer's doorbell bits; 0 or -errno (ntb_peer_db_set_mask). */
  peerDbSetMask?(bits: number): number;
  /** Unmask the peer's doorbell bits; 0 or -errno (ntb_peer_db_clear_mask). */
  peerDbClearMask?(bits: number): number;

  /** Whether scratchpad access is unsafe (ntb_spad_is_unsafe). */
  spadIsUnsafe?(): boolean;
  /** Scratchpads per side (spad_count). The scratchpad interface is optional: `spadCount`, `spadRead`, `spadWrite` and `peerSpadWrite` are all present or all absent. */
  spadCount?(): number;
  /** Read local scratchpad `sidx` (spad_read); charges any bus round trip to `ctx` when given. */
  spadRead?(sidx: number, ctx?: ExecContext): number;
  /** Write local scratchpad `sidx`; 0 or -errno (spad_write). */
  spadWrite?(sidx: number, value: number, ctx?: ExecContext): number;
  /** Read peer `pidx`'s scratchpad `sidx` (peer_spad_read); optional even with the scratchpad interface. */
  peerSpadRead?(pidx: number, sidx: number, ctx?: ExecContext): number;
  /** Write peer `pidx`'s scratchpad `sidx`; 0 or -errno (peer_spad_write). */
  peerSpadWrite?(pidx: number, sidx: number, value: number, ctx?: ExecContext): number;
  /** Bus address of peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_addr), or a negative errno. */
  peerSpadAddr?(pidx: number, sidx: number): number;

  /** Message registers (ntb_msg_count); absent when not implemented. */
  msgCount?(): number;
  /** Read message register `midx`: value and source peer (ntb_msg_read). */
  msgRead?(midx: number): { readonly pidx: number; readonly msg: number };
  /** Write peer message register (ntb_peer_msg_write); 0 or -errno. */
  peerMsgWrite?(pidx: number, midx: number, msg: number): number;
  /** Status bits of inbound messages (ntb_msg_inbits). */
  msgInbits?(): number;
  /** Status bits of outbound messages (ntb_msg_outbits). */
  msgOutbits?(): number;
  /** Message status (ntb_msg_read_sts). */
  msgReadSts?(): number;
  /** Clear message status bits; 0 or -errno (ntb_msg_clear_sts). */
  msgClearSts?(bits: number): number;
  /** Mask message events; 0 or -errno (ntb_msg_set_mask). */
  msgSetMask?(bits: number): number;
  /** Unmask message events; 0 or -errno (ntb_msg_clear_mask). */
  msgClearMask?(bits: number): number;

  /** Allocate local DMA-coherent memory aligned to `align` bytes (dma_alloc_coherent on the NTB device's DMA device). */
  allocCoherent(size: number, align: number): DmaBuffer | null;
  /** Free memory from `allocCoherent` (dma_free_coherent). */
  freeCoherent(buf: DmaBuffer): void;
  /** Map outbound window `widx` write-combined (ioremap_wc of ntb_peer_mw_get_addr); null if it does not exist. */
  peerMwIoremap(widx: number): IoWindow | null;
  /** Request a DMA_MEMCPY channel usable with this device (dma_request_channel), or null when none is free. */
  requestDmaChannel?(): DmaChannel | null;
}

/** Event callbacks a client registers on a device (struct ntb_ctx_ops). */
export interface NtbCtxOps {
  /** The link changed (link_event). Called in process context. */
  linkEvent?(): void;
  /** Doorbell `vector` fired (db_event); called from the ISR in hardirq context `ctx`. */
  dbEvent?(vector: number, ctx: ExecContext): void;
  /** A message arrived (msg_event). */
  msgEvent?(): void;
}

/** A client driver of the NTB bus (struct ntb_client). */
export interface NtbClient {
  /** Driver name. */
  readonly name: string;
  /** Bind to a device; 0 or a negative errno (ntb_client_ops.probe). */
  probe(ntb: NtbDevice): number;
  /** Unbind from a device (ntb_client_ops.remove). */
  remove(ntb: NtbDevice): void;
}

/** What a client sees of a device: struct ntb_dev with the ntb.h inline helpers. */
export interface NtbDevice {
  /** Device name (`pci_name`, e.g. `0000:01:00.0`). */
  readonly name: string;
  /** The PCI driver bound to the device (`dev_driver_string`): with `name`, the prefix of the dev_info lines of its clients. */
  readonly driverName: string;
  /** The host (kernel) the device belongs to. */
  readonly host: Host;
  /** Topology. */
  readonly topo: NtbTopo;
  /** The hardware operations. */
  readonly ops: NtbDevOps;
  /** Local port number (ntb_port_number): the driver's op, or the default of `topo` (0 on 'pri' / 'b2b-usd', 1 on 'sec' / 'b2b-dsd', 0 on others, as core.c returns since its fix for drivers without port ops). */
  portNumber(): number;
  /** Number of peers (ntb_peer_port_count): the driver's op, or 1. */
  peerPortCount(): number;
  /** Port number of peer `pidx` (ntb_peer_port_number): the driver's op, or for `pidx` 0 the other side's default port (1 / 0 on the paired topologies, 0 on others; -EINVAL for another `pidx`). */
  peerPortNumber(pidx: number): number;
  /** Peer index of `port` (ntb_peer_port_idx): the driver's op, or 0 for the default peer port and -EINVAL for any other. */
  peerPortIdx(port: number): number;
  /** Whether scratchpad access is unsafe (ntb_spad_is_unsafe): the driver's op, or false. */
  spadIsUnsafe(): boolean;
  /** Scratchpads per side (ntb_spad_count): the driver's op, or 0. */
  spadCount(): number;
  /** Read local scratchpad `sidx` (ntb_spad_read): the driver's op, or 0xffffffff. */
  spadRead(sidx: number, ctx?: ExecContext): number;
  /** Write local scratchpad `sidx` (ntb_spad_write): the driver's op, or -EINVAL. */
  spadWrite(sidx: number, value: number, ctx?: ExecContext): number;
  /** Bus address of peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_addr): the driver's op, or -EINVAL. */
  peerSpadAddr(pidx: number, sidx: number): number;
  /** Read peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_read): the driver's op, or 0xffffffff. */
  peerSpadRead(pidx: number, sidx: number, ctx?: ExecContext): number;
  /** Write peer `pidx`'s scratchpad `sidx` (ntb_peer_spad_write): the driver's op, or -EINVAL. */
  peerSpadWrite(pidx: number, sidx: number, value: number, ctx?: ExecContext): number;
  /** Translate inbound window `trans.widx` (ntb_mw_set_trans): the driver's op; 0 at once when it has none. */
  mwSetTrans(trans: NtbMwTrans, done: NtbDone): void;
  /** Remove inbound translation `widx` (ntb_mw_clear_trans): the driver's op, or a zero translation when it has none. */
  mwClearTrans(pidx: number, widx: number, done: NtbDone): void;
  /** dev_info on the device: `text` into the host's kernel log after `<driverName> <name>: `; returns the stamped line. */
  devInfo(text: string): string;
  /** Doorbell vectors, falling back to 1 (ntb_db_vector_count). */
  dbVectorCount(): number;
  /** Bits of `vector`, falling back to `dbValidMask` (ntb_db_vector_mask). */
  dbVectorMask(vector: number): number;
  /** Register the client's context ops; -EINVAL if one is already set (ntb_set_ctx). */
  setCtx(ctxOps: NtbCtxOps): number;
  /** Remove the client's context ops (ntb_clear_ctx). */
  clearCtx(): void;
  /** Tell the client the link changed (ntb_link_event). */
  linkEvent(): void;
  /** Tell the client doorbell `vector` fired (ntb_db_event). */
  dbEvent(vector: number, ctx: ExecContext): void;
  /** Tell the client a message arrived (ntb_msg_event). */
  msgEvent(): void;
}

/** Options of `createNtbDev`. */
export interface NtbDevOptions {
  /** Device name (pci_name). */
  readonly name: string;
  /** The PCI driver bound to the device (`dev_driver_string`, e.g. `ntb_hw_epf`), the prefix of its dev_info lines. Default 'ntb'. */
  readonly driverName?: string;
  /** The host the device belongs to. */
  readonly host: Host;
  /** Topology. Default 'none'. */
  readonly topo?: NtbTopo;
  /** The hardware operations. */
  readonly ops: NtbDevOps;
}
