/**
 * iproute2's `ss` (misc/ss.c and misc/ssfilter.y, 6.1 as on Debian 12) over the TCP and UDP
 * sockets of the board's IPv4 stack, as `inet_diag` reports them.
 *
 * Output: ss's column engine (`columns[]`, `out()`, `field_next`/`field_set`, `print_header`,
 * `render_calc_width`, `render`) in its compact form, the one ss uses when stdout is not a tty:
 * each column is as wide as its longest field, plus its left delimiter when it is not the first
 * shown, and a field of the last line still being written (the Process column) does not count.
 * Netid is hidden when one socket table is shown, State when one state is (`ss -t state
 * established`). `sock_state_print` writes Recv-Q and Send-Q as `%-6d`; addresses are numeric
 * (no `-r`), port 0 is `*`. Recv-Q/Send-Q are inet_diag's: a listener's accept queue and
 * backlog, else `rcv_nxt − copied_seq` and `write_seq − snd_una`; UDP's are the receive and
 * send memory in use; TIME-WAIT and SYN-RECV entries (timewait and request socks) have 0 0 and
 * no TCP info. Tables are dumped in ss's order (UDP, then TCP: listeners, then the
 * established hash); UDP sockets by port, as the UDP hash walks them.
 *
 * `-i` prints `tcp_show_info`/`tcp_stats_print`'s line (after `\n\t`, or a space with `-O`):
 * `cubic wscale:S,R rto: rtt:/ ato: mss: pmtu: rcvmss: advmss: cwnd: ssthresh: bytes_sent:
 * bytes_retrans: bytes_acked: bytes_received: segs_out: segs_in: data_segs_out: data_segs_in:
 * send …bps pacing_rate …bps delivered: unacked: retrans:R/T lost: sacked: reordering: rcv_rtt:
 * rcv_space: rcv_ssthresh: notsent: minrtt: snd_wnd:`, each under ss's own condition (nonzero;
 * rto unless 3 s; ssthresh below 0xFFFF; reordering unless 3; sacked not on a listener) and
 * number format (`%g` of ms, `sprint_bw`: `%.3g` with k/M/G/T, or `%.0f` with `-n`). A
 * listener reports what `tcp_get_info` gives one: `cubic cwnd:10` and its accept queue as
 * `unacked`. Left out because the model does not keep them (so they would be 0 or wrong):
 * `lastsnd`/`lastrcv`/`lastack` (no `rcv_tstamp`; `lrcvtime` is not set at connect),
 * `delivery_rate` and `app_limited` (no rate sampling), `busy`/`rwnd_limited`/`sndbuf_limited`
 * (no chrono stats), `dsack_dups`, `reord_seen` and `rcv_ooopack` (Reno without SACK counts
 * none).
 *
 * `-o` (show_options) prints `tcp_timer_print`'s ` timer:(NAME,TIME,RETRANS)` after the
 * addresses, from inet_diag's idiag_timer, idiag_expires and idiag_retrans: `on` for the SYN,
 * SYN-ACK (a SYN-RECV request sock, with its SYN-ACK retransmissions) and retransmission timers
 * with icsk_retransmits, `persist` for the zero-window probe timer with icsk_probes_out,
 * `timewait` for a TIME-WAIT sock and for an orphan's FIN-WAIT-2 timeout (which Linux hands to
 * a timewait sock: no queues, no tcp_info), nothing without a pending timer (listeners, UDP, an
 * idle connection). TIME is `jiffies_delta_to_msecs(expiry − jiffies)` — whole jiffies, 0 once
 * due — written by 6.1's `print_ms_timer`: `228ms`, `1.574ms` for 1574 ms (the old form, `sec`
 * came later), `12sec` from 10 s (milliseconds dropped), `1min3sec`. The model has no
 * keepalive (`keepalive`), TLP or RACK timers (Linux shows those as `on` with their own
 * expiry), and its TIME-WAIT lasts 1 s. `-o` also puts tcpi_options' ` ts`, ` ecn` and
 * ` ecnseen` before the congestion control in the `-i` line (`sack` and `fastopen` never: the
 * model has neither).
 *
 * Options are getopt_long's over ss's own string and long options, with glibc's messages and
 * ss's usage (exit 255). Filters: `state`/`exclude` with ss's state names and groups, and the
 * ssfilter grammar with `sport`/`dport` (`=`, `!=`, `<`, `<=`, `>`, `>=` and their word forms),
 * `src`/`dst` (IPv4 prefix, `*`, optional `:port`), `and`/`or`/`not`/parentheses, evaluated left
 * to right as the grammar's `exprlist` does. Refused with a message and exit 1: what the lab
 * does not model — Unix, packet, netlink, raw, DCCP, SCTP, MPTCP, vsock, TIPC and XDP tables
 * when asked for (`ss` without a table lists the tables the lab has: the boards run no other
 * sockets), `-s` (no /proc/net/sockstat), `-m` (skmem's `d`, the sk_drops Linux counts at the
 * TCP input's discards — old or out-of-window data, listener drops, … — is not kept by the
 * model, and UDP memory is not charged to udp_mem, so a UDP socket has no forward allocation;
 * TCP's `f` alone would be derivable, the unused part of its whole pages), `-e` (ss prints the
 * cgroup inet_diag reports for each full socket, and the lab has no cgroups), `-p` (the lab's
 * processes have no PIDs and no file descriptors), `-b`, `-E`, `-K`, `-D`, `-F`, `-r`, `--tos`,
 * `--cgroup`, `--inet-sockopt`, `--tipcinfo`, and the `dev`, `fwmark`, `cgroup` and `autobound`
 * filters. The lab has no /etc/services: ports print
 * as numbers with or without `-n` (Debian's /etc/services names none of the ports the lab's
 * tools use: 5201, 11111 and the ephemeral range, which ss never resolves), and a port given by
 * name in a filter is refused. `-Z`/`-z` and `-N` fail as on a Debian board without SELinux or
 * that namespace. The lab's iperf3 server listens on an IPv4 socket (`0.0.0.0:5201`), where the
 * real one listens on the IPv6 wildcard (`*:5201`). A UDP iperf3 server's per-stream sockets
 * (second sockets on its port) are not in the model's socket table and are not listed.
 */
import { formatIpv4, parseIpv4, TCPI_OPT, type TcpDiag, type TcpSocket, type TcpState, type UdpSocket } from '@ntbsim/net-core';
import type { Board } from '../lab/lab.js';
import { result, type Command, type CommandResult } from '../types.js';
import { GetoptError, getoptLong, type LongOption } from './argv.js';
import { cFixed, cGeneral } from './net/cformat.js';
import { getInteger } from './net/cparse.js';
import { IPROUTE2_VERSION } from './net/iproute2.js';

