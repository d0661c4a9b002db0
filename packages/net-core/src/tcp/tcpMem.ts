/**
 * TCP memory (net/ipv4/tcp.c `tcp_init_mem`, `tcp_wmem_schedule`; net/core/sock.c
 * `__sk_mem_raise_allocated`, `sk_mem_reclaim`; include/net/sock.h `sk_stream_is_writeable`).
 * The global limit: `tcp_mem` = {min, pressure, max} in pages, sized at boot from the RAM the
 * kernel manages. `nr_free_buffer_pages()` is the managed pages of the zones up to ZONE_NORMAL
 * minus their high watermarks; the model takes it as `NR_FREE_BUFFER_PAGES_RATIO` of the RAM
 * pages (the struct page array, 64 bytes per 4 KiB page, the kernel image, reserved regions and
 * the watermarks take the rest). The per-socket accounting: each socket's send and receive
 * memory counts toward the host's `tcp_mem` in whole pages, and growing past it is refused as
 * `__sk_mem_raise_allocated` refuses it.
 */
import { SOCK_MIN_SNDBUF } from '../inetSock.js';
import type { TcpSock } from './tcpSock.js';

/** PAGE_SIZE (bytes) of arm64 and x86-64 defconfig kernels. */
export const PAGE_SIZE = 4096;

/** nr_free_buffer_pages() as a share of the RAM pages: an estimate (managed pages less the high watermarks). */
export const NR_FREE_BUFFER_PAGES_RATIO = 0.95;

/**
 * net.ipv4.tcp_mem (pages) of a host with `ramMiB` MiB of RAM, as tcp_init_mem sets it:
 * limit = max(nr_free_buffer_pages / 16, 128); {limit / 4 × 3, limit, limit / 4 × 3 × 2}.
 */
export function tcpMemFromRam(ramMiB: number): readonly [number, number, number] {
  const pages = Math.floor((ramMiB * 1024 * 1024) / PAGE_SIZE);
  const limit = Math.max(Math.floor(Math.floor(pages * NR_FREE_BUFFER_PAGES_RATIO) / 16), 128);
  const min = Math.floor(limit / 4) * 3;
  return Object.freeze([min, limit, min * 2] as const);
}

/**
 * sk_mem_charge/uncharge with sk_mem_reclaim: the host's TCP memory follows this socket's,
 * in whole pages (what is freed returns at once, less than a page stays forward-allocated).
 */
export function memSync(tp: TcpSock): void {
  const pages = Math.ceil((tp.wmemQueuedBytes + tp.rmemAllocBytes) / PAGE_SIZE);
  if (pages === tp.memPages) return;
  tp.stack.tcpMemCharge(pages - tp.memPages);
  tp.memPages = pages;
}

/**
 * __sk_mem_schedule → __sk_mem_raise_allocated: may this socket's memory grow by `size` bytes
 * of send or receive memory under net.ipv4.tcp_mem? Within the pages it holds, yes; else with
 * the host at or below tcp_mem[0] (leaving memory pressure); above tcp_mem[1] TCP enters
 * memory pressure; up to tcp_mem[2] a socket below tcp_wmem[0]/tcp_rmem[0] may always grow,
 * and one outside pressure, or within its share (tcp_mem[2] over the TCP sockets of the
 * host); otherwise a send is refused — sk_stream_moderate_sndbuf shrinks an unlocked send
 * buffer — unless the socket is at its send buffer anyway (then forced).
 */
export function memSchedule(tp: TcpSock, size: number, kind: 'send' | 'recv'): boolean {
  const need = Math.ceil((tp.wmemQueuedBytes + tp.rmemAllocBytes + size) / PAGE_SIZE) - tp.memPages;
  if (need <= 0) return true;
  const stack = tp.stack;
  const sysctl = stack.sysctl;
  const [low, pressure, high] = sysctl.tcpMem;
  const allocated = stack.tcpMemoryAllocated + need;
  if (allocated <= low) {
    stack.setTcpMemoryPressure(false);
    return true;
  }
  if (allocated > pressure) stack.setTcpMemoryPressure(true);
  if (allocated <= high) {
    if (kind === 'recv' ? tp.rmemAllocBytes < sysctl.tcpRmem[0] : tp.wmemQueuedBytes < sysctl.tcpWmem[0]) return true;
    if (!stack.tcpMemoryPressure) return true;
    if (high > (stack.tcpConns.size + stack.tcpListeners.size) * (tp.memPages + need)) return true;
  }
  if (kind === 'recv') return false;
  if (!tp.sk.sndbufLocked) tp.sk.sndbuf = Math.max(Math.min(tp.sk.sndbuf, tp.wmemQueuedBytes >> 1), SOCK_MIN_SNDBUF);
  return tp.wmemQueuedBytes + size >= tp.sk.sndbuf;
}

/**
 * tcp_wmem_schedule: how much of a `copy` (plus `overhead` not yet charged, a new skb's) the
 * send memory allows: all of it when scheduled, else what the socket still holds
 * forward-allocated, with up to tcp_wmem[0] forced in so an empty socket makes progress.
 */
export function wmemScheduleCopy(tp: TcpSock, copy: number, overhead: number): number {
  if (memSchedule(tp, overhead + copy, 'send')) return copy;
  const used = tp.wmemQueuedBytes + tp.rmemAllocBytes;
  const left = tp.stack.sysctl.tcpWmem[0] - tp.wmemQueuedBytes - overhead;
  const reserved = Math.max(tp.memPages * PAGE_SIZE, left > 0 ? Math.ceil((used + overhead + Math.min(left, copy)) / PAGE_SIZE) * PAGE_SIZE : 0);
  return Math.max(0, Math.min(copy, reserved - used - overhead));
}

/** sk_stream_is_writeable: free send space at least half of what is queued (and no write waiting for the host's TCP memory). */
export function streamWriteable(tp: TcpSock): boolean {
  return !tp.memBlocked && tp.sk.sndbuf - tp.wmemQueued >= Math.floor(tp.wmemQueued / 2);
}
