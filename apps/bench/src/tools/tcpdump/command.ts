/**
 * The lab's `tcpdump` (tcpdump 4.99.3 with libpcap 1.10.3, as Debian 12 ships them): a capture
 * on a board's `ntb0` or `lo` through the stack's packet handler (net-core's
 * `addPacketHandler`, the `ETH_P_ALL` hook af_packet installs for libpcap), bound to that
 * device: each packet the driver is handed (outgoing) and each packet NET_RX takes (incoming)
 * that passes the filter is printed as tcpdump prints it (print.ts), at the
 * virtual time the hook sees it. On `lo` every packet passes the hook twice, out and in;
 * libpcap drops the outgoing copy, so each shows once.
 *
 * What tcpdump.c writes (main, open_interface, info, cleanup) and libpcap's errors:
 * - at the start, on standard error: `tcpdump: verbose output suppressed, use -v[v]... for
 *   full protocol decode` and `listening on DEV, link-type EN10MB (Ethernet), snapshot length N
 *   bytes` (after the filter compiled);
 * - at the end — `-c N` packets printed, SIGINT/SIGTERM/SIGHUP (its `cleanup` handler:
 *   `pcap_breakloop`, then an extra newline on standard output, as for a line cut short) —
 *   `info(1)`: `N packets captured`, `N packets received by filter`, `0 packets dropped by
 *   kernel` (`packet` for 1), status 0; SIGKILL ends it silently. The device going down ends
 *   the loop with `tcpdump: pcap_loop: The interface went down` (libpcap's POLLERR/ENETDOWN),
 *   the counts, status 1;
 * - a user other than root: pcap_activate's `socket(PF_PACKET)` fails, `tcpdump: DEV: You don't
 *   have permission to perform this capture on that device` / `(socket: Operation not
 *   permitted)`, status 1 (libpcap 1.10's PCAP_ERROR_PERM_DENIED text); as root, a device that
 *   does not exist is `tcpdump: DEV: No such device exists` / `(SIOCGIFHWADDR: No such device)`,
 *   a number is taken as an index into `-D`'s list (`Invalid adapter index N: only M
 *   interfaces found`), a device that is down `tcpdump: DEV: That device is not up`;
 * - `-D` lists pcap_findalldevs' devices sorted as libpcap 1.10 sorts them (its figure of merit:
 *   running, up, connected, not loopback first, then the instance number; `any` after the
 *   loopback): `1.ntb0 [Up, Running, Connected]`, `2.lo [Up, Running, Loopback]`, `3.any …`,
 *   and the pseudo-devices a Debian libpcap adds (nflog, nfqueue, dbus-system, dbus-session;
 *   no bluetooth-monitor: the boards' kernels have no Bluetooth);
 * - `-h`/`--help`: `print_usage(stdout)`, status 0; `--version`; a bad option: getopt's
 *   message and the usage on standard error, status 1; `-c 0`: `invalid packet count 0`.
 *
 * The lab refuses (status 1, nothing started) the options it does not model — writing or
 * reading capture files (`-w -r -C -G -W -z -V`), the verbose decode and hex/ASCII dumps
 * (`-v -x -X -A`), the other link types and time stamp sources (`-y -L -j -J -I --nano …`),
 * `-i any` (the LINUX_SLL2 cooked capture), a snapshot length below 74 bytes (the headers of
 * every packet the model sends: tcpdump would print them cut, `[|tcp]`) — and a foreground
 * capture without `-c`, which would never end in a script (`tcpdump … &` and the interactive
 * lab, where Ctrl-C stops it, run without). A foreground `-c N` lets virtual time run until N
 * packets were printed, for 60 s of virtual time at most; then the lab interrupts it as Ctrl-C
 * would and says so. The tcpdump process's own CPU time is not modelled.
 */
