/**
 * TCP's global memory limit (net/ipv4/tcp.c `tcp_init_mem`, net/core/sock.c
 * `__sk_mem_raise_allocated`): `tcp_mem` = {min, pressure, max} in pages, sized at boot from
 * the RAM the kernel manages. `nr_free_buffer_pages()` is the managed pages of the zones up to
 * ZONE_NORMAL minus their high watermarks; the model takes it as `NR_FREE_BUFFER_PAGES_RATIO`
 * of the RAM pages (the struct page array, 64 bytes per 4 KiB page, the kernel image, reserved
 * regions and the watermarks take the rest).
 */

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