const USAGE = `Usage: ss [ OPTIONS ]
       ss [ OPTIONS ] [ FILTER ]
   -h, --help          this message
   -V, --version       output version information
   -n, --numeric       don't resolve service names
   -r, --resolve       resolve host names
   -a, --all           display all sockets
   -l, --listening     display listening sockets
   -o, --options       show timer information
   -e, --extended      show detailed socket information
   -m, --memory        show socket memory usage
   -p, --processes     show process using socket
   -i, --info          show internal TCP information
       --tipcinfo      show internal tipc socket information
   -s, --summary       show socket usage summary
       --tos           show tos and priority information
       --cgroup        show cgroup information
   -b, --bpf           show bpf filter socket information
   -E, --events        continually display sockets as they are destroyed
   -Z, --context       display process SELinux security contexts
   -z, --contexts      display process and socket SELinux security contexts
   -N, --net           switch to the specified network namespace name

   -4, --ipv4          display only IP version 4 sockets
   -6, --ipv6          display only IP version 6 sockets
   -0, --packet        display PACKET sockets
   -t, --tcp           display only TCP sockets
   -M, --mptcp         display only MPTCP sockets
   -S, --sctp          display only SCTP sockets
   -u, --udp           display only UDP sockets
   -d, --dccp          display only DCCP sockets
   -w, --raw           display only RAW sockets
   -x, --unix          display only Unix domain sockets
       --tipc          display only TIPC sockets
       --vsock         display only vsock sockets
   -f, --family=FAMILY display sockets of type FAMILY
       FAMILY := {inet|inet6|link|unix|netlink|vsock|tipc|xdp|help}

   -K, --kill          forcibly close sockets, display what was closed
   -H, --no-header     Suppress header line
   -O, --oneline       socket's data printed on a single line
       --inet-sockopt  show various inet socket options

   -A, --query=QUERY, --socket=QUERY
       QUERY := {all|inet|tcp|mptcp|udp|raw|unix|unix_dgram|unix_stream|unix_seqpacket|packet|netlink|vsock_stream|vsock_dgram|tipc}[,QUERY]

   -D, --diag=FILE     Dump raw information about TCP sockets to FILE
   -F, --filter=FILE   read filter information from FILE
       FILTER := [ state STATE-FILTER ] [ EXPRESSION ]
       STATE-FILTER := {all|connected|synchronized|bucket|big|TCP-STATES}
         TCP-STATES := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|closed|close-wait|last-ack|listening|closing}
          connected := {established|syn-sent|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}
       synchronized := {established|syn-recv|fin-wait-{1,2}|time-wait|close-wait|last-ack|closing}
             bucket := {syn-recv|time-wait}
                big := {established|syn-sent|fin-wait-{1,2}|closed|close-wait|last-ack|listening|closing}
`;

// ---- socket tables, families and states (ss.c's enums and default filters) ----------------

const enum Db {
  TCP,
  MPTCP,
  DCCP,
  UDP,
  RAW,
  UNIX_DG,
  UNIX_ST,
  UNIX_SQ,
  PACKET_DG,
  PACKET_R,
  NETLINK,
  SCTP,
  VSOCK_ST,
  VSOCK_DG,
  TIPC,
  XDP,
}

const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;
const AF_NETLINK = 16;
const AF_PACKET = 17;
const AF_TIPC = 30;
const AF_VSOCK = 40;
const AF_XDP = 44;

/** SS_* states in ss's (the kernel's TCP_*) numbering. */
const SS: Readonly<Record<TcpState, number>> = {
  ESTABLISHED: 1,
  SYN_SENT: 2,
  SYN_RECV: 3,
  FIN_WAIT1: 4,
  FIN_WAIT2: 5,
  TIME_WAIT: 6,
  CLOSED: 7,
  CLOSE_WAIT: 8,
  LAST_ACK: 9,
  LISTEN: 10,
  CLOSING: 11,
};
const SS_MAX = 12;
const SS_ALL = (1 << SS_MAX) - 1;
const bit = (s: number): number => 1 << s;
const SS_CONN = SS_ALL & ~(bit(SS.LISTEN) | bit(SS.CLOSED) | bit(SS.TIME_WAIT) | bit(SS.SYN_RECV));
const TIPC_SS_CONN = bit(SS.ESTABLISHED) | bit(SS.LISTEN) | bit(SS.CLOSED);

/** sock_state_print's names, by SS_* state. */
const SSTATE_NAME = ['UNKNOWN', 'ESTAB', 'SYN-SENT', 'SYN-RECV', 'FIN-WAIT-1', 'FIN-WAIT-2', 'TIME-WAIT', 'UNCONN', 'CLOSE-WAIT', 'LAST-ACK', 'LISTEN', 'CLOSING'];
/** scan_state's names, by SS_* state. */
const SSTATE_NAMEL = ['UNKNOWN', 'established', 'syn-sent', 'syn-recv', 'fin-wait-1', 'fin-wait-2', 'time-wait', 'unconnected', 'close-wait', 'last-ack', 'listening', 'closing'];

const INET_FAMS = [AF_INET, AF_INET6];
/** default_dbs: each table's states and families. */
const DEFAULT_DBS: readonly { readonly states: number; readonly families: readonly number[] }[] = [
  { states: SS_CONN, families: INET_FAMS },
  { states: SS_CONN, families: INET_FAMS },
  { states: SS_CONN, families: INET_FAMS },
  { states: bit(SS.ESTABLISHED), families: INET_FAMS },
  { states: bit(SS.ESTABLISHED), families: INET_FAMS },
  { states: bit(SS.CLOSED), families: [AF_UNIX] },
  { states: SS_CONN, families: [AF_UNIX] },
  { states: SS_CONN, families: [AF_UNIX] },
  { states: bit(SS.CLOSED), families: [AF_PACKET] },
  { states: bit(SS.CLOSED), families: [AF_PACKET] },
  { states: bit(SS.CLOSED), families: [AF_NETLINK] },
  { states: SS_CONN, families: INET_FAMS },
  { states: SS_CONN, families: [AF_VSOCK] },
  { states: SS_CONN, families: [AF_VSOCK] },
  { states: TIPC_SS_CONN, families: [AF_TIPC] },
  { states: bit(SS.CLOSED), families: [AF_XDP] },
];
const INET_DBM = [Db.TCP, Db.MPTCP, Db.UDP, Db.DCCP, Db.SCTP, Db.RAW];
/** default_afs: each family's tables and states. */
const DEFAULT_AFS: ReadonlyMap<number, { readonly dbs: readonly Db[]; readonly states: number }> = new Map([
  [AF_INET, { dbs: INET_DBM, states: SS_CONN }],
  [AF_INET6, { dbs: INET_DBM, states: SS_CONN }],
  [AF_UNIX, { dbs: [Db.UNIX_DG, Db.UNIX_ST, Db.UNIX_SQ], states: SS_CONN }],
  [AF_PACKET, { dbs: [Db.PACKET_DG, Db.PACKET_R], states: bit(SS.CLOSED) }],
  [AF_NETLINK, { dbs: [Db.NETLINK], states: bit(SS.CLOSED) }],
  [AF_VSOCK, { dbs: [Db.VSOCK_ST, Db.VSOCK_DG], states: SS_CONN }],
  [AF_TIPC, { dbs: [Db.TIPC], states: TIPC_SS_CONN }],
  [AF_XDP, { dbs: [Db.XDP], states: bit(SS.CLOSED) }],
]);

