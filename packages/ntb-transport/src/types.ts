/**
 * Contracts of ntb_transport (include/linux/ntb_transport.h) as the model exposes them.
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NtbTransport, TransportBus } from './transport.js';

/**
 * Module parameters of ntb_transport (all 0644 in the kernel), plus the model's switches.
 * Kernel defaults: transport_mtu 0x10000, max_mw_size 0, max_num_clients 0, copy_bytes 1024,
 * use_dma N, use_msi N, tx_memcpy_offload N.
 */
export interface TransportParams {
  /** `transport_mtu`: frame size including the 12-byte header (bytes). */
  readonly transportMtu: number;
  /** `max_mw_size`: cap on the memory window size used and advertised (bytes, 0 = none). */
  readonly maxMwSize: number;
  /** `max_num_clients`: cap on the QP count (0 = one QP per MW). */
  readonly maxNumClients: number;
  /** `copy_bytes`: frames shorter than this are copied by the CPU even with DMA (bytes). */
  readonly copyBytes: number;
  /** `use_dma`: per-QP TX and RX DMA_MEMCPY channels (implies `useTxDma` and `useRxDma`). */
  readonly useDma: boolean;
  /** `use_tx_dma` (multi-channel DMA series, not mainline): TX DMA channels only. */
  readonly useTxDma: boolean;
  /** `use_rx_dma` (multi-channel DMA series, not mainline): RX DMA channels only. */
  readonly useRxDma: boolean;
  /** `num_tx_dma_chan` (series): TX DMA channels per QP, used round-robin (0 counts as 1). */
  readonly numTxDmaChan: number;
  /** `num_rx_dma_chan` (series): RX DMA channels per QP, used round-robin (0 counts as 1). */
  readonly numRxDmaChan: number;
  /** `use_msi`: NTB MSI instead of doorbells (needs NTB MSI support in the device; else doorbells). */
  readonly useMsi: boolean;
  /** `tx_memcpy_offload`: do the TX memcpy_toio in a per-QP kthread. */
  readonly txMemcpyOffload: boolean;
  /** Model switch: the v7.0 `dma_mb(); ioread32(&hdr->flags)` flush before the doorbell (true = kernel v7.0). */
  readonly flushDoneFlag: boolean;
  /**
   * Model switch: zero the RX ring's slot headers before advertising a QP link again after the
   * QP's own client took it down (false = kernel v7.0: DONE descriptors the peer wrote before a
   * one-sided ntb_transport_link_down survive, and one whose `ver` matches the new session is
   * consumed). Not after a reset caused by the peer's LINK_DOWN, where the peer may already be
   * writing its new session (up again on our stale QP_LINKS bit).
   */
  readonly clearRxRingOnQpLink: boolean;
  /**
   * Model switch: a link event while the transport link is already up is ignored (false =
   * kernel v7.0: ntb_transport_link_work runs again and ntb_transport_setup_qp_mw resets every
   * live QP on this side only, so a spurious link-event interrupt desynchronises the rings).
   */
  readonly ignoreLinkEventWhenUp: boolean;
  /**
   * Model switch: a QP link work writes the peer's QP_LINKS scratchpad with this side's own
   * advertised QP bits (false = kernel v7.0: it writes back its own QP_LINKS, which the peer
   * wrote, OR its bit — a read-modify-write of a value the peer owns, so two QP link works of
   * one side that run before the peer's next write each drop the other's bit, and a QP whose
   * bit the peer's last write lost stays down once the peer's QPs are all up; reachable when
   * both sides grow by several QPs at once, as `ethtool -L` on both boards does).
   */
  readonly qpLinksOwnBits: boolean;
  /**
   * Model switch: TX DMA submissions record their cookie and `ntb_transport_free_queue` waits
   * on it for the TX channel (false = kernel v7.0, and the posted multi-channel DMA series too:
   * only RX submissions record `last_cookie`, so the TX channel's dma_sync_wait does not wait for
   * the TX copies, and the terminate that follows drops those in flight: no DONE flag, no
   * completion; the peer's RX stops at the first of those slots and never reads the LINK_DOWN
   * behind it).
   */
  readonly dmaSyncTx: boolean;
  /**
   * Model switch: when an RX DMA copy fails, the CPU fallback copies from the entry's own slot
   * (false = kernel v7.0: ntb_rx_copy_callback recomputes the source as `rx_buff +
   * rx_max_frame * qp->rx_index`, an index ntb_process_rxc has already advanced, so the client
   * gets the bytes of a later slot: the next frame if the peer has written it (delivered again
   * in its turn), else the frame that slot held one ring lap earlier; the frame itself is lost).
   */
  readonly rxDmaFallbackOwnSlot: boolean;
}

