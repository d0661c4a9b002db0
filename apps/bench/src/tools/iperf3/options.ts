/**
 * iperf3's command line (src/iperf_api.c `iperf_parse_arguments`, src/main.c, src/iperf_error.c):
 * glibc `getopt_long` with iperf3's option string and long options (grouped short flags such
 * as `-ub0`, attached or separate arguments, unique long-option prefixes), the per-option
 * checks in command-line order, then the role, block size and end-condition checks. A
 * parameter error prints `iperf3: parameter error - <iperf_strerror>`, a blank line and the
 * short usage on stderr, exit status 1; a getopt error prints glibc's message and the long
 * usage, exit status 1 (with `--timestamps` already parsed, iperf_err puts the time before it);
 * `-n`, `-k` and `-t` are end conditions of which one only may be given (IEENDCONDITIONS).
 * Options real iperf3 has but the lab does not model are refused with IEUNIMP ("an option you
 * are trying to set is not implemented yet").
 */
import { netStrerror, type NetErrno } from '@ntbsim/net-core';
import { strftime } from '../net/strftime.js';
import { atof, atoi, strtol0 } from '../net/cparse.js';
import { unitAtof, unitAtofRate, unitAtoi } from './units.js';

/** iperf3's version string (`PACKAGE_STRING`), the release the reference samples were captured with. */
export const IPERF_VERSION = 'iperf 3.12';
/** Default server port (PORT). */
export const IPERF_PORT = 5201;
/** Default test duration in seconds (DURATION). */
export const DEFAULT_DURATION = 10;
/** Default TCP block size in bytes (DEFAULT_TCP_BLKSIZE, 128 KiB). */
export const DEFAULT_TCP_BLKSIZE = 128 * 1024;
/** UDP block size when the control connection's MSS is unknown (DEFAULT_UDP_BLKSIZE). */
export const DEFAULT_UDP_BLKSIZE = 1460;
/** Default UDP target rate in bits/s (UDP_RATE, 1 Mibit/s). */
export const UDP_RATE = 1024 * 1024;
/** Largest `-P` (MAX_STREAMS). */
export const MAX_STREAMS = 128;
/** Largest `-w` in bytes (MAX_TCP_BUFFER, 512 MiB). */
export const MAX_TCP_BUFFER = 512 * 1024 * 1024;
/** Largest `-l` in bytes (MAX_BLOCKSIZE, 1 MiB). */
export const MAX_BLOCKSIZE = 1024 * 1024;
/** Smallest UDP `-l`: sec, usec and a 64-bit counter (MIN_UDP_BLOCKSIZE). */
export const MIN_UDP_BLOCKSIZE = 4 + 4 + 8;
/** Largest UDP `-l`: 65535 − UDP − IP headers (MAX_UDP_BLOCKSIZE). */
export const MAX_UDP_BLOCKSIZE = 65535 - 8 - 20;
/** Largest `-t` in seconds (MAX_TIME). */
export const MAX_TIME = 86400;
/** Largest `-b …/burst` (MAX_BURST). */
export const MAX_BURST = 1000;
/** Largest `-M` in bytes (MAX_MSS, 9 KiB). */
export const MAX_MSS = 9 * 1024;
/**
 * Largest `-O` in seconds: iperf_parse_arguments' literal `test->omit > 60` (IEOMIT) in both
 * stored versions of iperf_api.c (~3.9 b132e1ed, post-3.12 dfe0ec5e); later releases name it
 * MAX_OMIT_TIME and raise it to 600.
 */
export const MAX_OMIT = 60;
/** `--timestamps` without a format (TIMESTAMP_FORMAT): ctime's layout and a blank. */
export const TIMESTAMP_FORMAT = '%c ';
/** `-i` bounds in seconds (MIN_INTERVAL, MAX_INTERVAL); 0 disables interval reports. */
export const MIN_INTERVAL = 0.1;
/** See MIN_INTERVAL. */
export const MAX_INTERVAL = 60;