/** filter_db_parse's table names (`-A`). */
const DB_NAMES: ReadonlyMap<string, readonly Db[]> = new Map([
  ['all', [Db.UDP, Db.DCCP, Db.TCP, Db.MPTCP, Db.RAW, Db.UNIX_ST, Db.UNIX_DG, Db.UNIX_SQ, Db.PACKET_R, Db.PACKET_DG, Db.NETLINK, Db.SCTP, Db.VSOCK_ST, Db.VSOCK_DG, Db.XDP]],
  ['inet', [Db.UDP, Db.DCCP, Db.TCP, Db.MPTCP, Db.SCTP, Db.RAW]],
  ['udp', [Db.UDP]],
  ['dccp', [Db.DCCP]],
  ['tcp', [Db.TCP]],
  ['mptcp', [Db.MPTCP]],
  ['sctp', [Db.SCTP]],
  ['raw', [Db.RAW]],
  ['unix', [Db.UNIX_ST, Db.UNIX_DG, Db.UNIX_SQ]],
  ['unix_stream', [Db.UNIX_ST]],
  ['u_str', [Db.UNIX_ST]],
  ['unix_dgram', [Db.UNIX_DG]],
  ['u_dgr', [Db.UNIX_DG]],
  ['unix_seqpacket', [Db.UNIX_SQ]],
  ['u_seq', [Db.UNIX_SQ]],
  ['packet', [Db.PACKET_R, Db.PACKET_DG]],
  ['packet_raw', [Db.PACKET_R]],
  ['p_raw', [Db.PACKET_R]],
  ['packet_dgram', [Db.PACKET_DG]],
  ['p_dgr', [Db.PACKET_DG]],
  ['netlink', [Db.NETLINK]],
  ['vsock', [Db.VSOCK_ST, Db.VSOCK_DG]],
  ['vsock_stream', [Db.VSOCK_ST]],
  ['v_str', [Db.VSOCK_ST]],
  ['vsock_dgram', [Db.VSOCK_DG]],
  ['v_dgr', [Db.VSOCK_DG]],
  ['xdp', [Db.XDP]],
]);
/** `-A` names the lab can show (the others select tables it does not model). */
const MODELLED_QUERIES = new Set(['all', 'inet', 'tcp', 'udp']);

/** getopt_long's long options of ss: name, the option it stands for, whether it takes an argument. */
const LONG_OPTIONS: readonly LongOption[] = [
  ['numeric', 'n', false],
  ['resolve', 'r', false],
  ['options', 'o', false],
  ['extended', 'e', false],
  ['memory', 'm', false],
  ['info', 'i', false],
  ['processes', 'p', false],
  ['bpf', 'b', false],
  ['events', 'E', false],
  ['dccp', 'd', false],
  ['tcp', 't', false],
  ['sctp', 'S', false],
  ['udp', 'u', false],
  ['raw', 'w', false],
  ['unix', 'x', false],
  ['tipc', '--tipc', false],
  ['vsock', '--vsock', false],
  ['all', 'a', false],
  ['listening', 'l', false],
  ['ipv4', '4', false],
  ['ipv6', '6', false],
  ['packet', '0', false],
  ['family', 'f', true],
  ['socket', 'A', true],
  ['query', 'A', true],
  ['summary', 's', false],
  ['diag', 'D', true],
  ['filter', 'F', true],
  ['version', 'V', false],
  ['help', 'h', false],
  ['context', 'Z', false],
  ['contexts', 'z', false],
  ['net', 'N', true],
  ['tipcinfo', '--tipcinfo', false],
  ['tos', '--tos', false],
  ['cgroup', '--cgroup', false],
  ['kill', 'K', false],
  ['no-header', 'H', false],
  ['xdp', '--xdp', false],
  ['mptcp', 'M', false],
  ['oneline', 'O', false],
  ['inet-sockopt', '--inet-sockopt', false],
];
const SHORT_OPTIONS = 'dhaletuwxnro460spbEf:mMiA:D:F:vVzZN:KHSO';

/** Options ss 6.1 has that the lab refuses, and why. */
const UNMODELLED: Readonly<Record<string, string>> = {
  r: '-r (the lab has no resolver: addresses print numerically)',
  e: "-e (cgroups are not modelled, and inet_diag reports each full socket's cgroup, which -e prints)",
  m: '-m (sk_drops of TCP sockets and the forward allocation of UDP sockets are not modelled)',
  p: "-p (the lab's processes have no PIDs and no file descriptors)",
  b: '-b (no BPF socket filters)',
  E: '-E (the lab runs no event listeners)',
  K: '-K (sockets cannot be killed)',
  s: '-s (/proc/net/sockstat is not modelled)',
  D: '-D (no raw inet_diag dumps)',
  F: '-F (filters from files are not read)',
  d: '-d (DCCP sockets are not modelled)',
  S: '-S (SCTP sockets are not modelled)',
  M: '-M (MPTCP sockets are not modelled)',
  w: '-w (raw sockets are not modelled)',
  x: '-x (Unix domain sockets are not modelled)',
  '0': '-0 (packet sockets are not modelled)',
  '--tipc': '--tipc (TIPC sockets are not modelled)',
  '--vsock': '--vsock (vsock sockets are not modelled)',
  '--xdp': '--xdp (XDP sockets are not modelled)',
  '--tipcinfo': '--tipcinfo (TIPC sockets are not modelled)',
  '--tos': '--tos (TOS and traffic classes are not reported)',
  '--cgroup': '--cgroup (cgroups are not modelled)',
  '--inet-sockopt': '--inet-sockopt (socket options are not reported)',
};

// ---- command line ----------------------------------------------------------------------------

/** What the command line asked for (ss's globals and `current_filter`). */
interface SsOptions {
  numeric: boolean;
  tcpinfo: boolean;
  /** show_options: `-o` (and `-e`, `-b`): the timer, and tcpi_options' flags in the `-i` line. */
  options: boolean;
  header: boolean;
  oneline: boolean;
  dbs: Set<Db>;
  families: Set<number>;
  states: number;
  stateFilter: number;
  doDefault: boolean;
  sawQuery: boolean;
  preferredFamily: number;
  /** The first option asking for what the lab does not model. */
  refused: string | null;
  filter: Filter | null;
}

/** A parse that ends the command: its result. */
class SsExit extends Error {
  constructor(readonly result: CommandResult) {
    super(result.stderr);
  }
}

/** usage(): the usage on stderr, exit(-1). */
function usage(prefix = ''): SsExit {
  return new SsExit(result('', prefix + USAGE, 255));
}

function dbSet(o: SsOptions, db: Db, enable: boolean): void {
  if (enable) {
    o.states |= (DEFAULT_DBS[db] as { states: number }).states;
    o.dbs.add(db);
  } else o.dbs.delete(db);
  o.doDefault = false;
}

