/**
 * glibc's `strftime(3)` in the C locale, for the lab's clocks (UTC: the boards have no TZ, so
 * `localtime` and `gmtime` give the same broken-down time; only `%Z` tells them apart, `UTC`
 * for the one and `GMT` for the other). Conversions: `%a %A %b %B %c %C %d %D %e %F %g %G %h
 * %H %I %j %k %l %m %M %n %p %P %r %R %s %S %t %T %u %U %V %w %W %x %X %y %Y %z %Z %%`, the
 * `E` and `O` modifiers (the C locale has no alternatives), the `_ - 0 ^ #` flags and a field
 * width; an unknown conversion is copied as written (padded to its width), as glibc does.
 */

const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'] as const;
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'] as const;

/** The broken-down time (struct tm) of `secs` since the epoch, UTC. */
interface Tm {
  readonly year: number;
  readonly mon: number;
  readonly mday: number;
  readonly hour: number;
  readonly min: number;
  readonly sec: number;
  readonly wday: number;
  readonly yday: number;
}

function brokenDown(secs: number): Tm {
  const d = new Date(secs * 1000);
  const year = d.getUTCFullYear();
  const yday = Math.floor((Date.UTC(year, d.getUTCMonth(), d.getUTCDate()) - Date.UTC(year, 0, 1)) / 86400000);
  return { year, mon: d.getUTCMonth(), mday: d.getUTCDate(), hour: d.getUTCHours(), min: d.getUTCMinutes(), sec: d.getUTCSeconds(), wday: d.getUTCDay(), yday };
}

/** ISO 8601 week-based year and week (glibc's iso_week_days arithmetic). */
function isoWeek(tm: Tm): { readonly year: number; readonly week: number } {
  const isLeap = (y: number): boolean => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  // Days since the Monday of the week holding the year's first Thursday.
  const weekDays = (yday: number, wday: number): number => yday - ((yday - wday + 382) % 7) + 3;
  let year = tm.year;
  let days = weekDays(tm.yday, tm.wday);
  if (days < 0) {
    year--;
    days = weekDays(tm.yday + (isLeap(year) ? 366 : 365), tm.wday);
  } else {
    const next = weekDays(tm.yday - (isLeap(year) ? 366 : 365), tm.wday);
    if (next >= 0) {
      year++;
      days = next;
    }
  }
  return { year, week: Math.floor(days / 7) + 1 };
}

/** A field: digits (zero-padded to `width` by default, or blank-padded) or letters. */
type Field = { readonly num: number; readonly width: number; readonly blank?: boolean } | { readonly text: string };

function field(conv: string, tm: Tm, ctx: { readonly secs: number; readonly zone: string }): Field | string | null {
  const h12 = tm.hour % 12 === 0 ? 12 : tm.hour % 12;
  const day = DAYS[tm.wday] ?? '';
  const month = MONTHS[tm.mon] ?? '';
  switch (conv) {
    case 'a':
      return { text: day.slice(0, 3) };
    case 'A':
      return { text: day };
    case 'b':
    case 'h':
      return { text: month.slice(0, 3) };
    case 'B':
      return { text: month };
    case 'c':
      return '%a %b %e %H:%M:%S %Y';
    case 'C':
      return { num: Math.floor(tm.year / 100), width: 2 };
    case 'd':
      return { num: tm.mday, width: 2 };
    case 'D':
    case 'x':
      return '%m/%d/%y';
    case 'e':
      return { num: tm.mday, width: 2, blank: true };
    case 'F':
      return '%Y-%m-%d';
    case 'g':
      return { num: isoWeek(tm).year % 100, width: 2 };
    case 'G':
      return { num: isoWeek(tm).year, width: 1 };
    case 'H':
      return { num: tm.hour, width: 2 };
    case 'I':
      return { num: h12, width: 2 };
    case 'j':
      return { num: tm.yday + 1, width: 3 };
    case 'k':
      return { num: tm.hour, width: 2, blank: true };
    case 'l':
      return { num: h12, width: 2, blank: true };
    case 'm':
      return { num: tm.mon + 1, width: 2 };
    case 'M':
      return { num: tm.min, width: 2 };
    case 'n':
      return { text: '\n' };
    case 'p':
      return { text: tm.hour < 12 ? 'AM' : 'PM' };
    case 'P':
      return { text: tm.hour < 12 ? 'am' : 'pm' };
    case 'r':
      return '%I:%M:%S %p';
    case 'R':
      return '%H:%M';
    case 's':
      return { num: ctx.secs, width: 1 };
    case 'S':
      return { num: tm.sec, width: 2 };
    case 't':
      return { text: '\t' };
    case 'T':
    case 'X':
      return '%H:%M:%S';
    case 'u':
      return { num: tm.wday === 0 ? 7 : tm.wday, width: 1 };
    case 'U':
      return { num: Math.floor((tm.yday - tm.wday + 7) / 7), width: 2 };
    case 'V':
      return { num: isoWeek(tm).week, width: 2 };
    case 'w':
      return { num: tm.wday, width: 1 };
    case 'W':
      return { num: Math.floor((tm.yday - ((tm.wday + 6) % 7) + 7) / 7), width: 2 };
    case 'y':
      return { num: tm.year % 100, width: 2 };
    case 'Y':
      return { num: tm.year, width: 1 };
    case 'z':
      return { text: '+0000' };
    case 'Z':
      return { text: ctx.zone };
    case '%':
      return { text: '%' };
    default:
      return null;
  }
}

/** One field with the conversion's flags (`-` no padding, `_` blanks, `0` zeros, `^` upper case, `#` swapped case) and width. */
function render(f: Field, spec: { readonly flags: string; readonly width: number }): string {
  if ('text' in f) {
    let t = f.text;
    if (spec.flags.includes('^')) t = t.toUpperCase();
    else if (spec.flags.includes('#')) t = t === t.toUpperCase() ? t.toLowerCase() : t.toUpperCase();
    return t.padStart(spec.width, spec.flags.includes('0') ? '0' : ' ');
  }
  const digits = String(Math.abs(f.num));
  const sign = f.num < 0 ? '-' : '';
  if (spec.flags.includes('-')) return sign + digits;
  const width = Math.max(spec.width, f.width) - sign.length;
  const pad = spec.flags.includes('_') ? ' ' : spec.flags.includes('0') ? '0' : f.blank === true ? ' ' : '0';
  return pad === '0' ? sign + digits.padStart(width, '0') : (sign + digits).padStart(width + sign.length, ' ');
}

/**
 * `strftime(format, tm)` of `secs` (whole seconds since the epoch) in the C locale, UTC;
 * `zone` is what `%Z` prints (`UTC` for localtime, `GMT` for gmtime).
 */
export function strftime(format: string, secs: number, zone = 'UTC'): string {
  const tm = brokenDown(secs);
  let out = '';
  for (let i = 0; i < format.length; i++) {
    const ch = format.charAt(i);
    if (ch !== '%') {
      out += ch;
      continue;
    }
    const m = /^([_\-0^#]*)(\d*)([EO]?)(.?)/.exec(format.slice(i + 1));
    const [whole = '', flags = '', width = '', , conv = ''] = m ?? [];
    const f = field(conv, tm, { secs, zone });
    const spec = { flags, width: width === '' ? 0 : Number(width) };
    // glibc's bad_format: the whole conversion as written, padded to its width.
    if (f === null) out += render({ text: `%${whole}` }, { flags: flags.replace(/[\^#]/g, ''), width: spec.width });
    else out += typeof f === 'string' ? strftime(f, secs, zone) : render(f, spec);
    i += whole.length;
  }
  return out;
}
