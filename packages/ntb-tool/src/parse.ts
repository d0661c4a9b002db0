/**
 * vsscanf's two formats as ntb_tool's write handlers use them (lib/vsprintf.c): `"%c %lli"` and
 * `"%lli:%zi"`, over the bytes a write brought. Values are u64 (BigInt), wrapping as the
 * kernel's simple_strntoll does. The kstrto* conversions are the kernel's (`@ntbsim/kernel`).
 */
import { parseInteger, parseIntegerFixupRadix } from '@ntbsim/kernel';

const U64 = 1n << 64n;

const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
const isSpace = (c: string | undefined): boolean => c !== undefined && ' \t\n\v\f\r'.includes(c);

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
  const { base, at: digitsAt } = parseIntegerFixupRadix(s, i, 0);
  const r = parseInteger(s, digitsAt, base);
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