import type { ExecContext } from '@ntbsim/kernel';
import type { NetDevice, PacketDirection, Skb } from '@ntbsim/net-core';
import { result, runsAsRoot, type Command, type CommandResult, type ShellEnv } from '../../types.js';
import { GetoptError, getoptLong, type LongOption } from '../argv.js';
import { atoi, strtol0Whole } from '../net/cparse.js';
import { addJob, printJob, type JobStatus, type ProcessSignal } from '../jobs.js';
import { interleaved, type StreamWrite } from '../output.js';
import { compileFilter, FilterError, type PacketFilter } from './filter.js';
import { TcpdumpPrinter, type PrintOptions } from './print.js';

/** libpcap's MAXIMUM_SNAPLEN: the default and largest snapshot length. */
const MAXIMUM_SNAPLEN = 262144;
/** The longest headers the model sends: Ethernet 14 + IPv4 20 + TCP with MSS, timestamps and window scale 40. */
const MIN_MODELLED_SNAPLEN = 74;
/** How long (virtual) a foreground `tcpdump -c N` may wait for its packets before the lab interrupts it. */
const FOREGROUND_LIMIT_NS = 60e9;

/** `tcpdump --version` (print_version): tcpdump's, libpcap's and OpenSSL's version lines of Debian 12's packages. */
const VERSION = 'tcpdump version 4.99.3\nlibpcap version 1.10.3 (with TPACKET_V3)\nOpenSSL 3.0.15 3 Sep 2024\n';

/** print_usage(): the version lines, then the synopsis (Debian's build: no remote capture, no libsmi). */
const USAGE =
  VERSION +
  'Usage: tcpdump [-AbdDefhHIJKlLnNOpqStuUvxX#] [ -B size ] [ -c count ] [--count]\n' +
  '\t\t[ -C file_size ] [ -E algo:secret ] [ -F file ] [ -G seconds ]\n' +
  '\t\t[ -i interface ] [ --immediate-mode ] [ -j tstamptype ]\n' +
  '\t\t[ -M secret ] [ --number ] [ --print ] [ -Q in|out|inout ]\n' +
  '\t\t[ -r file ] [ -s snaplen ] [ -T type ] [ --version ]\n' +
  '\t\t[ -V file ] [ -w file ] [ -W filecount ] [ -y datalinktype ]\n' +
  '\t\t[ --time-stamp-precision precision ] [ --micro ] [ --nano ]\n' +
  '\t\t[ -z postrotate-command ] [ -Z user ] [ expression ]\n';

/** tcpdump.c's SHORTOPTS with a libpcap that has pcap_create, findalldevs, tstamp types, setdirection and dump_flush. */
const SHORTOPTS = 'aAbB:c:C:dDeE:fF:G:hHi:Ij:JKlLm:M:nNOpqQ:r:s:StT:uUvV:w:W:xXy:Yz:Z:#';

/** tcpdump.c's longopts (4.99). */
const LONGOPTS: readonly LongOption[] = [
  ['buffer-size', 'B', true],
  ['list-interfaces', 'D', false],
  ['help', 'h', false],
  ['interface', 'i', true],
  ['monitor-mode', 'I', false],
  ['time-stamp-type', 'j', true],
  ['list-time-stamp-types', 'J', false],
  ['micro', '--micro', false],
  ['nano', '--nano', false],
  ['time-stamp-precision', '--time-stamp-precision', true],
  ['dont-verify-checksums', 'K', false],
  ['list-data-link-types', 'L', false],
  ['no-optimize', 'O', false],
  ['no-promiscuous-mode', 'p', false],
  ['direction', 'Q', true],
  ['snapshot-length', 's', true],
  ['absolute-tcp-sequence-numbers', 'S', false],
  ['packet-buffered', 'U', false],
  ['linktype', 'y', true],
  ['immediate-mode', '--immediate-mode', false],
  ['relinquish-privileges', 'Z', true],
  ['count', '--count', false],
  ['fp-type', '--fp-type', false],
  ['number', '#', false],
  ['print', '--print', false],
  ['version', '--version', false],
];

/** Options that change nothing the lab shows (buffering, optimizer, checksum checks, name qualification). */
const NO_EFFECT = new Set(['a', 'l', 'K', 'O', 'U', 'N', '--immediate-mode']);

