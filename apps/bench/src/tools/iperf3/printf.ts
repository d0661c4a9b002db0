/**
 * How iperf3 3.12 decorates what it prints (src/iperf_api.c `iperf_printf`, src/iperf_error.c
 * `iperf_err`/`iperf_errexit`): each `iperf_printf` call — one call per report line, but some
 * calls print several lines and one prints nothing — starts with the `--timestamps` time
 * (strftime of localtime, the boards' UTC) and, on a client only, `TITLE:  ` (`-T`); the server
 * keeps the title it gets from the client for its JSON and never prints it. An error line gets
 * the time but no title. Plain `printf`s (`Control connection MSS …`) and warnings get neither.
 */
import { strftime } from '../net/strftime.js';
import type { Iperf3Options } from './options.js';

/** What decorates the calls of one side: its `--timestamps` format and, on a client, `-T`'s title. */
export interface Printer {
  /** The strftime format, null without `--timestamps`. */
  readonly timestamps: string | null;
  /** The title, null without `-T` (and always on a server). */
  readonly title: string | null;
}

/** The decoration of an iperf3 run with options `o`: `--timestamps`, and `-T` on a client. */
export function printerOf(o: Pick<Iperf3Options, 'role' | 'title' | 'timestamps'>): Printer {
  return { timestamps: o.timestamps, title: o.role === 'c' ? o.title : null };
}

/** A printer that decorates nothing. */
export const PLAIN_PRINTER: Printer = { timestamps: null, title: null };

/** The `--timestamps` time at `secs` (wall clock), '' without the option. */
function stamp(p: Printer, secs: number): string {
  return p.timestamps === null ? '' : strftime(p.timestamps, secs);
}

/** iperf_printf: `calls` made at wall-clock second `secs`, each with its time and title. */
export function iperfPrintf(p: Printer, secs: number, calls: readonly string[]): string {
  if (p.timestamps === null && p.title === null) return calls.join('');
  const head = stamp(p, secs) + (p.title === null ? '' : `${p.title}:  `);
  return calls.map((c) => head + c).join('');
}

/** iperf_err / iperf_errexit on standard error: `iperf3: MSG`, after the `--timestamps` time. */
export function iperfErr(p: Printer, secs: number, msg: string): string {
  return `${stamp(p, secs)}iperf3: ${msg}\n`;
}

/** strftime("%a, %d %b %Y %H:%M:%S %Z") of `gmtime(timesecs)`: iperf_on_connect's time (`GMT`), in `-J`'s `timestamp` and `-V`'s `Time:`. */
export function rfc1123(timesecs: number): string {
  return strftime('%a, %d %b %Y %H:%M:%S %Z', timesecs, 'GMT');
}

/** What iperf_run_client and iperf_run_server print first with `-V` (text mode): the version, an empty print, the system. */
export function versionCalls(version: string, systemInfo: string): readonly string[] {
  return [`${version}\n`, '', `${systemInfo}\n`];
}