function afSet(o: SsOptions, af: number): void {
  o.states |= DEFAULT_AFS.get(af)?.states ?? 0;
  o.families.add(af);
  o.doDefault = false;
  o.preferredFamily = af;
}

function refuse(o: SsOptions, what: string): void {
  o.refused ??= what;
}

/** filter_db_parse for one `-A` name (a leading `!` disables); false for an unknown name. */
function dbParse(o: SsOptions, name: string): boolean {
  const enable = !name.startsWith('!');
  const n = enable ? name : name.slice(1);
  const dbs = DB_NAMES.get(n);
  if (dbs === undefined) return false;
  if (enable && !MODELLED_QUERIES.has(n)) refuse(o, `-A ${n} (only TCP and UDP sockets are modelled)`);
  for (const db of dbs) dbSet(o, db, enable);
  return true;
}

const FAMILIES: ReadonlyMap<string, number> = new Map([
  ['inet', AF_INET],
  ['inet6', AF_INET6],
  ['link', AF_PACKET],
  ['unix', AF_UNIX],
  ['netlink', AF_NETLINK],
  ['tipc', AF_TIPC],
  ['vsock', AF_VSOCK],
  ['xdp', AF_XDP],
]);

/** Apply option `c` (a short option, or `--name` for the long-only ones) with its argument. */
function applyOption(o: SsOptions, c: string, arg: string | undefined): void {
  const unmodelled = UNMODELLED[c];
  if (unmodelled !== undefined) refuse(o, unmodelled);
  switch (c) {
    case 'n':
      o.numeric = true;
      return;
    case 'i':
      o.tcpinfo = true;
      return;
    case 'o':
    case 'e':
    case 'b':
      o.options = true;
      return;
    case 'H':
      o.header = false;
      return;
    case 'O':
      o.oneline = true;
      return;
    case 't':
      return dbSet(o, Db.TCP, true);
    case 'u':
      return dbSet(o, Db.UDP, true);
    case 'd':
      return dbSet(o, Db.DCCP, true);
    case 'S':
      return dbSet(o, Db.SCTP, true);
    case 'w':
      return dbSet(o, Db.RAW, true);
    case 'M':
      return dbSet(o, Db.MPTCP, true);
    case 'x':
      return afSet(o, AF_UNIX);
    case '--vsock':
      return afSet(o, AF_VSOCK);
    case '--tipc':
      return afSet(o, AF_TIPC);
    case '--xdp':
      return afSet(o, AF_XDP);
    case '0':
      return afSet(o, AF_PACKET);
    case '4':
      return afSet(o, AF_INET);
    case '6':
      return afSet(o, AF_INET6);
    case 'a':
      o.stateFilter = SS_ALL;
      return;
    case 'l':
      o.stateFilter = bit(SS.LISTEN) | bit(SS.CLOSED);
      return;
    case 'f': {
      const a = arg ?? '';
      if (a === 'help') throw new SsExit(result(USAGE));
      const af = FAMILIES.get(a);
      if (af === undefined) throw usage(`ss: "${a}" is invalid family\n`);
      if (af !== AF_INET && af !== AF_INET6) refuse(o, `-f ${a} (only the IPv4 stack's TCP and UDP sockets are modelled)`);
      return afSet(o, af);
    }
    case 'A': {
      if (!o.sawQuery) {
        o.dbs.clear();
        o.stateFilter = o.stateFilter !== 0 ? o.stateFilter : SS_CONN;
        o.sawQuery = true;
        o.doDefault = false;
      }
      for (const name of (arg ?? '').split(',')) if (!dbParse(o, name)) throw usage(`ss: "${name}" is illegal socket table id\n`);
      return;
    }
    case 'v':
    case 'V':
      throw new SsExit(result(`ss utility, iproute2-${IPROUTE2_VERSION}\n`));
    case 'z':
    case 'Z':
      throw new SsExit(result('', 'ss: SELinux is not enabled.\n', 1));
    case 'N':
      throw new SsExit(result('', `Cannot open network namespace "${arg ?? ''}": No such file or directory\n`, 1));
    case 'h':
      throw new SsExit(result(USAGE));
    default:
      // The refused ones (-r -m -p -E -K -s -D -F and the long-only ones; -e and -b above) were noted above.
      return;
  }
}

/** getopt_long over SHORT_OPTIONS and LONG_OPTIONS; the operands (the filter) in order. */
function parseOptions(args: readonly string[]): { o: SsOptions; operands: string[] } {
  const o: SsOptions = {
    numeric: false,
    tcpinfo: false,
    options: false,
    header: true,
    oneline: false,
    dbs: new Set(),
    families: new Set(),
    states: 0,
    stateFilter: 0,
    doDefault: true,
    sawQuery: false,
    preferredFamily: 0,
    refused: null,
    filter: null,
  };
  const operands: string[] = [];
  try {
    for (const item of getoptLong(args, SHORT_OPTIONS, LONG_OPTIONS, 'ss')) {
      if (item.kind === 'operand') operands.push(item.text);
      else applyOption(o, item.c, item.arg);
    }
  } catch (e) {
    if (e instanceof GetoptError) throw usage(`${e.message}\n`);
    throw e;
  }
  return { o, operands };
}

/** scan_state: the state bits of a state name or group; exit(-1) for an unknown one. */
function scanState(name: string): number {
  const s = name.toLowerCase();
  if (s === 'close' || s === 'closed') return bit(SS.CLOSED);
  if (s === 'syn-rcv') return bit(SS.SYN_RECV);
  if (s === 'established') return bit(SS.ESTABLISHED);
  if (s === 'all') return SS_ALL;
  if (s === 'connected') return SS_ALL & ~(bit(SS.CLOSED) | bit(SS.LISTEN));
  if (s === 'synchronized') return SS_ALL & ~(bit(SS.CLOSED) | bit(SS.LISTEN) | bit(SS.SYN_SENT));
  if (s === 'bucket') return bit(SS.SYN_RECV) | bit(SS.TIME_WAIT);
  if (s === 'big') return SS_ALL & ~(bit(SS.SYN_RECV) | bit(SS.TIME_WAIT));
  const i = SSTATE_NAMEL.indexOf(s);
  if (i >= 0) return bit(i);
  throw new SsExit(result('', `ss: wrong state name: ${name}\n`, 255));
}

/** main()'s `state`/`exclude` words; returns the rest (the filter expression). */
function parseStates(o: SsOptions, operands: readonly string[]): string[] {
  let saw = false;
  let i = 0;
  for (; i < operands.length; i++) {
    const w = operands[i] as string;
    const exclude = w === 'exclude' || w === 'excl';
    if (w !== 'state' && !exclude) break;
    const name = operands[++i];
    if (name === undefined) throw new SsExit(result('', 'Command line is not complete. Try option "help"\n', 255));
    if (exclude) {
      if (!saw) o.stateFilter = SS_ALL;
      o.stateFilter &= ~scanState(name);
    } else {
      if (!saw) o.stateFilter = 0;
      o.stateFilter |= scanState(name);
    }
    saw = true;
  }
  return operands.slice(i);
}