/** Why the lab does not model an option, by option. */
function unmodelled(c: string): string | null {
  if ('wrCGWzVF'.includes(c) || c === '--print' || c === '--count') return 'capture files and filter files (it prints the packets it captures)';
  if ('vxXA'.includes(c)) return 'the verbose decode or hex and ASCII dumps (it prints the one-line decode)';
  if ('yLIjJ'.includes(c) || c === '--micro' || c === '--nano' || c === '--time-stamp-precision') return 'other link types, monitor mode or time stamp sources (EN10MB, host time stamps in microseconds)';
  if ('BEMTbdfHuZ#'.includes(c) || c === '--fp-type') return 'that option';
  return null;
}

/** The parsed command line. */
interface TcpdumpOptions {
  readonly print: PrintOptions;
  readonly count: number;
  readonly device: string | null;
  readonly listDevices: boolean;
  /** Promiscuous mode (libpcap's PACKET_MR_PROMISC membership), unless -p. */
  readonly promisc: boolean;
  readonly snaplen: number;
  readonly direction: 'in' | 'out' | 'inout';
  readonly expression: string;
  /** What tcpdump warned about while parsing (-m without libsmi). */
  readonly warnings: string;
}

const fail = (msg: string): CommandResult => result('', `tcpdump: ${msg}\n`, 1);

/** main()'s getopt loop and the checks after it; a result when tcpdump exits there. */
function parseTcpdump(argv: readonly string[]): TcpdumpOptions | CommandResult {
  let count = -1;
  let device: string | null = null;
  let listDevices = false;
  let promisc = true;
  let snaplen = 0;
  let direction: 'in' | 'out' | 'inout' = 'inout';
  let link = false;
  let quick = false;
  let absolute = false;
  let numeric = false;
  let tflag = 0;
  let warnings = '';
  const operands: string[] = [];
  try {
    for (const item of getoptLong(argv.slice(1), SHORTOPTS, LONGOPTS, 'tcpdump')) {
      if (item.kind === 'operand') {
        operands.push(item.text);
        continue;
      }
      const { c } = item;
      const arg = item.arg ?? '';
      if (NO_EFFECT.has(c)) continue;
      const why = unmodelled(c);
      if (why !== null) return fail(`the lab's tcpdump does not model ${c.startsWith('--') ? c : `-${c}`}: ${why === 'that option' ? 'it takes -c -D -e -i -l -n -q -Q -s -S -t and a filter expression' : `no ${why}`}`);
      switch (c) {
        case 'c':
          count = atoi(arg);
          if (count <= 0) return fail(`invalid packet count ${arg}`);
          break;
        case 'D':
          listDevices = true;
          break;
        case 'e':
          link = true;
          break;
        case 'h':
          return result(USAGE);
        case 'i':
          device = arg;
          break;
        case 'm':
          warnings += `tcpdump: ignoring option '-m ${arg}' (no libsmi support)\n`;
          break;
        case 'n':
          numeric = true;
          break;
        case 'q':
          quick = true;
          break;
        case 'Q': {
          const d = arg.toLowerCase();
          if (d !== 'in' && d !== 'out' && d !== 'inout') return fail(`unknown capture direction '${arg}'`);
          direction = d;
          break;
        }
        case 's': {
          const v = strtol0Whole(arg);
          if (v === null || v < 0 || v > MAXIMUM_SNAPLEN) return fail(`invalid snaplen ${arg} (must be >= 0 and <= ${MAXIMUM_SNAPLEN})`);
          snaplen = v;
          break;
        }
        case 'p':
          promisc = false;
          break;
        case 'S':
          absolute = true;
          break;
        case 't':
          tflag++;
          break;
        case '--version':
          return result(VERSION);
        default:
          // -Y without parser debugging in libpcap: main's default case, the usage alone.
          return result('', USAGE, 1);
      }
    }
  } catch (e) {
    if (e instanceof GetoptError) return result('', `${e.message}\n${USAGE}`, 1);
    throw e;
  }
  if (tflag > 5 && !listDevices) return fail('only -t, -tt, -ttt, -tttt and -ttttt are supported');
  return { print: { link, quick, absolute, numeric, tflag }, count, device, listDevices, promisc, snaplen, direction, expression: operands.join(' '), warnings };
}

