/**
 * The lab's `ping` (iputils ping, ping/ping.c and ping/ping_common.c) on an ICMP echo socket:
 * a user task sends an echo request every `-i` seconds, reads the replies, and prints
 * iputils' layout — the `PING host (addr) N(M) bytes of data.` header, one
 * `B bytes from addr: icmp_seq=N ttl=T time=X ms` line per reply (`-q` suppresses them, the
 * time uses iputils' 3/2/1/0-decimal steps), then the statistics block: transmitted,
 * received, `%g%` loss, the time from the first to the last send, and
 * `rtt min/avg/max/mdev` in integer microseconds as iputils computes them.
 *
 * Round-trip times are measured from the send call to the read of the reply in the task (as
 * with `ping -U`); iputils reads the kernel's receive timestamp instead, which the model's
 * ping socket does not report. With `-c N` ping stops after N replies, or — when some are
 * missing — max(2 × the largest RTT, `-i`) after the last send (the `-W` linger time, 10 s by
 * default, when nothing came back), as iputils' schedule_exit does; `-w S` ends it after S
 * seconds. Without either it runs until SIGINT (Ctrl-C, `kill -INT`), which iputils' sigexit
 * turns into the statistics and the usual exit status; SIGQUIT prints nothing here (iputils'
 * running status line is not modelled), and SIGTERM, SIGHUP or SIGKILL end it without a word.
 * So a ping without `-c` or `-w` runs as a job (`ping … &`) or in the interactive lab, where
 * Ctrl-C stops it; a script's foreground ping needs `-c` or `-w`, which end it. As a job (and in
 * the interactive lab's foreground) it prints each line when ping writes it, and an interactive
 * foreground ping runs no faster than the wall clock, one request a second as on a board.
 *
 * An ICMP error about one of its requests — host unreachable when ARP could not resolve the
 * target (three probes, 3 s) — prints `From ADDR icmp_seq=N Destination Host Unreachable`
 * (ADDR: the pinging host itself, which sent the error to itself), counts in `+N errors` and
 * in `pipe`, and ends the request as a reply would: ping stops once replies and errors reach
 * `-c`, and at the first error under `-w`, as iputils' main_loop does.
 *
 * The target 0.0.0.0 (INADDR_ANY) is the local host: the kernel routes it to 127.0.0.1 and
 * ping4_run takes that as the address it pings. A subnet broadcast address (all host bits set
 * on an up device's address with a prefix below /31, lo's 127.255.255.255 included) needs
 * `-b`: without it connect() fails with EACCES and iputils asks `Do you want to ping broadcast?`;
 * with it iputils warns `WARNING: pinging broadcast address` and sends. The model does not
 * deliver broadcasts (no RTN_BROADCAST input route: the peer drops the request as not its
 * address and counts InAddrErrors, and no copy loops back to the sender), so nothing answers —
 * what Linux also prints with its default net.ipv4.icmp_echo_ignore_broadcasts=1, but the
 * receiving side's counters differ.
 */
import type { TaskStep } from '@ntbsim/kernel';
import { netStrerror, type PmtuDisc } from '@ntbsim/net-core';
import { runsAsRoot } from '../lab/shell.js';
import { result, type Command, type CommandResult } from '../types.js';
import { ArgvWalker } from './argv.js';
import { strtod } from './iperf3/units.js';
import { takeServerOutput } from './net/background.js';
import { addJob, exitCode, printJob, type JobStatus } from './jobs.js';
import { cGeneral } from './net/cformat.js';
import { interleaved, type StreamWrite } from './output.js';

