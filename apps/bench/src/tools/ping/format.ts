/**
 * What iputils ping prints (ping/ping.c, ping/ping_common.c): the `PING …` header, a reply line
 * (gather_statistics: iputils' 3/2/1/0-decimal steps for the trip time), print_timestamp's
 * `[sec.usec] ` of `-D`, pr_icmph's unreachable texts, and finish()'s statistics block —
 * transmitted, received, errors, `%g%` loss, the time from the first to the last send,
 * `rtt min/avg/max/mdev` in integer microseconds, `pipe N` and `ipg/ewma`.
 */
import { cGeneral } from '../net/cformat.js';

/** pr_icmph's text for an ICMP destination unreachable of `code`. */
export function icmpUnreachText(code: number): string {
  return ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable'][code] ?? `Dest Unreachable, Bad Code: ${code}`;
}

/** iputils str_interval: milliseconds as `S` or `S.mmm`. */
export const strInterval = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}` : `${Math.trunc(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`);

/** iputils' ` time=…` field for a round trip of `us` microseconds. */
export function formatTripTime(us: number): string {
  if (us >= 100000 - 50) return `${Math.trunc((us + 500) / 1000)}`;
  if (us >= 10000 - 5) return `${Math.trunc((us + 50) / 1000)}.${Math.trunc(((us + 50) % 1000) / 100)}`;
  if (us >= 1000) return `${Math.trunc((us + 5) / 1000)}.${String(Math.trunc(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.trunc(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/**
 * iputils' header line: `PING host (addr) N(M) bytes of data.` (M = N + ICMP and IP headers),
 * with `from SRC DEV: ` before the sizes when ping binds to a device or a source address (`-I`):
 * `from` is then the source and the device's name, or the source and an empty name.
 */
export function formatPingHeader(host: string, datalen: number, addr = host, from: string | null = null): string {
  return `PING ${host} (${addr}) ${from === null ? '' : `from ${from}: `}${datalen}(${datalen + 28}) bytes of data.\n`;
}

/**
 * One reply line (gather_statistics, then ping4_parse_reply's end): ICMP bytes, source,
 * sequence, TTL and, when timed, the trip time; `bell` (`-a`) puts a BEL before the newline.
 */
export function formatPingReply(r: { readonly bytes: number; readonly from: string; readonly seq: number; readonly ttl: number; readonly tripUs: number | null; readonly bell?: boolean }): string {
  return `${r.bytes} bytes from ${r.from}: icmp_seq=${r.seq} ttl=${r.ttl}${r.tripUs === null ? '' : ` time=${formatTripTime(r.tripUs)} ms`}${r.bell === true ? '\x07' : ''}\n`;
}

/** print_timestamp (`-D`): `[SECONDS.MICROS] ` of the wall clock at `us` µs since the Unix epoch. */
export function formatTimestamp(us: number): string {
  return `[${Math.floor(us / 1e6)}.${String(us % 1e6).padStart(6, '0')}] `;
}

/** `%ld.%03ld` of a microsecond count. */
function msField(us: number): string {
  return `${Math.trunc(us / 1000)}.${String(Math.trunc(us % 1000)).padStart(3, '0')}`;
}

/** What a ping run measured (ping_rts). */
export interface PingStats {
  /** Echo requests sent (ntransmitted). */
  readonly transmitted: number;
  /** Replies received (nreceived). */
  readonly received: number;
  /** Round-trip times (µs) of the replies. */
  readonly rtts: readonly number[];
  /** From the start to the last send (ns). */
  readonly elapsedNs: number;
  /** Whether the payload carried a timestamp (datalen ≥ 16). */
  readonly timing: boolean;
  /** Local errors (nerrors: a request refused by the stack, e.g. above the MTU with `-M do`). */
  readonly errors?: number;
  /** The most requests outstanding when a reply came (pipesize, acknowledge()); printed when above 1. */
  readonly pipesize?: number;
  /** The replies' RTT moving average × 8 (µs; rts->rtt), printed with the inter-packet gap (`ipg/ewma`). */
  readonly ewma8?: number;
  /** finish() adds `ipg/ewma`: the interval is 0 at the end (`-i 0`, or `-A` down to 0, root only), or `-f` or `-A` was given. */
  readonly ipgEwma?: boolean;
}

/** iputils finish(): the statistics block after the blank line. */
export function formatPingStatistics(host: string, s: PingStats): string {
  let out = `\n--- ${host} ping statistics ---\n${s.transmitted} packets transmitted, ${s.received} received`;
  if ((s.errors ?? 0) > 0) out += `, +${s.errors ?? 0} errors`;
  if (s.transmitted > 0) {
    const loss = Math.fround(((s.transmitted - s.received) * 100.0) / s.transmitted);
    const secs = Math.floor(s.elapsedNs / 1e9);
    const nsec = s.elapsedNs - secs * 1e9;
    out += `, ${cGeneral(loss, 6)}% packet loss, time ${1000 * secs + Math.trunc((nsec + 500000) / 1000000)}ms`;
  }
  out += '\n';
  let comma = '';
  if (s.received > 0 && s.timing) {
    const total = s.rtts.length;
    let tsum = 0;
    let tsum2 = 0;
    for (const t of s.rtts) {
      tsum += t;
      tsum2 += t * t;
    }
    const tmavg = Math.trunc(tsum / total);
    const tmvar = tsum < 2147483647 ? Math.trunc((tsum2 - Math.trunc((tsum * tsum) / total)) / total) : Math.trunc(tsum2 / total) - tmavg * tmavg;
    const tmdev = Math.floor(Math.sqrt(Math.max(0, tmvar)));
    const tmin = s.rtts.reduce((a, b) => Math.min(a, b));
    const tmax = s.rtts.reduce((a, b) => Math.max(a, b));
    out += `rtt min/avg/max/mdev = ${msField(tmin)}/${msField(tmavg)}/${msField(tmax)}/${msField(tmdev)} ms`;
    comma = ', ';
  }
  if ((s.pipesize ?? 0) > 1) {
    out += `${comma}pipe ${s.pipesize ?? 0}`;
    comma = ', ';
  }
  if (s.received > 0 && s.ipgEwma === true && s.transmitted > 1) {
    const ipg = Math.trunc(Math.trunc(s.elapsedNs / 1000) / (s.transmitted - 1));
    const ewma = s.ewma8 ?? 0;
    out += `${comma}ipg/ewma ${Math.trunc(ipg / 1000)}.${String(ipg % 1000).padStart(3, '0')}/${Math.trunc(ewma / 8000)}.${String(Math.trunc(ewma / 8) % 1000).padStart(3, '0')} ms`;
  }
  return `${out}\n`;
}