/** The parsed command line of one iperf3 run. */
export interface Iperf3Options {
  /** `-s` server or `-c` client. */
  readonly role: 's' | 'c';
  /** `-c HOST`: the server to connect to ('' for a server). */
  readonly host: string;
  /** `-p`: server port. */
  readonly port: number;
  /** `-u` selects UDP, else TCP. */
  readonly protocol: 'TCP' | 'UDP';
  /** `-P`: parallel streams. */
  readonly numStreams: number;
  /** `-l`: bytes per write/read; 0 for UDP means "from the control connection's MSS". */
  readonly blksize: number;
  /** `-w`: SO_SNDBUF/SO_RCVBUF request in bytes, 0 = system default. */
  readonly socketBufsize: number;
  /** `-Z`: sendfile instead of write. */
  readonly zerocopy: boolean;
  /** `-b`: target rate per stream in bits/s, 0 = unlimited. */
  readonly rate: number;
  /** `-b …/N`: packets per burst, 0 = no bursts. */
  readonly burst: number;
  /** `-t`: duration in seconds. */
  readonly duration: number;
  /** `-O`: seconds at the start whose statistics are omitted (the test runs `-O` + `-t`), 0 = none. */
  readonly omit: number;
  /** `-i`: report interval in seconds, 0 = none. */
  readonly interval: number;
  /** `-J`: JSON output. */
  readonly json: boolean;
  /** `-R`: the server sends. */
  readonly reverse: boolean;
  /** `--bidir`: both send. */
  readonly bidir: boolean;
  /** `-f`: unit format character, 'a' = adaptive bits. */
  readonly unitFormat: string;
  /** `-1`: the server handles one test and exits. */
  readonly oneOff: boolean;
  /** `-D`: the server runs as a daemon (its output goes nowhere). */
  readonly daemon: boolean;
  /** `-N`: TCP_NODELAY on the data streams. */
  readonly noDelay: boolean;
  /** `-S`/`--dscp`: the TOS byte set on each data stream's socket (IP_TOS, iperf_init_stream) on both ends; 0 = none set. */
  readonly tos: number;
  /** `-M`: TCP_MAXSEG on the client's data sockets and the server's listener (atoi: a negative one passes the MAX_MSS check and the kernel refuses it); 0 = none. */
  readonly mss: number;
  /** `-C ALGO` (client): TCP_CONGESTION on the data streams of both ends, null = the hosts' default. */
  readonly congestion: string | null;
  /** `-A n`: the CPU this iperf3 runs on (sched_setaffinity), -1 = any. */
  readonly affinity: number;
  /** `-A n,m` (client): the CPU the server runs this test on, -1 = unchanged. */
  readonly serverAffinity: number;
  /** `--bind-dev DEV` or `-c HOST%DEV`: the device its sockets are bound to (SO_BINDTODEVICE), null = none. */
  readonly bindDev: string | null;
  /** `-B`: the local address the control and data sockets bind to (netdial / netannounce's `local`), null = any. */
  readonly bindAddress: string | null;
  /** `--logfile FILE`: where iperf_printf and iperf_err write instead of the terminal (opened for append at the run's start), null = none. */
  readonly logfile: string | null;
  /**
   * `-n`: the test ends once this many bytes were sent (or, receiving, received), 0 = no such
   * end. iperf_size_t from unit_atoi: a negative argument wraps to about 2^64 (kept negative
   * here, the int64 iperf3's JSON prints), a count no test reaches.
   */
  readonly bytes: number;
  /** `-k`: the same in blocks (writes of `-l` bytes, datagrams; reads when receiving), 0 = no such end. */
  readonly blocks: number;
  /** `-V`: iperf3's verbose lines. */
  readonly verbose: boolean;
  /** `-T`: the client prefixes each of its prints with `TITLE:  ` (the server gets it for its JSON), null = none. */
  readonly title: string | null;
  /** `--timestamps[=FORMAT]`: the strftime format put before each print, null = none. */
  readonly timestamps: string | null;
  /** `--get-server-output`: the client prints (or, with -J, embeds) the server's output of the test. */
  readonly getServerOutput: boolean;
  /** `--cport`: the local port of the client's first data stream (the next ones count up), 0 = ephemeral. */
  readonly cport: number;
  /** `--connect-timeout` (ms): how long the control connection's connect may take, -1 = no limit (connect's own). */
  readonly connectTimeout: number;
}

/** What parsing produced: options, or the text and status iperf3 exits with (errors, `-h`, `-v`). */
export type ParseOutcome =
  | { readonly kind: 'run'; readonly options: Iperf3Options; readonly warnings: string }
  | { readonly kind: 'exit'; readonly stdout: string; readonly stderr: string; readonly status: number };

/** iperf3's short usage (usage_shortstr). */
export const USAGE_SHORT = "Usage: iperf3 [-s|-c host] [options]\nTry `iperf3 --help' for more information.\n";

/**
 * iperf3 3.12's long usage (usage_longstr with its defaults filled in) as this build prints it:
 * the `#if` blocks of the optional features `-v` lists (CPU affinity, bind to device, TCP user
 * timeout, socket pacing, congestion control, flow label, don't fragment) in, SCTP and
 * authentication out.
 */