/** Largest `-s` for IPv4: 65535 − IP − ICMP headers. */
const MAX_DATALEN = 0xffff - 20 - 8;
/** sizeof(struct timeval) on 64-bit Linux: payloads at least this long carry the send time. */
const TIMEVAL_BYTES = 16;
/** iputils' MININTERVAL (ms): the retry delay after EAGAIN. */
const MININTERVAL_MS = 10;
/** The signals iputils' ping catches: SIGINT and SIGALRM end it with the statistics (sigexit), SIGQUIT asks for a status line. */
const SIGINT = 2;
const SIGALRM = 14;
const SIGQUIT = 3;
/** iputils' MIN_USER_INTERVAL_MS: the shortest `-i` a user other than root may ask for. */
const MIN_USER_INTERVAL_MS = 2;
/** iputils' MIN_MULTICAST_USER_INTERVAL_MS: the shortest `-i` of a user's broadcast (`-b`) ping. */
const MIN_MULTICAST_USER_INTERVAL_MS = 1000;
/** The lab's /etc/hosts: the names getaddrinfo resolves without DNS. */
const HOSTS: ReadonlyMap<string, string> = new Map([['localhost', '127.0.0.1']]);

/** iputils ping's usage() (ping/ping.c), the whole option list, modelled or not. */
const USAGE = [
  '',
  'Usage',
  '  ping [options] <destination>',
  '',
  'Options:',
  '  <destination>      DNS name or IP address',
  '  -a                 use audible ping',
  '  -A                 use adaptive ping',
  '  -B                 sticky source address',
  '  -c <count>         stop after <count> replies',
  '  -C                 call connect() syscall on socket creation',
  '  -D                 print timestamps',
  '  -d                 use SO_DEBUG socket option',
  '  -e <identifier>    define identifier for ping session, default is random for',
  '                     SOCK_RAW and kernel defined for SOCK_DGRAM',
  '                     Imply using SOCK_RAW (for IPv4 only for identifier 0)',
  '  -f                 flood ping',
  '  -h                 print help and exit',
  '  -H                 force reverse DNS name resolution (useful for numeric',
  '                     destinations or for -f), override -n',
  '  -I <interface>     either interface name or address',
  '  -i <interval>      seconds between sending each packet',
  '  -L                 suppress loopback of multicast packets',
  '  -l <preload>       send <preload> number of packages while waiting replies',
  '  -m <mark>          tag the packets going out',
  '  -M <pmtud opt>     define path MTU discovery, can be one of <do|dont|want|probe>',
  '  -n                 no reverse DNS name resolution, override -H',
  '  -O                 report outstanding replies',
  '  -p <pattern>       contents of padding byte',
  '  -q                 quiet output',
  '  -Q <tclass>        use quality of service <tclass> bits',
  '  -s <size>          use <size> as number of data bytes to be sent',
  '  -S <size>          use <size> as SO_SNDBUF socket option value',
  '  -t <ttl>           define time to live',
  '  -U                 print user-to-user latency',
  '  -v                 verbose output',
  '  -V                 print version and exit',
  '  -w <deadline>      reply wait <deadline> in seconds',
  '  -W <timeout>       time to wait for response',
  '',
  'IPv4 options:',
  '  -4                 use IPv4',
  '  -b                 allow pinging broadcast',
  '  -R                 record route',
  '  -T <timestamp>     define timestamp, can be one of <tsonly|tsandaddr|tsprespec>',
  '',
  'IPv6 options:',
  '  -6                 use IPv6',
  '  -F <flowlabel>     define flow label, default is random',
  '  -N <nodeinfo opt>  use IPv6 node info query, try <help> as argument',
  '',
  'For more details see ping(8).',
  '',
].join('\n');

/** The parsed ping command line. */
interface PingOptions {
  readonly count: number;
  readonly intervalMs: number;
  readonly datalen: number;
  readonly quiet: boolean;
  /** `-M do|want|dont`: IP_MTU_DISCOVER; null when not given (the socket's default, want; do for `-b`). */
  readonly pmtudisc: PmtuDisc | null;
  /** `-b`: allow pinging a broadcast address (SO_BROADCAST). */
  readonly broadcast: boolean;
  readonly deadline: number;
  readonly lingerMs: number;
  readonly target: string;
  /** What ping_strtod warned about on stderr while parsing (garbage after a number). */
  readonly warnings: string;
}