/** One entry of pcap_findalldevs' list. */
interface PcapIf {
  readonly name: string;
  readonly description: string | null;
  /** The status flags tcpdump prints (`Up`, `Running`, `Loopback`), and the connection status. */
  readonly flags: string;
  /** libpcap's get_figure_of_merit: lower sorts first. */
  readonly merit: number;
  /** The device the lab can capture on, or null for a pseudo-device. */
  readonly dev: NetDevice | null;
}

/** pcap_findalldevs on a board: its devices with their flags, sorted by figure of merit (equal ones in the order added). */
function findAllDevs(env: ShellEnv): PcapIf[] {
  const list: PcapIf[] = [];
  for (const dev of env.board.stack.devices) {
    const up = dev.isUp;
    const running = up && dev.netifCarrierOk();
    const lo = dev === env.board.stack.loopback;
    const bits = [up ? 'Up' : '', running ? 'Running' : '', lo ? 'Loopback' : ''].filter((b) => b !== '');
    // Not wireless: the connection status from ETHTOOL_GLINK (ntb_netdev's and lo's get_link), not applicable to lo.
    const conn = lo ? '' : dev.netifCarrierOk() ? ', Connected' : ', Disconnected';
    // libpcap 1.10's get_figure_of_merit: the instance number + 1 (0 without one), then not running, not up, disconnected, loopback.
    const digits = /(\d+)$/.exec(dev.name)?.[1];
    const instance = digits === undefined ? 0 : Number(digits) + 1;
    const merit = (instance + (running ? 0 : 0x80000000) + (up ? 0 : 0x40000000) + (lo || dev.netifCarrierOk() ? 0 : 0x20000000) + (lo ? 0x10000000 : 0)) >>> 0;
    list.push({ name: dev.name, description: null, flags: `${bits.length > 0 ? bits.join(', ') : 'none'}${conn}`, merit, dev });
  }
  // pcap_add_any_dev: an artificially high instance number, 29 bits of ones.
  list.push({ name: 'any', description: 'Pseudo-device that captures on all interfaces', flags: 'Up, Running', merit: 0x1fffffff, dev: null });
  const pseudo: readonly (readonly [string, string])[] = [
    ['nflog', 'Linux netfilter log (NFLOG) interface'],
    ['nfqueue', 'Linux netfilter queue (NFQUEUE) interface'],
    ['dbus-system', 'D-Bus system bus'],
    ['dbus-session', 'D-Bus session bus'],
  ];
  for (const [name, description] of pseudo) list.push({ name, description, flags: 'none', merit: 0xc0000000, dev: null });
  return list.map((d, i) => ({ d, i })).sort((a, b) => a.d.merit - b.d.merit || a.i - b.i).map(({ d }) => d);
}

/** show_devices_and_exit: `N.NAME (DESCRIPTION) [FLAGS]`. */
function listDevices(env: ShellEnv): string {
  return findAllDevs(env)
    .map((d, i) => `${i + 1}.${d.name}${d.description === null ? '' : ` (${d.description})`} [${d.flags}]\n`)
    .join('');
}

/** open_interface and its fallback to an index (parse_interface_number, find_interface_by_number): the device, or tcpdump's exit. */
function openInterface(env: ShellEnv, name: string): NetDevice | CommandResult {
  const devs = findAllDevs(env);
  let entry = devs.find((d) => d.name === name);
  if (entry === undefined) {
    if (!/^\d+$/.test(name)) return fail(`${name}: No such device exists\n(SIOCGIFHWADDR: No such device)`);
    const n = Number(name);
    if (n <= 0) return fail(`Invalid adapter index ${name}`);
    entry = devs[n - 1];
    if (entry === undefined) return fail(`Invalid adapter index ${n}: only ${devs.length} interfaces found`);
  }
  if (entry.dev === null) return fail(`the lab's tcpdump captures on the boards' Ethernet devices (${devs.filter((d) => d.dev !== null).map((d) => d.name).join(', ')}), not on ${entry.name}${entry.name === 'any' ? ' (its LINUX_SLL2 cooked capture is not modelled)' : ''}`);
  if (!entry.dev.isUp) return fail(`${entry.name}: That device is not up`);
  return entry.dev;
}