/** filter_merge_defaults: tables bring their families, families their tables. */
function mergeDefaults(o: SsOptions): void {
  for (const db of o.dbs) {
    const fams = (DEFAULT_DBS[db] as { families: readonly number[] }).families;
    if (!fams.some((f) => o.families.has(f))) for (const f of fams) o.families.add(f);
  }
  for (const [af, d] of DEFAULT_AFS) {
    if (o.families.has(af) && !d.dbs.some((db) => o.dbs.has(db))) for (const db of d.dbs) o.dbs.add(db);
  }
}

// ---- filter expressions (ssfilter.y) -----------------------------------------------------------

/** A parsed filter (struct ssfilter). */
type Filter =
  | { readonly kind: 'and' | 'or'; readonly a: Filter; readonly b: Filter }
  | { readonly kind: 'not'; readonly a: Filter }
  | { readonly kind: 'scond' | 'dcond'; readonly cond: HostCond }
  | { readonly kind: 'sge' | 'sle' | 'dge' | 'dle'; readonly port: number };

/** An aafilter: a port (-1 any) and an IPv4 prefix (bits 0: any address). */
interface HostCond {
  readonly port: number;
  readonly addr: number;
  readonly bits: number;
}

/** ssfilter.y's tokens: keywords and operators by their spellings. */
const TOKENS: ReadonlyMap<string, string> = new Map([
  ...['!', 'not'].map((s): [string, string] => [s, '!']),
  ...['&', '&&', 'and'].map((s): [string, string] => [s, '&']),
  ...['|', '||', 'or'].map((s): [string, string] => [s, '|']),
  ['(', '('],
  [')', ')'],
  ['dst', 'DCOND'],
  ['src', 'SCOND'],
  ['dport', 'DPORT'],
  ['sport', 'SPORT'],
  ['dev', 'DEVNAME'],
  ['fwmark', 'FWMARK'],
  ['cgroup', 'CGROUPPATH'],
  ...['>=', 'ge', 'geq'].map((s): [string, string] => [s, 'GEQ']),
  ...['<=', 'le', 'leq'].map((s): [string, string] => [s, 'LEQ']),
  ...['!=', 'ne', 'neq'].map((s): [string, string] => [s, 'NEQ']),
  ...['=', '==', 'eq'].map((s): [string, string] => [s, '=']),
  ...['>', 'gt'].map((s): [string, string] => [s, '>']),
  ...['<', 'lt'].map((s): [string, string] => [s, '<']),
  ['autobound', 'AUTOBOUND'],
]);

/** A token: its type, and the condition of a HOSTCOND. */
interface Token {
  readonly type: string;
  readonly cond?: HostCond;
}

const PARSE_FAIL = (): SsExit => new SsExit(result('', 'Cannot parse dst/src address.\n', 1));

/** get_addr_ipv4: up to four dot-separated strtoul(…, 0) parts, each ≤ 255; null otherwise. */
function getAddrIpv4(s: string): number | null {
  const parts = s.split('.');
  if (parts.length > 4 || parts.some((p) => !/^(0[xX][0-9a-fA-F]+|[0-9]+)$/.test(p))) return null;
  let v = 0;
  for (let i = 0; i < 4; i++) {
    const p = parts[i];
    const n = p === undefined ? 0 : /^0[xX]/.test(p) ? Number.parseInt(p, 16) : p.length > 1 && p.startsWith('0') ? Number.parseInt(p, 8) : Number(p);
    if (Number.isNaN(n) || n > 255) return null;
    v = v * 256 + n;
  }
  return v;
}

/** parse_hostcond for an IPv4 `[addr][/len][:port]` (`is_port`: a port alone); exit(1) as ss does on a bad one. */
function parseHostcond(text: string, isPort: boolean): HostCond {
  let addr = text;
  let port: string | null;
  if (addr.startsWith('[')) {
    const close = addr.indexOf(']');
    if (close < 0) throw PARSE_FAIL();
    port = addr.slice(close + 1);
    addr = addr.slice(1, close);
  } else if (addr.startsWith('*')) {
    port = addr.slice(1);
    addr = '*';
  } else {
    const slash = addr.indexOf('/');
    const colon = addr.lastIndexOf(':');
    port = colon >= 0 && colon > slash ? addr.slice(colon) : null;
    if (port !== null) addr = addr.slice(0, colon);
  }
  if (isPort) port = text;
  let p = -1;
  if (port !== null && port !== '') {
    const q = port.startsWith(':') ? port.slice(1) : port;
    if (q !== '' && !q.startsWith('*')) {
      const n = getInteger(q);
      if (n === null) {
        if (/^[A-Za-z]/.test(q)) throw new SsExit(result('', `ss: the lab has no /etc/services: give port "${q}" as a number\n`, 1));
        throw new SsExit(result('', `Error: "${q}" does not look like a port.\nCannot parse dst/src address.\n`, 1));
      }
      p = n;
    }
  }
  if (isPort || addr === '' || addr === '*') return { port: p, addr: 0, bits: 0 };
  const slash = addr.indexOf('/');
  const host = slash < 0 ? addr : addr.slice(0, slash);
  const a = getAddrIpv4(host);
  const len = slash < 0 ? 32 : /^[0-9]+$/.test(addr.slice(slash + 1)) ? Number(addr.slice(slash + 1)) : NaN;
  if (a === null || !(len <= 32)) throw new SsExit(result('', `Error: an inet prefix is expected rather than "${addr}".\nCannot parse dst/src address.\n`, 1));
  return { port: p, addr: a, bits: len };
}

/** ssfilter.y's lexer over the filter words (split on blanks, backslash escapes) and its LALR grammar as recursive descent. */
class FilterParser {
  private readonly words: string[];
  private i = 0;
  private tokType = '';
  private peeked: Token | null | undefined = undefined;

  constructor(operands: readonly string[]) {
    this.words = operands.flatMap((w) => {
      const out: string[] = [];
      for (const m of w.matchAll(/(?:\\.|\\$|[^ \t\\])+/gs)) out.push(m[0].replace(/\\(.?)/gs, '$1'));
      return out;
    });
  }

  /** yylex: the next token, null at the end. */
  private lex(): Token | null {
    const w = this.words[this.i++];
    if (w === undefined) return null;
    const t = TOKENS.get(w);
    if (t !== undefined) {
      if (['DCOND', 'SCOND', 'DPORT', 'SPORT', 'DEVNAME', 'FWMARK', 'CGROUPPATH', 'AUTOBOUND'].includes(t)) this.tokType = t;
      return { type: t };
    }
    if (this.tokType === 'DEVNAME' || this.tokType === 'FWMARK' || this.tokType === 'CGROUPPATH') throw new SsExit(result('', `ss: the lab does not model ${this.tokType === 'DEVNAME' ? 'dev' : this.tokType === 'FWMARK' ? 'fwmark' : 'cgroup'} filters\n`, 1));
    return { type: 'HOSTCOND', cond: parseHostcond(w, this.tokType === 'SPORT' || this.tokType === 'DPORT') };
  }