/** iputils' option letters that take an argument. */
const WITH_ARG = new Set(['T', 'F', 'N', 'c', 'i', 'I', 'l', 'm', 'M', 'p', 'Q', 's', 'S', 't', 'w', 'W']);
/** iputils' options the lab's ping does not model. */
const UNMODELLED = new Set(['R', 'T', '6', 'F', 'N', 'a', 'A', 'B', 'd', 'D', 'f', 'I', 'l', 'L', 'm', 'O', 'p', 'Q', 'r', 'S', 't', 'U', 'v']);

/** LONG_MAX on 64-bit Linux (strtol's range). */
const LONG_MAX = 9223372036854775807n;
/** INT_MAX. */
const INT_MAX = 2147483647n;

/**
 * iputils strtol_or_err: base-10 strtol over the whole argument (leading blanks allowed, nothing
 * after the digits) in [min, max], else its message; a value outside long reports ERANGE.
 */
function integer(arg: string, min: bigint, max: bigint): number | string {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(arg);
  if (m === null) return `invalid argument: '${arg}'`;
  const n = BigInt(m[1] as string);
  if (n > LONG_MAX || n < -LONG_MAX - 1n) return `invalid argument: '${arg}': Numerical result out of range`;
  if (n < min || n > max) return `invalid argument: '${arg}': out of range: ${min} <= value <= ${max}`;
  return Number(n);
}

/**
 * iputils ping_strtod: strtod of the argument (an empty one is an error); text after the
 * number — or the whole argument when no number starts it, which reads as 0 — is warned about
 * and ignored (`option argument contains garbage: REST`, then `this will become fatal error in
 * the future`); infinities, NaN and subnormals are ERANGE.
 */
function pingStrtod(arg: string, what: string): { value: number; warning: string } | string {
  if (arg === '') return `${what}: ${arg}`;
  const p = strtod(arg);
  const value = p?.value ?? 0;
  const rest = p === null ? arg : p.rest;
  const warning = rest === '' ? '' : `ping: option argument contains garbage: ${rest}\nping: this will become fatal error in the future\n`;
  if (!Number.isFinite(value) || (value !== 0 && Math.abs(value) < 2.2250738585072014e-308)) return `${what}: ${arg}: Numerical result out of range`;
  return { value, warning };
}

/** INT_MAX / 1000 as a double: the largest `-i` and `-W` in seconds. */
const MAX_SECONDS = 2147483647 / 1000;