/** A transport queue pair as its client sees it (struct ntb_transport_qp). */
export interface TransportQueue {
  /** QP number (ntb_transport_qp_num). */
  readonly qpNum: number;
  /** Largest payload per frame, bytes (ntb_transport_max_size). */
  maxSize(): number;
  /** Whether the QP link is up (ntb_transport_link_query). */
  linkQuery(): boolean;
  /** Free TX slots (ntb_transport_tx_free_entry). */
  txFreeEntry(): number;
  /** Post a receive buffer of capacity `len`; `buf` (may be shorter, or null) gets the first bytes; 0, -EINVAL or -ENOMEM (ntb_transport_rx_enqueue). */
  rxEnqueue(cb: unknown, buf: Uint8Array | null, len: number, ctx?: ExecContext): number;
  /** Send a `len`-byte frame whose first `data.length` bytes are `data` (the rest elided); 0, -EINVAL, -ENOLINK, -EMSGSIZE, -EBUSY or -EAGAIN (ntb_transport_tx_enqueue). */
  txEnqueue(ctx: ExecContext, cb: unknown, data: Uint8Array | null, len: number): number;
  /** Take back a posted receive buffer while the client is not ready (ntb_transport_rx_remove). */
  rxRemove(): { readonly cb: unknown; readonly len: number } | null;
  /** Client ready: start the QP link (ntb_transport_link_up). */
  linkUp(): void;
  /** Client going away: stop the QP link, telling the peer (ntb_transport_link_down). */
  linkDown(ctx?: ExecContext): void;
}

/**
 * Callbacks of a queue's client (struct ntb_queue_handlers). `rx` gets the buffer's cb and the
 * received length (or a negative errno: -EIO on overflow); `tx` gets the cb of a sent frame;
 * `event` gets 1 on QP link up and 0 on link down.
 */
export interface QueueHandlers {
  /** A frame was received into a posted buffer (rx_handler). */
  readonly rx?: (qp: TransportQueue, cb: unknown, len: number, ctx: ExecContext) => void;
  /** A frame was sent and its buffer can be released (tx_handler). */
  readonly tx?: (qp: TransportQueue, cb: unknown, len: number, ctx: ExecContext) => void;
  /** The QP link went up (1) or down (0) (event_handler). */
  readonly event?: (status: 0 | 1) => void;
}

/** Per-QP counters (the debugfs stats fields). */
export interface QpStats {
  /** Payload bytes received (`rx_bytes`). */
  rxBytes: number;
  /** Frames received (`rx_pkts`); also the next expected `ver`. */
  rxPkts: number;
  /** Frames copied out by the CPU (`rx_memcpy`). */
  rxMemcpy: number;
  /** Frames copied out by DMA (`rx_async`; the kernel counts each such frame twice). */
  rxAsync: number;
  /** RX passes that found no new frame (`rx_ring_empty`). */
  rxRingEmpty: number;
  /** Frames that found no posted RX buffer (`rx_err_no_buf`). */
  rxErrNoBuf: number;
  /** Frames larger than the posted buffer (`rx_err_oflow`). */
  rxErrOflow: number;
  /** Slots whose `ver` was not the expected sequence number (`rx_err_ver`). */
  rxErrVer: number;
  /** Payload bytes sent (`tx_bytes`). */
  txBytes: number;
  /** Frames sent (`tx_pkts`). */
  txPkts: number;
  /** Sends that found the peer's ring full (`tx_ring_full`). */
  txRingFull: number;
  /** Sends refused for lack of a free TX entry, `-EBUSY` (`tx_err_no_buf`). */
  txErrNoBuf: number;
  /** Frames copied by the CPU (`tx_memcpy`). */
  txMemcpy: number;
  /** Frames copied by DMA (`tx_async`). */
  txAsync: number;
}

/** A client driver of the transport bus (struct ntb_transport_client). */
export interface TransportClientDriver {
  /** Driver name; client devices whose name starts with it are bound (ntb_transport_bus_match). */
  readonly name: string;
  /** Bind to a client device; 0 or -errno. */
  probe(dev: TransportClientDev): number;
  /** Unbind. */
  remove(dev: TransportClientDev): void;
}

/** A transport client device (`<name><i>`, one per transport instance). */
export interface TransportClientDev {
  /** Device name, e.g. `ntb_netdev0`. */
  readonly name: string;
  /** The transport instance it belongs to. */
  readonly transport: NtbTransport;
}

/** Options of `createNtbTransportClient`. */
export interface TransportClientOptions {
  /** Module parameters (defaults: the kernel's). */
  readonly params?: Partial<Record<keyof TransportParams, unknown>>;
  /** The host's transport bus, where probed instances are listed. */
  readonly bus: TransportBus;
}