  private peek(): Token | null {
    if (this.peeked === undefined) this.peeked = this.lex();
    return this.peeked;
  }

  private take(): Token | null {
    const t = this.peek();
    this.peeked = undefined;
    return t;
  }

  private static syntaxError(): SsExit {
    return usage('ss: bison bellows (while parsing filter): "syntax error!" Sorry.\n');
  }

  /** applet: an exprlist, or nothing. */
  parse(): Filter | null {
    if (this.peek() === null) return null;
    const f = this.exprlist();
    if (this.peek() !== null) throw FilterParser.syntaxError();
    return f;
  }

  /** exprlist: expr, then (`|` | `&` | nothing) expr, left to right. */
  private exprlist(): Filter {
    let f = this.expr();
    for (let t = this.peek(); t !== null && t.type !== ')'; t = this.peek()) {
      if (t.type === '|' || t.type === '&') this.take();
      f = { kind: t.type === '|' ? 'or' : 'and', a: f, b: this.expr() };
    }
    return f;
  }

  private hostcond(): HostCond {
    const t = this.take();
    if (t?.cond === undefined) throw FilterParser.syntaxError();
    return t.cond;
  }

  private expr(): Filter {
    const t = this.take();
    switch (t?.type) {
      case '(': {
        const f = this.exprlist();
        if (this.take()?.type !== ')') throw FilterParser.syntaxError();
        return f;
      }
      case '!':
        return { kind: 'not', a: this.expr() };
      case 'DCOND':
      case 'SCOND': {
        if (this.peek()?.type === '=') this.take();
        return { kind: t.type === 'DCOND' ? 'dcond' : 'scond', cond: this.hostcond() };
      }
      case 'DPORT':
      case 'SPORT':
        return this.portExpr(t.type === 'DPORT' ? 'd' : 's');
      case 'AUTOBOUND':
        throw new SsExit(result('', 'ss: the lab does not model autobound filters\n', 1));
      case 'DEVNAME':
      case 'FWMARK':
      case 'CGROUPPATH':
        throw new SsExit(result('', `ss: the lab does not model ${t.type === 'DEVNAME' ? 'dev' : t.type === 'FWMARK' ? 'fwmark' : 'cgroup'} filters\n`, 1));
      case undefined:
      default:
        throw FilterParser.syntaxError();
    }
  }

  /** `dport`/`sport` OP HOSTCOND: `>` is not ≤, `<` is not ≥, `!=` is not =. */
  private portExpr(side: 's' | 'd'): Filter {
    const op = this.peek()?.type;
    if (op === 'GEQ' || op === 'LEQ' || op === '>' || op === '<' || op === 'NEQ' || op === '=') this.take();
    const cond = this.hostcond();
    const ge = { kind: side === 's' ? 'sge' : 'dge', port: cond.port } as const;
    const le = { kind: side === 's' ? 'sle' : 'dle', port: cond.port } as const;
    const eq: Filter = { kind: side === 's' ? 'scond' : 'dcond', cond };
    switch (op) {
      case 'GEQ':
        return ge;
      case 'LEQ':
        return le;
      case '>':
        return { kind: 'not', a: le };
      case '<':
        return { kind: 'not', a: ge };
      case 'NEQ':
        return { kind: 'not', a: eq };
      case undefined:
      default:
        return eq;
    }
  }
}

/** What run_ssfilter looks at. */
interface SockEnds {
  readonly laddr: number;
  readonly lport: number;
  readonly raddr: number;
  readonly rport: number;
}

function condMatch(c: HostCond, addr: number, port: number): boolean {
  if (c.port !== -1 && c.port !== port) return false;
  if (c.bits === 0) return true;
  const shift = 32 - c.bits;
  return Math.floor(addr / 2 ** shift) === Math.floor(c.addr / 2 ** shift);
}

/** run_ssfilter. */
function runFilter(f: Filter, s: SockEnds): boolean {
  switch (f.kind) {
    case 'and':
      return runFilter(f.a, s) && runFilter(f.b, s);
    case 'or':
      return runFilter(f.a, s) || runFilter(f.b, s);
    case 'not':
      return !runFilter(f.a, s);
    case 'scond':
      return condMatch(f.cond, s.laddr, s.lport);
    case 'dcond':
      return condMatch(f.cond, s.raddr, s.rport);
    case 'sge':
      return s.lport >= f.port;
    case 'sle':
      return s.lport <= f.port;
    case 'dge':
      return s.rport >= f.port;
    case 'dle':
      return s.rport <= f.port;
  }
}

// ---- output (ss's column buffer) -------------------------------------------------------------

const COL_NETID = 0;
const COL_STATE = 1;
const COL_RECVQ = 2;
const COL_SENDQ = 3;
const COL_ADDR = 4;
const COL_LAST = 9;

/** columns[]: alignment, header, left delimiter. */
const COLUMNS: readonly { readonly right: boolean; readonly header: string; readonly ldelim: string }[] = [
  { right: false, header: 'Netid', ldelim: '' },
  { right: false, header: 'State', ldelim: ' ' },
  { right: false, header: 'Recv-Q', ldelim: ' ' },
  { right: false, header: 'Send-Q', ldelim: ' ' },
  { right: true, header: 'Local Address:', ldelim: ' ' },
  { right: false, header: 'Port', ldelim: '' },
  { right: true, header: 'Peer Address:', ldelim: ' ' },
  { right: false, header: 'Port', ldelim: '' },
  { right: false, header: 'Process', ldelim: '' },
  { right: false, header: '', ldelim: '' },
];

/** The field buffer: tokens of the non-disabled columns in order, the current one, and each column's longest flushed field. */
class Fields {
  private readonly disabled = COLUMNS.map(() => false);
  private readonly maxLen = COLUMNS.map(() => 0);
  private readonly tokens: string[] = [];
  private started = false;
  private cur = 0;
  private buf = '';

  /** Hide column `col` (no fields are stored for it). */
  disable(col: number): void {
    this.disabled[col] = true;
  }

  /** out(): append to the current field. */
  out(text: string): void {
    if (this.disabled[this.cur] === true) return;
    this.started = true;
    this.buf += text;
  }

  /** field_next: flush the current field and move to the next column (wrapping after the last). */
  next(): void {
    if (this.disabled[this.cur] !== true) {
      this.maxLen[this.cur] = Math.max(this.maxLen[this.cur] as number, this.buf.length);
      this.tokens.push(this.buf);
      this.buf = '';
    }
    this.cur = this.cur === COL_LAST ? 0 : this.cur + 1;
  }

  /** field_set: flush fields up to column `col`. */
  set(col: number): void {
    while (this.cur !== col) this.next();
  }

  /** print_header: every shown column's header. */
  header(): void {
    while (this.cur !== COL_LAST) {
      if (this.disabled[this.cur] !== true) this.out((COLUMNS[this.cur] as { header: string }).header);
      this.next();
    }
  }