/** info(1): the three counts on standard error. */
function stats(captured: number, received: number): string {
  const s = (n: number): string => (n === 1 ? '' : 's');
  return `${captured} packet${s(captured)} captured\n${received} packet${s(received)} received by filter\n0 packets dropped by kernel\n`;
}

/** Why a capture ended: its count reached, a signal its handler took, the device down, the lab's limit, or a signal without a handler. */
type EndReason = 'count' | 'signal' | 'down' | 'limit' | 'killed';

/** A running capture: the packet handler on the device, the counts, and what it printed. */
class Capture {
  captured = 0;
  received = 0;
  /** How it ended, null while it runs. */
  ended: EndReason | null = null;
  private readonly printer: TcpdumpPrinter;
  private readonly removeHandler: () => void;
  private readonly removeLink: () => void;
  /** The device in promiscuous mode for this capture (dev_set_promiscuity +1 at activation), null under -p. */
  private readonly promiscDev: NetDevice | null;

  private readonly env: ShellEnv;
  private readonly o: TcpdumpOptions;
  private readonly filter: PacketFilter;
  private readonly write: (w: StreamWrite) => void;

  /** Start capturing on `dev` for the command in `env`: what passes `filter` goes to `write` as tcpdump writes it. */
  constructor(spec: { readonly env: ShellEnv; readonly dev: NetDevice; readonly o: TcpdumpOptions; readonly filter: PacketFilter; readonly write: (w: StreamWrite) => void }) {
    const { env, dev, o } = spec;
    this.env = env;
    this.o = o;
    this.filter = spec.filter;
    this.write = spec.write;
    this.printer = new TcpdumpPrinter(o.print);
    const stack = env.board.stack;
    this.removeHandler = stack.addPacketHandler((skb, d, dir, ctx) => this.packet(skb, d, dir, ctx), { dev });
    // pcap_activate's PACKET_ADD_MEMBERSHIP (PACKET_MR_PROMISC): one more user wants every frame.
    this.promiscDev = o.promisc && dev.setPromiscuity(1) === 0 ? dev : null;
    // af_packet's notifier: the device going down (or away) ends the loop with ENETDOWN.
    this.removeLink = dev.onLinkChange((ev) => {
      if (!ev.up) this.end('down');
    });
  }

  /** af_packet's packet_rcv and libpcap's read loop for one packet. */
  private packet(skb: Skb, dev: NetDevice, dir: PacketDirection, ctx: ExecContext): void {
    if (this.ended !== null) return;
    // libpcap drops the outgoing copy of what lo sends (it comes in again), and the other direction under -Q.
    if (dir === 'out' && dev === this.env.board.stack.loopback) return;
    if (this.o.direction !== 'inout' && dir !== this.o.direction) return;
    if (!this.filter(skb)) return;
    this.received++;
    this.captured++;
    this.write({ fd: 1, text: this.printer.line(skb, ctx.time) });
    if (this.o.count > 0 && this.captured >= this.o.count) this.end('count');
  }

  /** pcap_loop returned (or, `killed`, the process ended without a handler: nothing written): why decides what tcpdump writes before the counts. */
  end(reason: EndReason): void {
    if (this.ended !== null) return;
    this.ended = reason;
    this.removeHandler();
    this.removeLink();
    // packet_release's packet_flush_mclist drops the membership.
    this.promiscDev?.setPromiscuity(-1);
    // A job's end stops the simulation's run, so that `wait` and the interactive lab see it at once.
    this.env.lab.sim.stop();
    if (reason === 'killed') return;
    if (reason === 'signal' || reason === 'limit') this.write({ fd: 1, text: '\n' });
    if (reason === 'down') this.write({ fd: 2, text: 'tcpdump: pcap_loop: The interface went down\n' });
    this.write({ fd: 2, text: stats(this.captured, this.received) });
    if (reason === 'limit') this.write({ fd: 2, text: `ntb-bench: tcpdump had captured ${this.captured} of the ${this.o.count} packets of -c ${this.o.count} after ${FOREGROUND_LIMIT_NS / 1e9} s (virtual); the real one would still be waiting: the lab interrupted it, as Ctrl-C would\n` });
  }

