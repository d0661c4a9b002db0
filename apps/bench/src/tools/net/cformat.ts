/**
 * The C `printf` conversions the lab's network tools print with (`%.Nf`, `%.Ng`, `%e` style
 * exponents) and cJSON's number rendering. JavaScript's `toFixed`/`toPrecision` round ties
 * away from zero; glibc rounds the exact binary value half to even, so `0.125` prints as
 * `0.12`. These helpers work on the exact decimal expansion of the double (BigInt), so the
 * digits match glibc's for every value, ties included.
 */

const TWO = 2n;
const TEN = 10n;

/** The exact decimal expansion of a finite |x|: value = digits × 10^-scale. */
function exactDecimal(x: number): { digits: bigint; scale: number } {
  const a = Math.abs(x);
  if (a === 0) return { digits: 0n, scale: 0 };
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, a);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const expBits = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e: number;
  if (expBits === 0) e = -1074;
  else {
    mant |= 1n << 52n;
    e = expBits - 1075;
  }
  if (e >= 0) return { digits: mant << BigInt(e), scale: 0 };
  return { digits: mant * 5n ** BigInt(-e), scale: -e };
}

/** n / d rounded half to even (n, d ≥ 0). */
function divRoundEven(n: bigint, d: bigint): bigint {
  const q = n / d;
  const twice = TWO * (n % d);
  if (twice > d || (twice === d && (q & 1n) === 1n)) return q + 1n;
  return q;
}

function signOf(x: number): string {
  return x < 0 || Object.is(x, -0) ? '-' : '';
}

/** `%.{prec}f` as glibc prints it (no width). */
export function cFixed(x: number, prec: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return `${signOf(x)}inf`;
  const { digits, scale } = exactDecimal(x);
  const q = scale > prec ? divRoundEven(digits, TEN ** BigInt(scale - prec)) : digits * TEN ** BigInt(prec - scale);
  const s = q.toString().padStart(prec + 1, '0');
  const body = prec === 0 ? s : `${s.slice(0, s.length - prec)}.${s.slice(s.length - prec)}`;
  return signOf(x) + body;
}

/** `x` rounded to `p` significant digits: the digit string (length p) and the decimal exponent. */
function significant(x: number, p: number): { digits: string; exp: number } {
  const { digits, scale } = exactDecimal(x);
  if (digits === 0n) return { digits: '0'.repeat(p), exp: 0 };
  const len = digits.toString().length;
  let exp = len - 1 - scale;
  let q = len > p ? divRoundEven(digits, TEN ** BigInt(len - p)) : digits * TEN ** BigInt(p - len);
  if (q.toString().length > p) {
    q /= TEN;
    exp += 1;
  }
  return { digits: q.toString(), exp };
}

function stripZeros(s: string): string {
  if (!s.includes('.')) return s;
  return s.replace(/0+$/, '').replace(/\.$/, '');
}

/** `%.{p}g` as glibc prints it (no width, no `#` flag). */
export function cGeneral(x: number, p: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return `${signOf(x)}inf`;
  const prec = p === 0 ? 1 : p;
  const { digits, exp } = significant(x, prec);
  const sign = signOf(x);
  if (x === 0) return `${sign}0`;
  if (exp < -4 || exp >= prec) {
    const mant = stripZeros(prec === 1 ? digits : `${digits.slice(0, 1)}.${digits.slice(1)}`);
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${sign}${mant}e${exp < 0 ? '-' : '+'}${e}`;
  }
  let body: string;
  if (exp >= 0) {
    const intPart = digits.slice(0, exp + 1);
    const frac = digits.slice(exp + 1);
    body = frac === '' ? intPart : `${intPart}.${frac}`;
  } else body = `0.${'0'.repeat(-exp - 1)}${digits}`;
  return sign + stripZeros(body);
}

/** Right-align `s` in `width` columns (printf `%Ns`). */
export function padLeft(s: string, width: number): string {
  return s.padStart(width, ' ');
}

/** Left-align `s` in `width` columns (printf `%-Ns`). */
export function padRight(s: string, width: number): string {
  return s.padEnd(width, ' ');
}

const INT_MAX = 2147483647;
const INT_MIN = -2147483648;
const DBL_EPSILON = 2.220446049250313e-16;

/** cJSON's `print_number` (cJSON 1.7.15): `%d` for int-valued doubles in int range, else `%1.15g` if it round-trips, else `%1.17g`. */
export function cjsonNumber(d: number): string {
  if (!Number.isFinite(d)) return 'null';
  const valueint = d >= INT_MAX ? INT_MAX : d <= INT_MIN ? INT_MIN : Math.trunc(d);
  if (d === valueint) return String(valueint === 0 ? 0 : valueint);
  const s15 = cGeneral(d, 15);
  const back = Number(s15);
  const max = Math.max(Math.abs(back), Math.abs(d));
  if (Math.abs(back - d) <= max * DBL_EPSILON) return s15;
  return cGeneral(d, 17);
}
