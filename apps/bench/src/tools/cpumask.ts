/**
 * CPU masks as the kernel's files print and parse them: lib/vsprintf.c's `%*pb` (hex) and
 * `%*pbl` (a CPU list such as `0-1,3`), and lib/bitmap-str.c's bitmap_parse (hex chunks, what
 * smp_affinity, default_smp_affinity and xps_cpus take) and bitmap_parselist (a CPU list,
 * what smp_affinity_list takes), each into nr_cpu_ids bits: the board's CPU count.
 */
import { parseInteger } from '@ntbsim/kernel';
import type { Board } from '../lab/lab.js';

/** `%*pb` of `mask` over `nbits` bits (at most 32): the hex digits of the bits, as wide as `nbits` needs. */
export function maskHex(mask: number, nbits: number): string {
  return (mask >>> 0).toString(16).padStart(Math.ceil(nbits / 4), '0');
}

/** `%*pbl` of `mask` (bitmap_list_string): its set bits as ranges `a-b` and lone bits `a`, joined by commas; '' for none. */
export function maskList(mask: number): string {
  const ranges: string[] = [];
  for (let b = 0; b < 32; b++) {
    if (((mask >>> b) & 1) === 0) continue;
    let e = b;
    while (e < 31 && ((mask >>> (e + 1)) & 1) !== 0) e++;
    ranges.push(e === b ? String(b) : `${b}-${e}`);
    b = e;
  }
  return ranges.join(',');
}

/** isspace in the C locale. */
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);
/** __end_of_region: whitespace or a comma. */
const regionSep = (c: string | undefined): boolean => isSpace(c) || c === ',';
/** end_of_str: the NUL at the end, or a newline. */
const endOfStr = (c: string | undefined): boolean => c === undefined || c === '\0' || c === '\n';
/** end_of_region. */
const endOfRegion = (c: string | undefined): boolean => regionSep(c) || endOfStr(c);
/** hex_to_bin: the digit's value, or -1. */
const hexDigit = (c: string | undefined): number => (c !== undefined && /^[0-9a-fA-F]$/.test(c) ? parseInt(c, 16) : -1);

/**
 * bitmap_parse of `text` (up to its first newline) into `nbits` bits: hex digits in
 * comma-separated chunks of at most 32 bits, read from the end, whitespace and commas between
 * them skipped. The 32-bit chunks (least significant first), or EINVAL for a non-hex digit,
 * EOVERFLOW for a chunk over 8 digits, too many chunks or a bit ≥ nbits.
 */
export function bitmapParse(text: string, nbits: number): number[] | 'EINVAL' | 'EOVERFLOW' {
  const nl = text.indexOf('\n');
  const s = nl < 0 ? text : text.slice(0, nl);
  let left = Math.ceil(nbits / 32);
  const chunks: number[] = [];
  let end = s.length - 1;
  for (;;) {
    while (end >= 0 && regionSep(s[end])) end--;
    if (end < 0) break;
    if (left-- === 0) return 'EOVERFLOW';
    let v = 0;
    for (let i = 0; ; i += 4) {
      const d = hexDigit(s[end--]);
      if (d < 0) return 'EINVAL';
      v += d * 2 ** i;
      if (end < 0 || regionSep(s[end])) break;
      if (i === 28) {
        if (hexDigit(s[end--]) >= 0) return 'EOVERFLOW';
        break;
      }
    }
    chunks.push(v);
  }
  for (let b = nbits; b < chunks.length * 32; b++) if ((((chunks[b >> 5] ?? 0) >>> (b & 31)) & 1) !== 0) return 'EOVERFLOW';
  return chunks;
}

/** A bitmap_parselist error: a malformed region (EINVAL), a bit past the map (ERANGE), a number past u32 (EOVERFLOW). */
type ParselistError = 'EINVAL' | 'ERANGE' | 'EOVERFLOW';

/** bitmap_getnum at `at` of `s`: `N` is the last bit, else decimal digits (_parse_integer); the number and where it ends, or why not. */
function getnum(s: string, at: number, lastbit: number): { n: number; at: number } | ParselistError {
  if (s[at] === 'N') return { n: lastbit, at: at + 1 };
  const r = parseInteger(s, at, 10);
  if (r.len === 0) return 'EINVAL';
  if (r.overflow || r.value > 0xffffffffn) return 'EOVERFLOW';
  return { n: Number(r.value), at: at + r.len };
}

