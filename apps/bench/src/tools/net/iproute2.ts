/**
 * What the lab's iproute2 tools (`ip`, `ss`, `nstat`) share, as iproute2 6.1 (Debian 12) has it
 * in lib/: the release they report, and `matches()` (lib/utils.c), by which every keyword may be
 * abbreviated.
 */

/** The iproute2 release the lab's tools claim (Debian 12's). */
export const IPROUTE2_VERSION = '6.1.0';

/** iproute2 `matches(word, full)`: `word` is a non-empty prefix of `full`. */
export function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word !== '' && full.startsWith(word);
}
