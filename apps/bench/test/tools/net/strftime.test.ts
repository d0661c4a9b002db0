import { describe, expect, it } from 'vitest';
import { strftime } from '../../../src/tools/net/strftime.js';

/**
 * Expected texts: glibc's strftime in the C locale with TZ=UTC (Python's time.strftime over
 * time.gmtime), for a day in the middle of a year and three around the ISO week's turn.
 */
const CASES: readonly (readonly [number, string, string])[] = [
  [1795311015, '%c ', 'Sun Nov 22 01:30:15 2026 '],
  [1795311015, '%a %A %b %B %h', 'Sun Sunday Nov November Nov'],
  [1795311015, '%C %d %D %e %F', '20 22 11/22/26 22 2026-11-22'],
  [1795311015, '%g %G %V %U %W %u %w %j', '26 2026 47 47 46 7 0 326'],
  [1795311015, '%H %I %k %l %M %S %p %P', '01 01  1  1 30 15 AM am'],
  [1795311015, '%r %R %T %x %X %y %Y', '01:30:15 AM 01:30 01:30:15 11/22/26 01:30:15 26 2026'],
  [1795311015, '%s %z %n%t%%', '1795311015 +0000 \n\t%'],
  [1795311015, '%-d|%_m|%5Y|%^a|%#b|%010s|%-j', '22|11|02026|SUN|NOV|1795311015|326'],
  [1795311015, '%Ec %Oy', 'Sun Nov 22 01:30:15 2026 26'],
  [1795311015, '%Q %5', '%Q    %5'],
  [1609632000, '%c ', 'Sun Jan  3 00:00:00 2021 '],
  [1609632000, '%g %G %V %U %W %u %w %j', '20 2020 53 01 00 7 0 003'],
  [1609632000, '%H %I %k %l %r', '00 12  0 12 12:00:00 AM'],
  [1609632000, '%-d|%_m|%-j', '3| 1|3'],
  [1704067199, '%g %G %V %U %W %j %r', '23 2023 52 53 52 365 11:59:59 PM'],
  [1735650000, '%c|%g %G %V %U %W %u %w %j|%l %P', 'Tue Dec 31 13:00:00 2024|25 2025 01 52 53 2 2 366| 1 pm'],
];

describe('strftime (C locale, UTC)', () => {
  it("prints every conversion, flag and width as glibc's does", () => {
    for (const [secs, format, text] of CASES) expect.soft(strftime(format, secs), `${format} at ${secs}`).toBe(text);
  });

  it('names the zone localtime (UTC) or gmtime (GMT) gave', () => {
    expect(strftime('%Z', 0)).toBe('UTC');
    expect(strftime('%a, %d %b %Y %H:%M:%S %Z', 1795311015, 'GMT')).toBe('Sun, 22 Nov 2026 01:30:15 GMT');
  });
});