function parse(argv: readonly string[]): PingOptions | CommandResult {
  let count = 0;
  let intervalMs = 1000;
  let datalen = 56;
  let quiet = false;
  let pmtudisc: PmtuDisc | null = null;
  let broadcast = false;
  let deadline = 0;
  let lingerMs = 10000;
  let warnings = '';
  const operands: string[] = [];
  /** An error exit after what ping_strtod already warned about. */
  const failWarned = (msg: string, status: number): CommandResult => result('', `${warnings}ping: ${msg}\n`, status);
  // iputils parses with plain getopt: `--x` is a cluster of '-' and 'x'.
  const words = new ArgvWalker(argv.slice(1), false);
  for (const w of words) {
    if (w.kind !== 'short') {
      if (w.kind === 'operand') operands.push(w.text);
      continue;
    }
    const a = w.chars;
    for (let j = 0; j < a.length; j++) {
      const c = a.charAt(j);
      let arg = '';
      if (WITH_ARG.has(c)) {
        arg = a.slice(j + 1);
        if (arg === '') {
          const next = words.next();
          if (next === undefined) return result('', `${warnings}ping: option requires an argument -- '${c}'\n${USAGE}`, 2);
          arg = next;
        }
        j = a.length;
      }
      if (UNMODELLED.has(c)) return failWarned(`-${c}: not supported by the lab's ping`, 2);
      switch (c) {
        case 'c': {
          const n = integer(arg, 1n, LONG_MAX);
          if (typeof n === 'string') return failWarned(n, 1);
          count = n;
          break;
        }
        case 'i': {
          const v = pingStrtod(arg, 'bad timing interval');
          if (typeof v === 'string') return failWarned(v, 2);
          warnings += v.warning;
          if (v.value < 0 || v.value > MAX_SECONDS) return failWarned(`bad timing interval: ${arg}`, 2);
          intervalMs = Math.trunc(v.value * 1000);
          break;
        }
        case 's': {
          const n = integer(arg, 0n, INT_MAX);
          if (typeof n === 'string') return failWarned(n, 1);
          datalen = n;
          break;
        }
        case 'w': {
          const n = integer(arg, 0n, INT_MAX);
          if (typeof n === 'string') return failWarned(n, 1);
          deadline = n;
          break;
        }
        case 'W': {
          const v = pingStrtod(arg, 'bad linger time');
          if (typeof v === 'string') return failWarned(v, 2);
          warnings += v.warning;
          if (v.value < 0 || v.value > MAX_SECONDS) return failWarned(`bad linger time: ${arg}`, 2);
          lingerMs = Math.trunc(v.value * 1000);
          break;
        }
        case 'q':
          quiet = true;
          break;
        case 'b':
          broadcast = true;
          break;
        case 'M':
          if (arg === 'do' || arg === 'want' || arg === 'dont') pmtudisc = arg;
          else if (arg === 'probe') return failWarned('-M probe: not supported by the lab\'s ping', 2);
          else return failWarned(`invalid -M argument: ${arg}`, 2);
          break;
        case 'n':
        case '4':
          break;
        case 'V':
          return result('ping from iputils 20240117\n');
        case 'h':
        case '?':
          return result('', warnings + USAGE, 2);
        default:
          // getopt's message, then usage(), which starts with a blank line.
          return result('', `${warnings}ping: invalid option -- '${c}'\n${USAGE}`, 2);
      }
    }
  }
  const target = operands[operands.length - 1];
  if (target === undefined) return failWarned('usage error: Destination address required', 1);
  if (datalen > MAX_DATALEN) return failWarned(`packet size ${datalen} is too large. Maximum is ${MAX_DATALEN}`, 2);
  return { count, intervalMs, datalen, quiet, pmtudisc, broadcast, deadline, lingerMs, target, warnings };
}

const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** pr_icmph's text for an ICMP destination unreachable of `code`. */
function icmpUnreachText(code: number): string {
  return ['Destination Net Unreachable', 'Destination Host Unreachable', 'Destination Protocol Unreachable', 'Destination Port Unreachable'][code] ?? `Dest Unreachable, Bad Code: ${code}`;
}