export const USAGE_LONG =
  'Usage: iperf3 [-s|-c host] [options]\n' +
  '       iperf3 [-h|--help] [-v|--version]\n\n' +
  'Server or Client:\n' +
  '  -p, --port      #         server port to listen on/connect to\n' +
  '  -f, --format   [kmgtKMGT] format to report: Kbits, Mbits, Gbits, Tbits\n' +
  '  -i, --interval  #         seconds between periodic throughput reports\n' +
  '  -I, --pidfile file        write PID file\n' +
  '  -F, --file name           xmit/recv the specified file\n' +
  '  -A, --affinity n/n,m      set CPU affinity\n' +
  '  -B, --bind <host>[%<dev>] bind to the interface associated with the address <host>\n' +
  '                            (optional <dev> equivalent to `--bind-dev <dev>`)\n' +
  '  --bind-dev <dev>          bind to the network interface with SO_BINDTODEVICE\n' +
  '  -V, --verbose             more detailed output\n' +
  '  -J, --json                output in JSON format\n' +
  '  --logfile f               send output to a log file\n' +
  '  --forceflush              force flushing output at every interval\n' +
  '  --timestamps<=format>     emit a timestamp at the start of each output line\n' +
  '                            (optional "=" and format string as per strftime(3))\n' +
  '  --rcv-timeout #           idle timeout for receiving data (default 120000 ms)\n' +
  '  --snd-timeout #           timeout for unacknowledged TCP data\n' +
  '                            (in ms, default is system settings)\n' +
  '  -d, --debug[=#]           emit debugging output\n' +
  '                            (optional optional "=" and debug level: 1-4. Default is 4 - all messages)\n' +
  '  -v, --version             show version information and quit\n' +
  '  -h, --help                show this message and quit\n' +
  'Server specific:\n' +
  '  -s, --server              run in server mode\n' +
  '  -D, --daemon              run the server as a daemon\n' +
  '  -1, --one-off             handle one client connection then exit\n' +
  '  --server-bitrate-limit #[KMG][/#]   server\'s total bit rate limit (default 0 = no limit)\n' +
  '                            (optional slash and number of secs interval for averaging\n' +
  '                            total data rate.  Default is 5 seconds)\n' +
  '  --idle-timeout #          restart idle server after # seconds in case it\n' +
  '                            got stuck (default - no timeout)\n' +
  'Client specific:\n' +
  '  -c, --client <host>[%<dev>] run in client mode, connecting to <host>\n' +
  '                              (option <dev> equivalent to `--bind-dev <dev>`)\n' +
  '  -u, --udp                 use UDP rather than TCP\n' +
  '  --connect-timeout #       timeout for control connection setup (ms)\n' +
  '  -b, --bitrate #[KMG][/#]  target bitrate in bits/sec (0 for unlimited)\n' +
  '                            (default 1 Mbit/sec for UDP, unlimited for TCP)\n' +
  '                            (optional slash and packet count for burst mode)\n' +
  '  --pacing-timer #[KMG]     set the timing for pacing, in microseconds (default 1000)\n' +
  '  --fq-rate #[KMG]          enable fair-queuing based socket pacing in\n' +
  '                            bits/sec (Linux only)\n' +
  '  -t, --time      #         time in seconds to transmit for (default 10 secs)\n' +
  '  -n, --bytes     #[KMG]    number of bytes to transmit (instead of -t)\n' +
  '  -k, --blockcount #[KMG]   number of blocks (packets) to transmit (instead of -t or -n)\n' +
  '  -l, --length    #[KMG]    length of buffer to read or write\n' +
  '                            (default 128 KB for TCP, dynamic or 1460 for UDP)\n' +
  '  --cport         <port>    bind to a specific client port (TCP and UDP, default: ephemeral port)\n' +
  '  -P, --parallel  #         number of parallel client streams to run\n' +
  '  -R, --reverse             run in reverse mode (server sends, client receives)\n' +
  '  --bidir                   run in bidirectional mode.\n' +
  '                            Client and server send and receive data.\n' +
  '  -w, --window    #[KMG]    set send/receive socket buffer sizes\n' +
  '                            (indirectly sets TCP window size)\n' +
  '  -C, --congestion <algo>   set TCP congestion control algorithm (Linux and FreeBSD only)\n' +
  '  -M, --set-mss   #         set TCP/SCTP maximum segment size (MTU - 40 bytes)\n' +
  '  -N, --no-delay            set TCP/SCTP no delay, disabling Nagle\'s Algorithm\n' +
  '  -4, --version4            only use IPv4\n' +
  '  -6, --version6            only use IPv6\n' +
  '  -S, --tos N               set the IP type of service, 0-255.\n' +
  '                            The usual prefixes for octal and hex can be used,\n' +
  '                            i.e. 52, 064 and 0x34 all specify the same value.\n' +
  '  --dscp N or --dscp val    set the IP dscp value, either 0-63 or symbolic.\n' +
  '                            Numeric values can be specified in decimal,\n' +
  '                            octal and hex (see --tos above).\n' +
  '  -L, --flowlabel N         set the IPv6 flow label (only supported on Linux)\n' +
  '  -Z, --zerocopy            use a \'zero copy\' method of sending data\n' +
  '  -O, --omit N              perform pre-test for N seconds and omit the pre-test statistics\n' +
  '  -T, --title str           prefix every output line with this string\n' +
  '  --extra-data str          data string to include in client and server JSON\n' +
  '  --get-server-output       get results from server\n' +
  '  --udp-counters-64bit      use 64-bit counters in UDP test packets\n' +
  '  --repeating-payload       use repeating pattern in payload, instead of\n' +
  '                            randomized payload (like in iperf2)\n' +
  '  --dont-fragment           set IPv4 Don\'t Fragment flag\n\n' +
  '[KMG] indicates options that support a K/M/G suffix for kilo-, mega-, or giga-\n\n' +
  'iperf3 homepage at: https://software.es.net/iperf/\n' +
  'Report bugs to:     https://github.com/esnet/iperf\n';