  /** tcpdump's exit status: 1 after a pcap_loop error, else 0. */
  get status(): number {
    return this.ended === 'down' ? 1 : 0;
  }
}

/**
 * `tcpdump [-c N] [-D] [-e] [-i DEV] [-l] [-n] [-q] [-Q DIR] [-s N] [-S] [-t…] [EXPRESSION]`
 * (tcpdump 4.99.3): capture on ntb0 or lo as root, printing each packet as it is captured.
 */
export const tcpdump: Command = (argv, env) => {
  const o = parseTcpdump(argv);
  if ('status' in o) return o;
  if (o.listDevices) return result(listDevices(env), o.warnings);
  const name = o.device ?? findAllDevs(env)[0]?.name ?? 'any';
  if (!runsAsRoot(env)) return result('', `${o.warnings}tcpdump: ${name}: You don't have permission to perform this capture on that device\n(socket: Operation not permitted)\n`, 1);
  const dev = openInterface(env, name);
  if ('status' in dev) return { ...dev, stderr: o.warnings + dev.stderr };
  let filter: PacketFilter;
  try {
    filter = compileFilter(o.expression);
  } catch (e) {
    if (!(e instanceof FilterError)) throw e;
    return fail(e.unimplemented ? `${e.message}; nothing was captured` : e.message);
  }
  if (o.snaplen !== 0 && o.snaplen < MIN_MODELLED_SNAPLEN) return fail(`the lab's tcpdump does not model a snapshot length below ${MIN_MODELLED_SNAPLEN} bytes (the headers of the model's packets; tcpdump would print them cut short): give -s 0 or at least ${MIN_MODELLED_SNAPLEN}`);
  const background = env.background === true;
  if (!background && o.count <= 0) return fail("the lab cannot interrupt a foreground tcpdump: give -c COUNT, or run it in the background (tcpdump … &) and stop it with kill or killall");
  const header = `${o.warnings}tcpdump: verbose output suppressed, use -v[v]... for full protocol decode\nlistening on ${dev.name}, link-type EN10MB (Ethernet), snapshot length ${o.snaplen === 0 ? MAXIMUM_SNAPLEN : o.snaplen} bytes\n`;
  if (background) {
    printJob(env, header, 2);
    const cap = new Capture({ env, dev, o, filter, write: (w) => printJob(env, w.text, w.fd) });
    let killedBy = 0;
    // SIGINT, SIGTERM and SIGHUP run tcpdump's cleanup(); the other ending signals end it where it is.
    const signal = (sig: ProcessSignal): void => {
      if (cap.ended !== null) return;
      if (sig.effect === 'kill') killedBy = sig.signo;
      cap.end(sig.effect === 'interrupt' ? 'signal' : 'killed');
    };
    const status = (): JobStatus | null => (cap.ended === null ? null : killedBy > 0 ? { kind: 'signal', signo: killedBy } : { kind: 'exit', code: cap.status });
    addJob(env.board, { comm: 'tcpdump', command: env.commandLine ?? 'tcpdump', ended: () => cap.ended !== null, signal, status });
    return result('');
  }
  const writes: StreamWrite[] = [{ fd: 2, text: header }];
  const cap = new Capture({ env, dev, o, filter, write: (w) => writes.push(w) });
  const sim = env.lab.sim;
  const limit = sim.now + FOREGROUND_LIMIT_NS;
  while (cap.ended === null && sim.now < limit) sim.run({ until: limit });
  cap.end('limit');
  return interleaved(writes, cap.status);
};