/** iputils str_interval: milliseconds as `S` or `S.mmm`. */
const strInterval = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}` : `${Math.trunc(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`);

/** iputils' ` time=…` field for a round trip of `us` microseconds. */
export function formatTripTime(us: number): string {
  if (us >= 100000 - 50) return `${Math.trunc((us + 500) / 1000)}`;
  if (us >= 10000 - 5) return `${Math.trunc((us + 50) / 1000)}.${Math.trunc(((us + 50) % 1000) / 100)}`;
  if (us >= 1000) return `${Math.trunc((us + 5) / 1000)}.${String(Math.trunc(((us + 5) % 1000) / 10)).padStart(2, '0')}`;
  return `${Math.trunc(us / 1000)}.${String(us % 1000).padStart(3, '0')}`;
}

/** iputils' header line: `PING host (addr) N(M) bytes of data.` (M = N + ICMP and IP headers). */
export function formatPingHeader(host: string, datalen: number, addr = host): string {
  return `PING ${host} (${addr}) ${datalen}(${datalen + 28}) bytes of data.\n`;
}

/** One reply line (gather_statistics): ICMP bytes, source, sequence, TTL and, when timed, the trip time. */
export function formatPingReply(r: { readonly bytes: number; readonly from: string; readonly seq: number; readonly ttl: number; readonly tripUs: number | null }): string {
  return `${r.bytes} bytes from ${r.from}: icmp_seq=${r.seq} ttl=${r.ttl}${r.tripUs === null ? '' : ` time=${formatTripTime(r.tripUs)} ms`}\n`;
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
  /** The replies' RTT moving average × 8 (µs; rts->rtt), printed with the inter-packet gap (`ipg/ewma`) when the interval is 0. */
  readonly ewma8?: number;
  /** The interval was 0 (`-i 0`, root only): finish() adds `ipg/ewma`. */
  readonly zeroInterval?: boolean;
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
    const tmin = Math.min(...s.rtts);
    const tmax = Math.max(...s.rtts);
    out += `rtt min/avg/max/mdev = ${msField(tmin)}/${msField(tmavg)}/${msField(tmax)}/${msField(tmdev)} ms`;
    comma = ', ';
  }
  if ((s.pipesize ?? 0) > 1) {
    out += `${comma}pipe ${s.pipesize ?? 0}`;
    comma = ', ';
  }
  if (s.received > 0 && s.zeroInterval === true && s.transmitted > 1) {
    const ipg = Math.trunc(Math.trunc(s.elapsedNs / 1000) / (s.transmitted - 1));
    const ewma = s.ewma8 ?? 0;
    out += `${comma}ipg/ewma ${Math.trunc(ipg / 1000)}.${String(ipg % 1000).padStart(3, '0')}/${Math.trunc(ewma / 8000)}.${String(Math.trunc(ewma / 8) % 1000).padStart(3, '0')} ms`;
  }
  return `${out}\n`;
}

/** `ping [-c COUNT] [-i INTERVAL] [-s SIZE] [-q] [-b] [-M do|want|dont] [-w DEADLINE] [-W TIMEOUT] DEST` (iputils). */
export const ping: Command = (argv, env) => {
  const o = parse(argv);
  if ('status' in o) return o;
  const { lab, board } = env;
  const job = env.background === true;
  if (o.count === 0 && o.deadline === 0 && !job) {
    return result('', `${o.warnings}ping: the lab cannot interrupt a ping in a script: give -c COUNT or -w DEADLINE, or run it as a job (\`ping … &\`, stopped by kill -INT or killall -INT; Ctrl-C stops one in the interactive lab)\n`, 2);
  }
  // A job writes to the board's terminal as it goes (its first lines show right after the command).
  const writes: StreamWrite[] = [];
  const out = (fd: 1 | 2, text: string): void => {
    if (job) printJob(board, text);
    else writes.push({ fd, text });
  };
  out(2, o.warnings);
  const warn = (text: string): void => out(2, text);
  /** ping exits with `status` before it sends: as a job, one that has ended so (the shell's `&` itself succeeded). */
  const exitEarly = (status: number): CommandResult => {
    if (!job) return interleaved(writes, status);
    addJob(board, { comm: 'ping', command: env.commandLine ?? 'ping', ended: () => true, signal: () => undefined, status: () => ({ kind: 'exit', code: status }) });
    return result('');
  };
  const fail2 = (msg: string): CommandResult => {
    warn(`ping: ${msg}\n`);
    return exitEarly(2);
  };
  // getaddrinfo: a dotted quad as it is, a name through /etc/hosts (AI_CANONNAME: the name itself).
  const resolved = DOTTED_QUAD.test(o.target) ? o.target : HOSTS.get(o.target);
  if (resolved === undefined) return fail2(`${o.target}: Name or service not known`);
  const numeric = resolved === o.target;
  // INADDR_ANY: ip_route_output routes it to 127.0.0.1 through lo, the probe socket's source,
  // which ping4_run then takes as the address to ping (and prints in the header).
  const addr = resolved === '0.0.0.0' ? '127.0.0.1' : resolved;
  const dst = addr.split('.').reduce((a, b) => ((a << 8) | Number(b)) >>> 0, 0);
  if (board.stack.route(dst) === null) return fail2('connect: Network is unreachable');
  // connect() of the probe socket to a broadcast address without SO_BROADCAST is EACCES.
  if (board.stack.isBroadcast(dst)) {
    if (!o.broadcast) return fail2('Do you want to ping broadcast? Then -b. If not, check your local firewall rules');
    warn('WARNING: pinging broadcast address\n');
  }
  if (o.broadcast && !runsAsRoot(env)) {
    if (o.intervalMs < MIN_MULTICAST_USER_INTERVAL_MS) {
      warn(`ping: minimal interval for broadcast ping for user must be >= ${MIN_MULTICAST_USER_INTERVAL_MS} ms, use -i ${strInterval(MIN_MULTICAST_USER_INTERVAL_MS)} (or higher)\n`);
      return exitEarly(2);
    }
    if (o.pmtudisc !== null && o.pmtudisc !== 'do') {
      warn('ping: broadcast ping does not fragment\n');
      return exitEarly(2);
    }
  }
  // A broadcast (-b) ping defaults to IP_PMTUDISC_DO; otherwise the socket keeps its default, want.
  const pmtudisc = o.pmtudisc ?? (o.broadcast ? 'do' : 'want');
  // pr_addr: without -n a name is looked up again (/etc/hosts) and printed with the address.
  const hostOf = (a: string): string => {
    const name = numeric ? undefined : [...HOSTS].find(([, v]) => v === a)?.[0];
    return name === undefined ? a : `${name} (${a})`;
  };
  const say = (text: string): void => out(1, text);
  say(takeServerOutput(board) + formatPingHeader(o.target, o.datalen, addr));
  // ping_setup, after the header: a user other than root may not flood.
  if (o.intervalMs < MIN_USER_INTERVAL_MS && !runsAsRoot(env)) {
    warn(`ping: cannot flood, minimal interval for user must be >= ${MIN_USER_INTERVAL_MS} ms, use -i 0.002 (or higher)\n`);
    return exitEarly(2);
  }
  const sim = lab.sim;
  const sock = board.stack.pingSocket();
  sock.setMtuDiscover(pmtudisc);
  let errors = 0;
  const timing = o.datalen >= TIMEVAL_BYTES;
  const start = sim.now;
  const intervalNs = o.intervalMs * 1e6;
  const deadlineAt = o.deadline > 0 ? start + o.deadline * 1e9 : Infinity;
  const sent = new Map<number, number>();
  const rtts: number[] = [];
  let transmitted = 0;
  let received = 0;
  let pipesize = 0;
  let ewma8 = 0;
  let lastSend = start;
  let nextSend = start;
  let exitAt = Infinity;
  let done = false;
  /** sigexit ran (SIGINT): the main loop ends at its next pass. */
  let exiting = false;
  /** How the program ended, once it has. */
  let ended: JobStatus | null = null;
  /** iputils' finish(): the statistics, then the exit status. */
  const finish = (): void => {
    if (ended !== null) return;
    done = true;
    sock.close();
    say(formatPingStatistics(o.target, { transmitted, received, rtts, elapsedNs: lastSend - start, timing, errors, pipesize, ewma8, zeroInterval: o.intervalMs === 0 }));
    ended = { kind: 'exit', code: received === 0 || (o.deadline > 0 && o.count > 0 && received < o.count) ? 1 : 0 };
  };
  const task = board.host.createUserTask('ping', (ctx, t): TaskStep => {
    if (done || t.shouldStop) return 'exit';
    sock.cancelWait(t);
    for (let r = sock.recv(ctx); r.ok; r = sock.recv(ctx)) {
      const sentAt = sent.get(r.seq);
      if (sentAt === undefined || r.from !== addr) continue;
      sent.delete(r.seq);
      received++;
      // acknowledge(): the requests sent since this one, plus itself, were outstanding.
      const diff = (transmitted - r.seq) & 0xffff;
      if (diff <= 0x7fff) pipesize = Math.max(pipesize, diff + 1);
      const trip = Math.floor(ctx.time / 1000) - Math.floor(sentAt / 1000);
      if (timing) {
        rtts.push(trip);
        ewma8 = ewma8 === 0 ? trip * 8 : ewma8 + trip - Math.trunc(ewma8 / 8);
      }
      if (!o.quiet) say(formatPingReply({ bytes: r.bytes + 8, from: hostOf(r.from), seq: r.seq, ttl: r.ttl, tripUs: timing ? trip : null }));
    }
    // ping4_receive_error_msg: an ICMP error about one of ours (IP_RECVERR), counted and acknowledged like a reply.
    for (let e = sock.recvError(); e.ok; e = sock.recvError()) {
      if (!sent.delete(e.seq)) continue;
      errors++;
      const diff = (transmitted - e.seq) & 0xffff;
      if (diff <= 0x7fff) pipesize = Math.max(pipesize, diff + 1);
      if (!o.quiet) say(`From ${hostOf(e.from)} icmp_seq=${e.seq} ${icmpUnreachText(e.code)}\n`);
    }
    const now = ctx.time;
    if (exiting || (o.count > 0 && received + errors >= o.count) || (o.deadline > 0 && errors > 0) || now >= exitAt || now >= deadlineAt) {
      done = true;
      if (job) finish();
      else sim.stop();
      return 'exit';
    }
    if (now >= nextSend && (o.count === 0 || transmitted < o.count)) {
      const seq = (transmitted + 1) & 0xffff;
      const r = sock.sendEcho(ctx, { addr, seq, data: o.datalen });
      if (!r.ok && r.errno === 'EAGAIN') nextSend = now + MININTERVAL_MS * 1e6;
      else {
        if (r.ok) sent.set(seq, now);
        else if (r.errno === 'EMSGSIZE' && pmtudisc === 'do') {
          // IP_RECVERR: the local error comes back on the error queue (receive_error_msg), printed as it is sent.
          errors++;
          if (!o.quiet) warn(`ping: local error: message too long, mtu=${board.stack.route(dst)?.dev.mtu ?? 0}\n`);
        } else if (!o.quiet) warn(`ping: sendmsg: ${netStrerror(r.errno)}\n`);
        transmitted++;
        lastSend = now;
        nextSend = now + intervalNs;
        if (o.count > 0 && transmitted >= o.count && o.deadline === 0) {
          const tmax = rtts.length > 0 ? Math.max(...rtts) : 0;
          const waitUs = received > 0 ? Math.max(2 * tmax, 1000 * o.intervalMs) : o.lingerMs * 1000;
          exitAt = now + waitUs * 1000;
        }
      }
    }
    const more = o.count === 0 || transmitted < o.count;
    const wake = Math.min(more ? nextSend : Infinity, exitAt, deadlineAt);
    sock.waitReadable(t);
    return wake === Infinity ? 'sleep' : Math.max(0, wake - now);
  });
  if (job) {
    addJob(board, {
      comm: 'ping',
      command: env.commandLine ?? 'ping',
      ended: () => ended !== null,
      realtime: true,
      signal: (sig) => {
        if (ended !== null) return;
        if (sig.signo === SIGINT || sig.signo === SIGALRM) {
          exiting = true;
          task.wake();
          return;
        }
        // No handler (SIGQUIT's status line aside): the process ends where it is.
        if (sig.signo === SIGQUIT) return;
        done = true;
        task.stop();
        sock.close();
        ended = { kind: 'signal', signo: sig.signo };
      },
      status: () => ended,
    });
    return interleaved(writes, 0);
  }
  const limit = sim.now + (o.deadline > 0 ? o.deadline * 1e9 : o.count * intervalNs + o.lingerMs * 1e6) + 60e9;
  while (!done && sim.now < limit) sim.run({ until: limit });
  task.stop();
  finish();
  return interleaved(writes, ended === null ? 1 : exitCode(ended));
};