/** iperf_strerror texts of the parameter and run-time errors the lab reports. */
export const IPERF_ERRORS = {
  IESERVCLIENT: 'cannot be both server and client',
  IENOROLE: 'must either be a client (-c) or server (-s)',
  IESERVERONLY: 'some option you are trying to set is server only',
  IECLIENTONLY: 'some option you are trying to set is client only',
  IEDURATION: `test duration too long (maximum = ${MAX_TIME} seconds)`,
  IENUMSTREAMS: `number of parallel streams too large (maximum = ${MAX_STREAMS})`,
  IEBLOCKSIZE: `block size too large (maximum = ${MAX_BLOCKSIZE} bytes)`,
  IEBUFSIZE: `socket buffer size too large (maximum = ${MAX_TCP_BUFFER} bytes)`,
  IEINTERVAL: `invalid report interval (min = ${MIN_INTERVAL}, max = ${MAX_INTERVAL} seconds)`,
  IEUDPBLOCKSIZE: `block size invalid (minimum = ${MIN_UDP_BLOCKSIZE} bytes, maximum = ${MAX_UDP_BLOCKSIZE} bytes)`,
  IEBADFORMAT: 'bad format specifier (valid formats are in the set [kmgtKMGT])',
  IEBADPORT: 'port number must be between 1 and 65535 inclusive',
  IEBADTOS: 'bad TOS value (must be between 0 and 255 inclusive)',
  IEUNIMP: 'an option you are trying to set is not implemented yet',
  IEBURST: `invalid burst count (maximum = ${MAX_BURST})`,
  IEOMIT: 'bogus value for --omit',
  IEREVERSEBIDIR: 'cannot be both reverse and bidirectional',
  IEENDCONDITIONS: 'only one test end condition (-t, -n, -k) may be specified',
  IEAFFINITY: 'unable to set CPU affinity',
  IESNDTIMEOUT: 'send timeout value is incorrect or not in range',
  IELISTEN: 'unable to start listener for connections',
  IELOGFILE: 'unable to open log file',
  IECONNECT: 'unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.',
  IEACCESSDENIED: 'the server is busy running a test. try again later',
  IESETBUF2: 'socket buffer size not set correctly',
  IESETCONGESTION: 'unable to set TCP_CONGESTION: Supplied congestion control algorithm not supported on this host',
  IEMSS: `TCP MSS too large (maximum = ${MAX_MSS} bytes)`,
  IESETMSS: 'unable to set TCP/SCTP MSS',
  IESTREAMCONNECT: 'unable to connect stream',
  IESTREAMLISTEN: 'unable to start stream listener',
  IESTREAMACCEPT: 'unable to accept stream connection',
  IECTRLCLOSE: 'control socket has closed unexpectedly',
  IERECVMESSAGE: 'unable to receive control message',
  IESERVERTERM: 'the server has terminated',
  IECLIENTTERM: 'the client has terminated',
  IENOMSG: 'idle timeout for receiving data',
  IESELECT: 'select failed',
  IESTREAMWRITE: 'unable to write to stream socket',
  IESTREAMREAD: 'unable to read from stream socket',
} as const;

/** An iperf_strerror code the lab reports. */
export type IperfErrorCode = keyof typeof IPERF_ERRORS;

interface LongOpt {
  readonly name: string;
  readonly hasArg: 'none' | 'required' | 'optional';
  readonly key: string;
}

/**
 * iperf3 3.12's option string and long options (getopt_long tables of iperf_parse_arguments),
 * with the entries `#if`ed on the features `-v` lists: `--bind-dev` (SO_BINDTODEVICE) in,
 * SCTP's `--sctp`/`--nstreams`/`--xbind` and authentication's `--username`, `--rsa-*`,
 * `--authorized-users-path`, `--time-skew-threshold` out.
 */
const SHORT_OPTS = 'p:f:i:D1VJvsc:ub:t:n:k:l:P:Rw:B:M:N46S:L:ZO:F:A:T:C:dI:hX:';
const LONG_OPTS: readonly LongOpt[] = [
  ['port', 'required', 'p'],
  ['format', 'required', 'f'],
  ['interval', 'required', 'i'],
  ['daemon', 'none', 'D'],
  ['one-off', 'none', '1'],
  ['verbose', 'none', 'V'],
  ['json', 'none', 'J'],
  ['version', 'none', 'v'],
  ['server', 'none', 's'],
  ['client', 'required', 'c'],
  ['udp', 'none', 'u'],
  ['bitrate', 'required', 'b'],
  ['bandwidth', 'required', 'b'],
  ['server-bitrate-limit', 'required', '--server-bitrate-limit'],
  ['time', 'required', 't'],
  ['bytes', 'required', 'n'],
  ['blockcount', 'required', 'k'],
  ['length', 'required', 'l'],
  ['parallel', 'required', 'P'],
  ['reverse', 'none', 'R'],
  ['bidir', 'none', '--bidir'],
  ['window', 'required', 'w'],
  ['bind', 'required', 'B'],
  ['bind-dev', 'required', '--bind-dev'],
  ['cport', 'required', '--cport'],
  ['set-mss', 'required', 'M'],
  ['no-delay', 'none', 'N'],
  ['version4', 'none', '4'],
  ['version6', 'none', '6'],
  ['tos', 'required', 'S'],
  ['dscp', 'required', '--dscp'],
  ['extra-data', 'required', '--extra-data'],
  ['flowlabel', 'required', 'L'],
  ['zerocopy', 'none', 'Z'],
  ['omit', 'required', 'O'],
  ['file', 'required', 'F'],
  ['repeating-payload', 'none', '--repeating-payload'],
  ['timestamps', 'optional', '--timestamps'],
  ['affinity', 'required', 'A'],
  ['title', 'required', 'T'],
  ['congestion', 'required', 'C'],
  ['linux-congestion', 'required', 'C'],
  ['pidfile', 'required', 'I'],
  ['logfile', 'required', '--logfile'],
  ['forceflush', 'none', '--forceflush'],
  ['get-server-output', 'none', '--get-server-output'],
  ['udp-counters-64bit', 'none', '--udp-counters-64bit'],
  ['no-fq-socket-pacing', 'none', '--no-fq-socket-pacing'],
  ['dont-fragment', 'none', '--dont-fragment'],
  ['fq-rate', 'required', '--fq-rate'],
  ['pacing-timer', 'required', '--pacing-timer'],
  ['connect-timeout', 'required', '--connect-timeout'],
  ['idle-timeout', 'required', '--idle-timeout'],
  ['rcv-timeout', 'required', '--rcv-timeout'],
  ['snd-timeout', 'required', '--snd-timeout'],
  ['debug', 'optional', 'd'],
  ['help', 'none', 'h'],
].map(([name, hasArg, key]) => ({ name, hasArg, key }) as LongOpt);