/** One region of bitmap_parselist: bits start..end, `off` of every `group` of them. */
interface Region {
  start: number;
  end: number;
  off: number;
  group: number;
}

/**
 * bitmap_parse_region at `at` of `s`: `all`, `A` or `A-B`, then optionally `:USED/GROUP`; the
 * region and where parsing goes on (null at the end of the string), or why not.
 */
function parseRegion(s: string, at: number, lastbit: number): { r: Region; next: number | null } | ParselistError {
  const r: Region = { start: 0, end: lastbit, off: 0, group: 0 };
  let i = at;
  if (s.slice(i, i + 3).toLowerCase() === 'all') i += 3;
  else {
    const a = getnum(s, i, lastbit);
    if (typeof a === 'string') return a;
    r.start = a.n;
    i = a.at;
    if (endOfRegion(s[i])) {
      r.end = r.start;
      r.off = r.group = r.end + 1;
      return { r, next: endOfStr(s[i]) ? null : i };
    }
    if (s[i] !== '-') return 'EINVAL';
    const b = getnum(s, i + 1, lastbit);
    if (typeof b === 'string') return b;
    r.end = b.n;
    i = b.at;
  }
  if (endOfRegion(s[i])) {
    r.off = r.group = r.end + 1;
    return { r, next: endOfStr(s[i]) ? null : i };
  }
  if (s[i] !== ':') return 'EINVAL';
  const off = getnum(s, i + 1, lastbit);
  if (typeof off === 'string') return off;
  if (s[off.at] !== '/') return 'EINVAL';
  const group = getnum(s, off.at + 1, lastbit);
  if (typeof group === 'string') return group;
  r.off = off.n;
  r.group = group.n;
  return { r, next: group.at };
}

/**
 * bitmap_parselist of `text` into `nbits` bits: comma- (or whitespace-) separated regions — a
 * bit `A`, a range `A-B`, `all`, `N` for the last bit, each range optionally `:USED/GROUP`
 * (the first USED bits of every GROUP) — until the string's end or a newline that ends a
 * region. The 32-bit chunks (least significant first), or EINVAL for a malformed region
 * (B < A, GROUP 0, USED > GROUP, a stray character), ERANGE for a bit ≥ nbits, EOVERFLOW for
 * a number past u32; the regions before the bad one are not kept.
 */
export function bitmapParselist(text: string, nbits: number): number[] | ParselistError {
  const chunks = new Array<number>(Math.ceil(nbits / 32)).fill(0);
  const lastbit = nbits - 1;
  let at: number | null = 0;
  while (at !== null) {
    // bitmap_find_region: commas and whitespace (a newline too) may open a region.
    while (regionSep(text[at])) at++;
    if (endOfStr(text[at])) return chunks;
    const p = parseRegion(text, at, lastbit);
    if (typeof p === 'string') return p;
    const { r } = p;
    if (r.start > r.end || r.group === 0 || r.off > r.group) return 'EINVAL';
    if (r.end >= nbits) return 'ERANGE';
    for (let s = r.start; s <= r.end; s += r.group) {
      for (let b = s; b < s + Math.min(r.end - s + 1, r.off); b++) chunks[b >> 5] = ((chunks[b >> 5] ?? 0) | (1 << (b & 31))) >>> 0;
    }
    at = p.next;
  }
  return chunks;
}

/** A CPU mask a write to a kernel file parsed, or the errno of why not. */
export type CpumaskParse = number | 'EINVAL' | 'ERANGE' | 'EOVERFLOW';

/**
 * cpumask_parse_user (`list` false: bitmap_parse) or cpumask_parselist_user (`list` true:
 * bitmap_parselist) of `text` on `board`, into nr_cpu_ids bits (the board's CPU count): the
 * mask, or the errno.
 */
export function cpumaskParse(board: Board, text: string, list = false): CpumaskParse {
  const nbits = board.host.cpus.length;
  const chunks = list ? bitmapParselist(text, nbits) : bitmapParse(text, nbits);
  return typeof chunks === 'string' ? chunks : (chunks[0] ?? 0);
}
