/**
 * The `%p` pointer format of lib/vsprintf.c on a 64-bit kernel: `ptr_to_id` prints a keyed hash
 * of the address (masked to its low 32 bits, zero-padded to the pointer's 16 hex digits) so that
 * debugfs and the kernel log do not leak kernel addresses. The key stands in for the boot-time
 * `ptr_key`; the model keys it with the simulation's seed, so a run prints the same values again.
 */

/** ptr_to_id: the 16 hex digits (no `0x`) `%p` prints for kernel address `addr` under hash key `key`. */
export function hashedPointer(addr: number, key: number): string {
  let h1 = (key ^ 0x9e3779b9) >>> 0;
  let h2 = (Math.floor(addr / 2 ** 32) ^ 0x85ebca6b) >>> 0;
  for (const w of [addr >>> 0, Math.floor(addr / 2 ** 32) >>> 0]) {
    h1 = Math.imul(h1 ^ w, 0xcc9e2d51) >>> 0;
    h1 = ((h1 << 13) | (h1 >>> 19)) >>> 0;
    h2 = Math.imul(h2 ^ h1, 0x1b873593) >>> 0;
  }
  return `00000000${((h1 ^ h2) >>> 0).toString(16).padStart(8, '0')}`;
}