  /** render_calc_width (compact: no tty) and render. */
  render(): string {
    if (!this.started) return '';
    const width = COLUMNS.map(() => 0);
    let first = true;
    COLUMNS.forEach((c, i) => {
      if (this.disabled[i] === true) return;
      const m = this.maxLen[i] as number;
      width[i] = !first && m > 0 ? m + c.ldelim.length : m;
      if (width[i] !== 0) first = false;
    });
    let f = 0;
    while (width[f] === 0) f++;
    let out = '';
    let lineStarted = false;
    for (const token of [...this.tokens, this.buf]) {
      const col = COLUMNS[f] as (typeof COLUMNS)[number];
      const w = width[f] as number;
      let printed = 0;
      if (lineStarted) {
        out += col.ldelim;
        printed = col.ldelim.length;
      }
      lineStarted = true;
      if (w > 0 && col.right && w - token.length - printed > 0) {
        const s = w - token.length - printed;
        out += ' '.repeat(s);
        printed += s;
      }
      out += token;
      printed += token.length;
      if (w > 0 && !col.right && w - printed > 0) out += ' '.repeat(w - printed);
      do {
        if (f === COL_LAST) {
          out += '\n';
          f = 0;
          lineStarted = false;
        } else f++;
      } while (this.disabled[f] === true);
    }
    return lineStarted ? `${out}\n` : out;
  }
}

// ---- sockets ---------------------------------------------------------------------------------

/** sprint_bw: bits per second with -n as `%.0f`, else `%.3g` and an SI prefix. */
function sprintBw(bw: number, numeric: boolean): string {
  if (numeric) return cFixed(bw, 0);
  if (bw >= 1e12) return `${cGeneral(bw / 1e12, 3)}T`;
  if (bw >= 1e9) return `${cGeneral(bw / 1e9, 3)}G`;
  if (bw >= 1e6) return `${cGeneral(bw / 1e6, 3)}M`;
  if (bw >= 1e3) return `${cGeneral(bw / 1e3, 3)}k`;
  return cGeneral(bw, 6);
}

const ms = (us: number): string => cGeneral(us / 1000, 6);

/** tcpi_options' flags tcp_stats_print writes before the congestion control, with show_options only. */
const OPTION_FLAGS: readonly (readonly [number, string])[] = [
  [TCPI_OPT.TIMESTAMPS, ' ts'],
  [TCPI_OPT.SACK, ' sack'],
  [TCPI_OPT.ECN, ' ecn'],
  [TCPI_OPT.ECN_SEEN, ' ecnseen'],
  [TCPI_OPT.SYN_DATA, ' fastopen'],
];

/** tcp_show_info's `tcp_stats_print` for a full socket (listener or connection); `options`: show_options. */
function tcpStats(sock: TcpSocket, numeric: boolean, options: boolean): string {
  if (sock.state === 'LISTEN') {
    // tcp_get_info for a listener: no tcpi_options; reordering, cwnd, the accept queue as unacked, the backlog as sacked (not printed).
    const parts = [` ${sock.congestion}`];
    if (sock.cwnd !== 0) parts.push(` cwnd:${sock.cwnd}`);
    if (sock.acceptQueueLen !== 0) parts.push(` unacked:${sock.acceptQueueLen}`);
    if (sock.reorderingSegs !== 3) parts.push(` reordering:${sock.reorderingSegs}`);
    return parts.join('');
  }
  const i = sock.tcpInfo();
  const parts = options ? OPTION_FLAGS.filter(([bit]) => (i.options & bit) !== 0).map(([, name]) => name) : [];
  parts.push(` ${sock.congestion}`);
  const add = (cond: boolean, text: () => string): void => {
    if (cond) parts.push(text());
  };
  const ws = sock.windowScale;
  add(ws !== null, () => ` wscale:${ws?.snd ?? 0},${ws?.rcv ?? 0}`);
  add(i.rto !== 0 && i.rto !== 3_000_000, () => ` rto:${ms(i.rto)}`);
  add(i.backoff !== 0, () => ` backoff:${i.backoff}`);
  add(i.rtt !== 0, () => ` rtt:${ms(i.rtt)}/${ms(i.rttvar)}`);
  add(i.ato !== 0, () => ` ato:${ms(i.ato)}`);
  add(i.sndMss !== 0, () => ` mss:${i.sndMss}`);
  add(i.pmtu !== 0, () => ` pmtu:${i.pmtu}`);
  add(i.rcvMss !== 0, () => ` rcvmss:${i.rcvMss}`);
  add(i.advmss !== 0, () => ` advmss:${i.advmss}`);
  add(i.sndCwnd !== 0, () => ` cwnd:${i.sndCwnd}`);
  add(i.sndSsthresh < 0xffff && i.sndSsthresh !== 0, () => ` ssthresh:${i.sndSsthresh}`);
  add(i.bytesSent !== 0, () => ` bytes_sent:${i.bytesSent}`);
  add(i.bytesRetrans !== 0, () => ` bytes_retrans:${i.bytesRetrans}`);
  add(i.bytesAcked !== 0, () => ` bytes_acked:${i.bytesAcked}`);
  add(i.bytesReceived !== 0, () => ` bytes_received:${i.bytesReceived}`);
  add(i.segsOut !== 0, () => ` segs_out:${i.segsOut}`);
  add(i.segsIn !== 0, () => ` segs_in:${i.segsIn}`);
  add(i.dataSegsOut !== 0, () => ` data_segs_out:${i.dataSegsOut}`);
  add(i.dataSegsIn !== 0, () => ` data_segs_in:${i.dataSegsIn}`);
  add(i.rtt > 0 && i.sndMss !== 0 && i.sndCwnd !== 0, () => ` send ${sprintBw((i.sndCwnd * i.sndMss * 8_000_000) / i.rtt, numeric)}bps`);
  const pacing = sock.pacingRateBytes;
  add(pacing !== 0, () => ` pacing_rate ${sprintBw(pacing * 8, numeric)}bps`);
  add(sock.deliveredSegs !== 0, () => ` delivered:${sock.deliveredSegs}`);
  add(i.unacked !== 0, () => ` unacked:${i.unacked}`);
  add(i.retrans !== 0 || i.totalRetrans !== 0, () => ` retrans:${i.retrans}/${i.totalRetrans}`);
  add(i.lost !== 0, () => ` lost:${i.lost}`);
  add(i.sacked !== 0, () => ` sacked:${i.sacked}`);
  add(sock.reorderingSegs !== 3, () => ` reordering:${sock.reorderingSegs}`);
  add(i.rcvRtt !== 0, () => ` rcv_rtt:${ms(i.rcvRtt)}`);
  add(i.rcvSpace !== 0, () => ` rcv_space:${i.rcvSpace}`);
  add(i.rcvSsthresh !== 0, () => ` rcv_ssthresh:${i.rcvSsthresh}`);
  add(i.notsentBytes !== 0, () => ` notsent:${i.notsentBytes}`);
  add(i.minRtt !== 0 && i.minRtt !== 0xffffffff, () => ` minrtt:${ms(i.minRtt)}`);
  add(i.sndWnd !== 0, () => ` snd_wnd:${i.sndWnd}`);
  return parts.join('');
}