/** One option occurrence from getopt: its key (short letter or `--long`) and argument (null: an optional one left out). */
interface Occurrence {
  readonly key: string;
  readonly arg: string | null;
}

class GetoptError extends Error {}

/** glibc getopt_long over `args` (argv without argv[0]); throws GetoptError with glibc's message. */
function getopt(args: readonly string[], prog: string): Occurrence[] {
  const out: Occurrence[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === '--') break;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = eq < 0 ? a.slice(2) : a.slice(2, eq);
      const exact = LONG_OPTS.find((o) => o.name === name);
      const cands = exact !== undefined ? [exact] : LONG_OPTS.filter((o) => o.name.startsWith(name));
      const keys = new Set(cands.map((o) => `${o.key}/${o.hasArg}`));
      if (cands.length === 0) throw new GetoptError(`${prog}: unrecognized option '${a}'\n`);
      if (keys.size > 1) throw new GetoptError(`${prog}: option '--${name}' is ambiguous; possibilities:${cands.map((o) => ` '--${o.name}'`).join('')}\n`);
      const opt = cands[0] as LongOpt;
      if (opt.hasArg === 'none') {
        if (eq >= 0) throw new GetoptError(`${prog}: option '--${opt.name}' doesn't allow an argument\n`);
        out.push({ key: opt.key, arg: '' });
      } else if (eq >= 0) out.push({ key: opt.key, arg: a.slice(eq + 1) });
      else if (opt.hasArg === 'optional') out.push({ key: opt.key, arg: null });
      else {
        const next = args[i + 1];
        if (next === undefined) throw new GetoptError(`${prog}: option '--${opt.name}' requires an argument\n`);
        out.push({ key: opt.key, arg: next });
        i++;
      }
      continue;
    }
    if (!a.startsWith('-') || a === '-') continue;
    for (let j = 1; j < a.length; j++) {
      const c = a.charAt(j);
      const at = c === ':' ? -1 : SHORT_OPTS.indexOf(c);
      if (at < 0) throw new GetoptError(`${prog}: invalid option -- '${c}'\n`);
      if (SHORT_OPTS.charAt(at + 1) !== ':') {
        out.push({ key: c, arg: '' });
        continue;
      }
      if (j + 1 < a.length) out.push({ key: c, arg: a.slice(j + 1) });
      else {
        const next = args[i + 1];
        if (next === undefined) throw new GetoptError(`${prog}: option requires an argument -- '${c}'\n`);
        out.push({ key: c, arg: next });
        i++;
      }
      break;
    }
  }
  return out;
}

/**
 * The options real iperf3 accepts that the lab does not model: `-6`, `-L` (no IPv6), `-F`, `-I`, `-d`
 * (debug dumps), `-X` (no SCTP), and — not modelled yet —
 * `--extra-data`, `--repeating-payload`, `--udp-counters-64bit`, `--dont-fragment`, the pacing
 * and rate-limit options, `--idle-timeout` and `--rcv-timeout`.
 */
const UNMODELLED = new Set([
  '6', 'L', 'F', 'd', 'I', 'X',
  '--server-bitrate-limit', '--extra-data', '--repeating-payload',
  '--udp-counters-64bit', '--no-fq-socket-pacing',
  '--dont-fragment', '--fq-rate', '--pacing-timer', '--idle-timeout', '--rcv-timeout',
]);

/**
 * `(int) strtol(s, &end, 0)`: the long strtol makes of `s` (saturated to the 64-bit long range),
 * cut to its low 32 bits as the assignment to an int does; null when no digit was converted.
 */
