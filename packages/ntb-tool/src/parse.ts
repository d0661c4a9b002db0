/**
 * The kernel's string parsers as ntb_tool's write handlers use them (lib/kstrtox.c and
 * lib/vsprintf.c's vsscanf), over the bytes a write brought: kstrto*_from_user (base 0,
 * `0x` hex and `0` octal prefixes, one trailing newline allowed, -EINVAL or -ERANGE),
 * kstrtobool_from_user, and the two sscanf formats of ntb_tool (`"%c %lli"`, `"%lli:%zi"`).
 * Values are u64 (BigInt), wrapping as the kernel's do where it does not check.
 */
import { ERRNO } from '@ntbsim/kernel';

const U64 = 1n << 64n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isXDigit = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

/** _parse_integer_fixup_radix: base 0 becomes 16 after `0x` + a hex digit, 8 after `0`, else 10; a `0x` prefix is skipped in base 16. */
function fixupRadix(s: string, at: number, base: number): { base: number; at: number } {
  let b = base;
  if (b === 0) {
    if (s[at] === '0') b = s[at + 1]?.toLowerCase() === 'x' && isXDigit(s[at + 2]) ? 16 : 8;
    else b = 10;
  }
  if (b === 16 && s[at] === '0' && s[at + 1]?.toLowerCase() === 'x') return { base: b, at: at + 2 };
  return { base: b, at };
}

/** _parse_integer: the digits of `base` from `at`; the value (mod 2^64), how many digits, and whether it overflowed u64. */
function parseDigits(s: string, at: number, base: number): { value: bigint; len: number; overflow: boolean } {
  let value = 0n;
  let overflow = false;
  let i = at;
  for (; i < s.length; i++) {
    const d = parseInt(s[i] as string, 16);
    if (Number.isNaN(d) || d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value >= U64) {
      overflow = true;
      value %= U64;
    }
  }
  return { value, len: i - at, overflow };
}

/** kstrtoull(s, 0): the value, or -EINVAL (no digits, other characters after them than one newline) / -ERANGE (over u64). */
function kstrtoull(s: string): bigint | number {
  const start = s.startsWith('+') ? 1 : 0;
  const { base, at } = fixupRadix(s, start, 0);
  const r = parseDigits(s, at, base);
  if (r.overflow) return -ERRNO.ERANGE;
  if (r.len === 0) return -ERRNO.EINVAL;
  let end = at + r.len;
  if (s[end] === '\n') end++;
  return end === s.length ? r.value : -ERRNO.EINVAL;
}

/** kstrtou64_from_user(buf, count, 0, &val): the first 66 bytes (its buffer) parsed; the value or -errno. */
export function kstrtou64FromUser(text: string): bigint | number {
  return kstrtoull(text.slice(0, 66));
}

/** kstrtou32_from_user / kstrtouint_from_user (base 0): the first 34 bytes parsed; -ERANGE above 0xffffffff. */
export function kstrtou32FromUser(text: string): number {
  const v = kstrtoull(text.slice(0, 34));
  if (typeof v === 'number') return v;
  return v > 0xffff_ffffn ? -ERRNO.ERANGE : Number(v);
}

/** kstrtobool_from_user: the first 3 bytes; `y Y t T 1` / `on` true, `n N f F 0` / `of…` false, else -EINVAL. */
export function kstrtoboolFromUser(text: string): boolean | number {
  const s = text.slice(0, 3);
  const c = s[0];
  if (c !== undefined && 'yYtT1'.includes(c)) return true;
  if (c !== undefined && 'nNfF0'.includes(c)) return false;
  if (c === 'o' || c === 'O') {
    const d = s[1];
    if (d === 'n' || d === 'N') return true;
    if (d === 'f' || d === 'F') return false;
  }
  return -ERRNO.EINVAL;
}

/**
 * vsscanf's signed integer conversion (`%lli`, `%zi`) at `at`: white space skipped, an optional
 * `-`, then a decimal digit required (base 0), the radix fixed up and the digits read by
 * simple_strntoll (no overflow check: the value wraps to u64). Null when nothing converts.
 */
function scanInt(s: string, at: number): { value: bigint; next: number } | null {
  let i = at;
  while (isSpace(s[i])) i++;
  const neg = s[i] === '-';
  const first = neg ? s[i + 1] : s[i];
  if (!isDigit(first)) return null;
  if (neg) i++;
  const { base, at: digitsAt } = fixupRadix(s, i, 0);
  const r = parseDigits(s, digitsAt, base);
  const value = neg ? (U64 - r.value) % U64 : r.value;
  return { value, next: digitsAt + r.len };
}

/**
 * `sscanf(buf, "%c %lli", &cmd, &bits)` of tool_fn_write: the command character (any byte, white
 * space included) and the bits; null unless both converted (n != 2, -EINVAL).
 */
export function scanCmdBits(s: string): { cmd: string; bits: bigint } | null {
  const cmd = s[0];
  if (cmd === undefined || cmd === '\0') return null;
  let i = 1;
  while (isSpace(s[i])) i++;
  if (i >= s.length || s[i] === '\0') return null;
  const r = scanInt(s, i);
  return r === null ? null : { cmd, bits: r.value };
}

/** `sscanf(buf, "%lli:%zi", &addr, &wsize)` of tool_peer_mw_trans_write: both values (u64), or null (n != 2, -EINVAL). */
export function scanAddrSize(s: string): { addr: bigint; size: bigint } | null {
  const a = scanInt(s, 0);
  if (a === null || s[a.next] !== ':') return null;
  const b = scanInt(s, a.next + 1);
  return b === null ? null : { addr: a.value, size: b.value };
}