/** One socket as inet_diag reports it. */
interface DiagSock extends SockEnds {
  readonly netid: 'tcp' | 'udp';
  readonly state: number;
  readonly rq: number;
  readonly wq: number;
  /** idiag_timer, idiag_expires (ms) and idiag_retrans (UDP: no timer). */
  readonly timer: Pick<TcpDiag, 'timer' | 'expires' | 'retrans'>;
  /** tcp_show_info's text (with -i), '' when the socket has no INET_DIAG_INFO (timewait, request socks). */
  readonly info: (numeric: boolean, options: boolean) => string;
}

function tcpDiag(sock: TcpSocket): DiagSock {
  const listen = sock.state === 'LISTEN';
  const d = sock.diag();
  // Timewait and request socks: no queues and no tcp_info.
  const mini = d.kind !== 'full';
  return {
    netid: 'tcp',
    state: SS[sock.state],
    rq: listen ? sock.acceptQueueLen : mini ? 0 : sock.unreadSeq,
    wq: listen ? sock.acceptBacklog : mini ? 0 : sock.unackedSeq,
    laddr: sock.laddr,
    lport: sock.lport,
    raddr: sock.raddr,
    rport: sock.rport,
    timer: d,
    info: (numeric, options) => (mini ? '' : tcpStats(sock, numeric, options)),
  };
}

/** inet_sk_diag_fill without an inet_connection_sock (UDP): no timer. */
const NO_TIMER = { timer: 0, expires: 0, retrans: 0 } as const;

function udpDiag(board: Board, sock: UdpSocket): DiagSock {
  const peer = sock.remoteAddress();
  const raddr = peer === null ? 0 : parseIpv4(peer.addr);
  // A connected socket's rcv_saddr is the route's source (ip4_datagram_connect).
  const laddr = peer === null ? 0 : (board.stack.route(raddr)?.src ?? 0);
  return {
    netid: 'udp',
    state: peer === null ? SS.CLOSED : SS.ESTABLISHED,
    rq: sock.rmemAlloc,
    wq: sock.wmemAlloc,
    laddr,
    lport: sock.lport,
    raddr,
    rport: peer?.port ?? 0,
    timer: NO_TIMER,
    info: () => '',
  };
}

/** The sockets ss shows, in its order: UDP (by port), then TCP listeners, then the established hash. */
function sockets(board: Board, o: SsOptions): DiagSock[] {
  if (!o.families.has(AF_INET)) return [];
  const tables = board.stack.socketTables();
  const out: DiagSock[] = [];
  if (o.dbs.has(Db.UDP)) {
    const udp = [...tables.udp.values()].filter((s) => !s.closed).sort((a, b) => a.lport - b.lport);
    out.push(...udp.map((s) => udpDiag(board, s)));
  }
  if (o.dbs.has(Db.TCP)) out.push(...[...tables.tcpListeners.values(), ...tables.tcpConns.values()].map(tcpDiag));
  return out.filter((s) => (o.states & bit(s.state)) !== 0 && (o.filter === null || runFilter(o.filter, s)));
}

/** print_ms_timer (ss 6.1): minutes, seconds with a `.` before milliseconds (`1.574ms`, the old form), `sec` or `ms`; '' for 0. */
function printMsTimer(timeout: number): string {
  let secs = Math.floor(timeout / 1000);
  const minutes = Math.floor(secs / 60);
  secs %= 60;
  let msecs = timeout % 1000;
  let buf = '';
  if (minutes !== 0) {
    msecs = 0;
    buf = `${minutes}min`;
    if (minutes > 9) secs = 0;
  }
  if (secs !== 0) {
    if (secs > 9) msecs = 0;
    buf += `${secs}${msecs !== 0 ? '.' : 'sec'}`;
  }
  if (msecs !== 0) buf += `${String(msecs).padStart(3, '0')}ms`;
  return buf;
}

/** tcp_timer_print's names by idiag_timer (above 4: unknown). */
const TIMER_NAME = ['off', 'on', 'keepalive', 'timewait', 'persist', 'unknown'];

/** inet_stats_print, then tcp_timer_print with -o, then tcp_show_info with -i, for one socket. */
function printSock(fields: Fields, s: DiagSock, o: SsOptions): void {
  fields.set(COL_NETID);
  fields.out(s.netid);
  fields.set(COL_STATE);
  fields.out(SSTATE_NAME[s.state] as string);
  fields.set(COL_RECVQ);
  fields.out(String(s.rq).padEnd(6));
  fields.set(COL_SENDQ);
  fields.out(String(s.wq).padEnd(6));
  fields.set(COL_ADDR);
  for (const [addr, port] of [
    [s.laddr, s.lport],
    [s.raddr, s.rport],
  ] as const) {
    fields.out(`${formatIpv4(addr)}:`);
    fields.next();
    fields.out(port === 0 ? '*' : String(port));
    fields.next();
  }
  const t = s.timer;
  if (o.options && t.timer !== 0) fields.out(` timer:(${TIMER_NAME[Math.min(t.timer, 5)] as string},${printMsTimer(t.expires)},${t.retrans})`);
  if (o.tcpinfo && s.netid !== 'udp') {
    if (!o.oneline) fields.out('\n\t');
    fields.out(s.info(o.numeric, o.options));
  }
}

/** main() after getopt: filters, checks, header, the tables. */
function run(board: Board, o: SsOptions, operands: readonly string[]): CommandResult {
  if (o.refused !== null) return result('', `ss: the lab models the TCP and UDP sockets of the board's IPv4 stack only: ${o.refused} is not supported\n`, 1);
  const expr = parseStates(o, operands);
  if (o.doDefault) {
    o.stateFilter = o.stateFilter !== 0 ? o.stateFilter : SS_CONN;
    dbParse(o, 'all');
  }
  if (o.stateFilter !== 0) o.states = o.stateFilter;
  mergeDefaults(o);
  if (o.dbs.size === 0) return result('', 'ss: no socket tables to show with such filter.\n', 0);
  if (o.families.size === 0) return result('', 'ss: no families to show with such filter.\n', 0);
  if (o.states === 0) return result('', 'ss: no socket states to show with such filter.\n', 0);
  o.filter = new FilterParser(expr).parse();
  const fields = new Fields();
  if (o.dbs.size === 1) fields.disable(COL_NETID);
  if ((o.states & (o.states - 1)) === 0) fields.disable(COL_STATE);
  if (o.header) fields.header();
  for (const s of sockets(board, o)) printSock(fields, s, o);
  return result(fields.render());
}

/** `ss [-tuaHlni4O] [state STATE] [FILTER]` on the board (see the module comment). */
export const ss: Command = (argv, env) => {
  try {
    const { o, operands } = parseOptions(argv.slice(1));
    return run(env.board, o, operands);
  } catch (e) {
    if (e instanceof SsExit) return e.result;
    throw e;
  }
};