function strtolToInt(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?)(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)/.exec(s);
  if (m === null) return null;
  const digits = m[2] as string;
  const magnitude = /^0[xX]/.test(digits) ? BigInt(digits) : digits.length > 1 && digits.startsWith('0') ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
  const long = m[1] === '-' ? -magnitude : magnitude;
  const saturated = long > 2n ** 63n - 1n ? 2n ** 63n - 1n : long < -(2n ** 63n) ? -(2n ** 63n) : long;
  return Number(BigInt.asIntN(32, saturated));
}

/** dscp.c's names (ipqos[]): the DiffServ codepoints and the RFC 1349 TOS bits, as TOS bytes. */
const IPQOS: Readonly<Record<string, number>> = {
  af11: 0x28, af12: 0x30, af13: 0x38, af21: 0x48, af22: 0x50, af23: 0x58, af31: 0x68, af32: 0x70, af33: 0x78,
  af41: 0x88, af42: 0x90, af43: 0x98, cs0: 0x00, cs1: 0x20, cs2: 0x40, cs3: 0x60, cs4: 0x80, cs5: 0xa0, cs6: 0xc0, cs7: 0xe0,
  ef: 0xb8, lowdelay: 0x10, throughput: 0x08, reliability: 0x04,
};

/**
 * dscp.c `parse_qos` (`--dscp`): a name of ipqos[] (any case) as its TOS byte, else a whole
 * strtol(…, 0) number from 0 to 63 shifted into the DSCP bits; -1 for anything else.
 */
export function parseQos(cp: string): number {
  const named = IPQOS[cp.toLowerCase()];
  if (named !== undefined) return named;
  const m = /^[ \t\n\v\f\r]*[+-]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9]\d*)$/.exec(cp);
  const v = m === null ? null : strtol0(cp);
  if (v === null || v < 0 || v > 63) return -1;
  return v << 2;
}

/** Error codes whose message iperf_strerror follows with strerror(errno) (its `perr`/`herr` cases). */
const WITH_ERRNO = new Set<IperfErrorCode>(['IELISTEN', 'IECONNECT', 'IESTREAMCONNECT', 'IESTREAMWRITE', 'IESTREAMREAD', 'IESTREAMLISTEN', 'IEAFFINITY', 'IESETMSS', 'IERECVMESSAGE']);

/** iperf_strerror of `code` with the errno text appended where iperf3 appends it. */
export function iperfStrerror(code: IperfErrorCode, errno: NetErrno | null): string {
  const text = IPERF_ERRORS[code];
  if (errno === null || !WITH_ERRNO.has(code)) return text;
  return `${text}: ${netStrerror(errno)}`;
}

/** iperf_strerror codes with `perr` set: their text is followed by ": " and, errno being 0 while parsing, nothing more. */
const PERR_CODES = new Set<IperfErrorCode>(['IEAFFINITY', 'IESNDTIMEOUT']);

/** MAX_TIME * SEC_TO_mS: the largest `--snd-timeout` (ms). */
const MAX_SND_TIMEOUT_MS = MAX_TIME * 1000;

/**
 * iperf_parse_hostname on `-c SPEC` (3.12 does not parse `-B`'s this way): strtok at `%` — with a device after
 * the `%`, the host before it and that device; else null (the whole of SPEC stays the host).
 * IPv6 link-local scopes are kept whole there; the lab has no IPv6, so the difference never shows.
 */
function splitHostDev(spec: string): { readonly host: string; readonly dev: string } | null {
  const [host, dev] = spec.split('%').filter((t) => t !== '');
  return host === undefined || dev === undefined ? null : { host, dev };
}

class ParamError extends Error {
  constructor(
    readonly code: IperfErrorCode,
    /** The option real iperf3 takes but the lab refuses (IEUNIMP), as typed (`-6`, `--logfile`). */
    readonly unmodelled: string | null = null,
  ) {
    // iperf_strerror appends ": " to its perr codes, then strerror(errno) only when errno is
    // set, which it is not while parsing: IEAFFINITY reads "unable to set CPU affinity: ".
    super(PERR_CODES.has(code) ? `${IPERF_ERRORS[code]}: ` : IPERF_ERRORS[code]);
  }
}

/** The text `iperf3 -v` prints for a board named `host`. */
export function versionText(systemInfo: string): string {
  return `${IPERF_VERSION} (cJSON 1.7.15)\n${systemInfo}\nOptional features available: CPU affinity setting, IPv6 flow label, TCP congestion algorithm setting, sendfile / zerocopy, socket pacing, bind to device, support IPv4 don't fragment\n`;
}

/**
 * Parse an iperf3 command line (`argv[0]` is the program name) as iperf3 3.12 does;
 * `wallSecs` is the board's clock, which a parameter error after `--timestamps` prints.
 */
