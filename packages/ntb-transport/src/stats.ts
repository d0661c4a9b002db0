/**
 * The debugfs file `<debugfs>/ntb_transport/<pci_name>/qp<N>/stats` (ntb_qp_debugfs_stats_show):
 * the same lines in the same order, empty while the QP link is down. Pointers print as the
 * kernel's hashed `%p` would: 16 hex digits (here a stable hash of the address).
 */
import type { TransportQp } from './qp.js';

/** @internal A stable stand-in for the kernel's hashed `%p` of address `v`: `0x` and 16 hex digits. */
export function hashedPointer(v: number): string {
  let h = (v ^ 0x5bd1e995) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  h = Math.imul(h ^ (h >>> 12), 0x297a2d39) >>> 0;
  return `0x${((h ^ (h >>> 15)) >>> 0).toString(16).padStart(16, '0')}`;
}

/** The text of qp<N>/stats. */
export function formatQpStats(qp: TransportQp): string {
  if (!qp.linkIsUp) return '';
  const s = qp.stats;
  const rxRing = qp.rxRing;
  const rri = qp.rxBuf !== null && rxRing !== null ? qp.rxBuf.view.getUint32(rxRing.rxInfoOffset, true) : 0;
  return [
    '',
    'NTB QP stats:',
    '',
    `rx_bytes - \t${s.rxBytes}`,
    `rx_pkts - \t${s.rxPkts}`,
    `rx_memcpy - \t${s.rxMemcpy}`,
    `rx_async - \t${s.rxAsync}`,
    `rx_ring_empty - ${s.rxRingEmpty}`,
    `rx_err_no_buf - ${s.rxErrNoBuf}`,
    `rx_err_oflow - \t${s.rxErrOflow}`,
    `rx_err_ver - \t${s.rxErrVer}`,
    `rx_buff - \t${hashedPointer((qp.rxBuf?.dmaAddr ?? 0) + (rxRing?.offset ?? 0))}`,
    `rx_index - \t${qp.rxIndex}`,
    `rx_max_entry - \t${rxRing?.maxEntry ?? 0}`,
    `rx_alloc_entry - \t${qp.rxAllocEntry}`,
    '',
    `tx_bytes - \t${s.txBytes}`,
    `tx_pkts - \t${s.txPkts}`,
    `tx_memcpy - \t${s.txMemcpy}`,
    `tx_async - \t${s.txAsync}`,
    `tx_ring_full - \t${s.txRingFull}`,
    `tx_err_no_buf - ${s.txErrNoBuf}`,
    `tx_mw - \t${hashedPointer(0x8000_0000 + qp.txRing.offset)}`,
    `tx_index (H) - \t${qp.txIndex}`,
    `RRI (T) - \t${rri}`,
    `tx_max_entry - \t${qp.txRing.maxEntry}`,
    `free tx - \t${qp.txFreeEntry()}`,
    '',
    `Using TX DMA - \t${qp.txDma.chans.length > 0 ? 'Yes' : 'No'}`,
    `Using RX DMA - \t${qp.rxDma.chans.length > 0 ? 'Yes' : 'No'}`,
    `QP Link - \t${qp.linkIsUp ? 'Up' : 'Down'}`,
    '',
    '',
  ].join('\n');
}
