/**
 * Virtual time. Every timestamp and duration in ntbsim is an integer number of nanoseconds
 * held in a JS `number` (an IEEE double). Integers are exact up to 2^53 ns, about 104 days
 * of simulated time, far beyond any run. Costs computed from rates are rounded to the
 * nearest nanosecond when they are charged.
 */

/** Nanoseconds: virtual time or a duration (integer). */
export type Ns = number;

/** 1 µs in ns. */
export const NS_PER_US = 1_000;
/** 1 ms in ns. */
export const NS_PER_MS = 1_000_000;
/** 1 s in ns. */
export const NS_PER_SEC = 1_000_000_000;

/** Microseconds to ns. */
export function us(value: number): Ns {
  return Math.round(value * NS_PER_US);
}

/** Milliseconds to ns. */
export function ms(value: number): Ns {
  return Math.round(value * NS_PER_MS);
}

/** Seconds to ns. */
export function sec(value: number): Ns {
  return Math.round(value * NS_PER_SEC);
}

/** Time to move `bytes` at `bytesPerSec` (B/s), in ns (not rounded). */
export function transferNs(bytes: number, bytesPerSec: number): number {
  return (bytes * NS_PER_SEC) / bytesPerSec;
}