export function parseIperf3Args(argv: readonly string[], systemInfo: string, wallSecs = 0): ParseOutcome {
  const prog = argv[0] ?? 'iperf3';
  let occ: Occurrence[];
  try {
    occ = getopt(argv.slice(1), prog);
  } catch (e) {
    if (e instanceof GetoptError) return { kind: 'exit', stdout: '', stderr: e.message + USAGE_LONG, status: 1 };
    throw e;
  }
  let role: 's' | 'c' | null = null;
  let host = '';
  let port = IPERF_PORT;
  let protocol: 'TCP' | 'UDP' = 'TCP';
  let numStreams = 1;
  let blksize = 0;
  let socketBufsize = 0;
  let zerocopy = false;
  let rate = 0;
  let burst = 0;
  let rateFlag = false;
  let duration = DEFAULT_DURATION;
  let omit = 0;
  let interval = 1;
  let json = false;
  let reverse = false;
  let bidir = false;
  let unitFormat = 'a';
  let oneOff = false;
  let daemon = false;
  let noDelay = false;
  let congestion: string | null = null;
  let tos = 0;
  let mss = 0;
  let affinity = -1;
  let serverAffinity = -1;
  let serverFlag = false;
  let clientFlag = false;
  let bindDev: string | null = null;
  let logfile: string | null = null;
  let bindAddress: string | null = null;
  let durationFlag = false;
  let bytes = 0;
  let blocks = 0;
  let verbose = false;
  let title: string | null = null;
  let timestamps: string | null = null;
  let getServerOutput = false;
  let cport = 0;
  let connectTimeout = -1;
  try {
    for (const { key, arg: optarg } of occ) {
      const arg = optarg ?? '';
      if (UNMODELLED.has(key)) throw new ParamError('IEUNIMP', key.startsWith('--') ? key : `-${key}`);
      switch (key) {
        case 'p': {
          const p = atoi(arg);
          if (p < 1 || p > 65535) throw new ParamError('IEBADPORT');
          port = p;
          break;
        }
        case 'f':
          if (!/^[kmgtKMGT]/.test(arg)) throw new ParamError('IEBADFORMAT');
          unitFormat = arg.charAt(0);
          break;
        case 'i':
          interval = atof(arg);
          if ((interval < MIN_INTERVAL || interval > MAX_INTERVAL) && interval !== 0) throw new ParamError('IEINTERVAL');
          break;
        case 'D':
          daemon = true;
          serverFlag = true;
          break;
        case '1':
          oneOff = true;
          serverFlag = true;
          break;
        case 'J':
          json = true;
          break;
        case 'V':
          verbose = true;
          break;
        case '--timestamps':
          timestamps = optarg ?? TIMESTAMP_FORMAT;
          break;
        case '--forceflush':
          // iflush after each interval: the lab's output is written as it is printed anyway.
          break;
        case '--cport': {
          // No role flag: a server takes --cport and ignores it.
          const p = atoi(arg);
          if (p < 1 || p > 65535) throw new ParamError('IEBADPORT');
          cport = p;
          break;
        }
        case 'v':
          return { kind: 'exit', stdout: versionText(systemInfo), stderr: '', status: 0 };
        case 'h':
          return { kind: 'exit', stdout: USAGE_LONG, stderr: '', status: 0 };
        case 's':
          if (role === 'c') throw new ParamError('IESERVCLIENT');
          role = 's';
          break;
        case 'c': {
          if (role === 's') throw new ParamError('IESERVCLIENT');
          role = 'c';
          const split = splitHostDev(arg);
          host = split?.host ?? arg;
          if (split !== null) bindDev = split.dev;
          break;
        }
        case 'B':
          // Neither a client nor a server option: both bind their sockets to it.
          bindAddress = arg;
          break;
        case '--bind-dev':
          bindDev = arg;
          break;
        case '--logfile':
          logfile = arg;
          break;
        case '--snd-timeout': {
          // TCP_USER_TIMEOUT is checked as iperf3 checks it, then refused: the lab's TCP has no user timeout.
          const ms = atoi(arg);
          if (ms < 0 || ms > MAX_SND_TIMEOUT_MS) throw new ParamError('IESNDTIMEOUT');
          throw new ParamError('IEUNIMP', '--snd-timeout');
        }
        case 'u':
          protocol = 'UDP';
          clientFlag = true;
          break;
        case 'b': {
          const slash = arg.indexOf('/');
          if (slash >= 0) {
            burst = atoi(arg.slice(slash + 1));
            if (burst <= 0 || burst > MAX_BURST) throw new ParamError('IEBURST');
          }
          rate = unitAtofRate(slash >= 0 ? arg.slice(0, slash) : arg);
          rateFlag = true;
          clientFlag = true;
          break;
        }
        case 't':
          // 3.12 checks only the maximum (3.17 refuses a negative one): atoi makes `-t abc` 0,
          // a test with no end; a negative one runs as the client and server timers make it (client.ts, server.ts).
          duration = atoi(arg);
          if (duration > MAX_TIME) throw new ParamError('IEDURATION');
          durationFlag = true;
          clientFlag = true;
          break;
        case 'n':
          bytes = unitAtoi(arg);
          clientFlag = true;
          break;
        case 'k':
          blocks = unitAtoi(arg);
          clientFlag = true;
          break;
        case 'T':
          title = arg;
          clientFlag = true;
          break;
        case '--get-server-output':
          getServerOutput = true;
          clientFlag = true;
          break;
        case '--connect-timeout':
          connectTimeout = unitAtoi(arg);
          clientFlag = true;
          break;
        case 'O':
          // atoi, then 0 … MAX_OMIT (IEOMIT, "bogus value for --omit", the same in both stored
          // iperf_api.c versions): `-O abc` is 0 (no omit), `-O 2.5` is 2. Client only.
          omit = atoi(arg);
          if (omit < 0 || omit > MAX_OMIT) throw new ParamError('IEOMIT');
          clientFlag = true;
          break;
        case 'l':
          blksize = unitAtoi(arg);
          clientFlag = true;
          break;
        case 'P':
          // 3.12 checks only the maximum: `-P 0` (or `-P x`) asks for no stream at all (server.ts).
          numStreams = atoi(arg);
          if (numStreams > MAX_STREAMS) throw new ParamError('IENUMSTREAMS');
          clientFlag = true;
          break;
        case 'R':
          if (bidir) throw new ParamError('IEREVERSEBIDIR');
          reverse = true;
          clientFlag = true;
          break;
        case '--bidir':
          if (reverse) throw new ParamError('IEREVERSEBIDIR');
          bidir = true;
          clientFlag = true;
          break;
        case 'w': {
          const w = unitAtof(arg);
          if (w > MAX_TCP_BUFFER) throw new ParamError('IEBUFSIZE');
          socketBufsize = Math.trunc(w);
          clientFlag = true;
          break;
        }
        case 'Z':
          zerocopy = true;
          clientFlag = true;
          break;
        case 'N':
          noDelay = true;
          clientFlag = true;
          break;
        case 'C':
          congestion = arg;
          clientFlag = true;
          break;
        case 'S': {
          // strtol(optarg, &endptr, 0) into the int settings->tos.
          const t = strtolToInt(arg);
          if (t === null || t < 0 || t > 255) throw new ParamError('IEBADTOS');
          tos = t;
          clientFlag = true;
          break;
        }
        case 'M':
          mss = atoi(arg);
          if (mss > MAX_MSS) throw new ParamError('IEMSS');
          clientFlag = true;
          break;
        case '--dscp': {
          const t = parseQos(arg);
          if (t < 0) throw new ParamError('IEBADTOS');
          tos = t;
          clientFlag = true;
          break;
        }
        case 'A': {
          const a = strtol0(arg);
          if (a === null || a < 0 || a > 1024) throw new ParamError('IEAFFINITY');
          affinity = a;
          const comma = arg.indexOf(',');
          if (comma >= 0) {
            serverAffinity = atoi(arg.slice(comma + 1));
            if (serverAffinity < 0 || serverAffinity > 1024) throw new ParamError('IEAFFINITY');
            clientFlag = true;
          }
          break;
        }
        case '4':
          break;
        default:
          throw new ParamError('IEUNIMP');
      }
    }
    if (role === 'c' && serverFlag) throw new ParamError('IESERVERONLY');
    if (role === 's' && clientFlag) throw new ParamError('IECLIENTONLY');
    if (blksize === 0 && protocol === 'TCP') blksize = DEFAULT_TCP_BLKSIZE;
    if ((protocol !== 'UDP' && blksize <= 0) || blksize > MAX_BLOCKSIZE) throw new ParamError('IEBLOCKSIZE');
    if (protocol === 'UDP' && blksize !== 0 && (blksize < MIN_UDP_BLOCKSIZE || blksize > MAX_UDP_BLOCKSIZE)) throw new ParamError('IEUDPBLOCKSIZE');
    if (!rateFlag) rate = protocol === 'UDP' ? UDP_RATE : 0;
    // -n or -k alone: no -t end (duration 0); more than one end condition is refused.
    if ((bytes !== 0 || blocks !== 0) && !durationFlag) duration = 0;
    if ((durationFlag && bytes !== 0) || (durationFlag && blocks !== 0) || (bytes !== 0 && blocks !== 0)) throw new ParamError('IEENDCONDITIONS');
    if (role === null) throw new ParamError('IENOROLE');
  } catch (e) {
    if (!(e instanceof ParamError)) throw e;
    // iperf_err: with --timestamps already parsed, the time first.
    const stamp = timestamps === null ? '' : strftime(timestamps, wallSecs);
    // IEUNIMP reads as if iperf3 lacked the option: the lab says it is its own gap.
    const gap = e.unmodelled === null ? '' : `ntb-bench: iperf3 3.12 has ${e.unmodelled}; the lab does not model it\n`;
    return { kind: 'exit', stdout: '', stderr: `${stamp}iperf3: parameter error - ${e.message}\n\n${USAGE_SHORT}${gap}`, status: 1 };
  }
  let warnings = json && unitFormat !== 'a' ? 'warning: Report format (-f) flag ignored with JSON output (-J)\n' : '';
  if (json && verbose) warnings += 'warning: Verbose output (-v) may interfere with JSON output (-J)\n';
  return {
    kind: 'run',
    warnings,
    options: {
      role, host, port, protocol, numStreams, blksize, socketBufsize, zerocopy, rate, burst, duration, omit, interval, json, reverse, bidir, unitFormat, oneOff, daemon, noDelay, congestion, tos, mss, affinity, serverAffinity, bindDev, bindAddress, logfile,
      bytes, blocks, verbose, title, timestamps, getServerOutput, cport, connectTimeout,
    },
  };
}
