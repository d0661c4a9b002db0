/**
 * The lab's `sockperf` (Mellanox/NVIDIA sockperf 3.10, src/client.cpp `client_statistics`,
 * `printPercentiles`; src/ticks.cpp statistics): `sockperf server` starts a persistent echo
 * server (UDP, or TCP with `--tcp`) on the board; `sockperf ping-pong -i IP` sends a message,
 * waits for its echo, and repeats (at most `--mps` messages per second) for `-t` seconds,
 * then prints sockperf's report: total and valid run, `avg-latency` with std-dev, mean and
 * median absolute deviations, SIQR, cv, std-error and the 99% confidence interval, the error
 * counters, `Summary: Latency is … usec`, and the MAX / 99.999 / 99.990 / 99.900 / 99.000 /
 * 90.000 / 75.000 / 50.000 / 25.000 / MIN percentiles. Latency is half the round trip
 * (`--full-rtt`: the round trip). As sockperf does, the first 400 ms and the last 50 ms of
 * sends are left out of the statistics.
 *
 * The client blocks on each reply: a lost UDP message stalls it until the test's end, where
 * the message counts as dropped. The server's output is background output of its board.
 *
 * `sockperf throughput -i IP` (`tp`) sends messages back to back (`--mps` max by default) for
 * `-t` seconds, asking for no reply (sockperf's message header; here the server knows the
 * client's port), and prints `stream_statistics`: the messages sent, a NOTE when the size is
 * not 1472, the message rate, the packet rate with the IP fragments a message takes (sockperf
 * assumes 1472-byte fragments whatever the MTU), and the bandwidth in MiB/s (×8 as "Mbps").
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import { netStrerror, type TcpSocket, type UdpSocket, type NetErrno, type SockAddr } from '@ntbsim/net-core';
import type { Board, Lab } from '../lab/lab.js';
import { programStart } from './net/host.js';
import { commandTaskOptions, result, type Command, type CommandResult } from '../types.js';
import { takeServerOutput } from './net/background.js';
import { cFixed } from './net/cformat.js';

/** sockperf's version banner. */
const VERSION_LINE = 'sockperf: == version #3.10-no.git ==\n';
/** TEST_START_WARMUP_MSEC and TEST_END_COOLDOWN_MSEC: sends left out of the statistics. */
const WARMUP_MS = 400;
const COOLDOWN_MS = 50;
/** Default port, message size and ping-pong rate. */
const DEFAULT_PORT = 11111;
const DEFAULT_MSG_SIZE = 14;
const DEFAULT_MPS = 10000;
/** DEFAULT_IP_PAYLOAD_SZ: the UDP payload of one 1500-byte-MTU fragment, which sockperf divides by. */
const IP_PAYLOAD_SZ = 1472;
/** Smallest and largest message (sockperf's header; the largest UDP payload). */
const MIN_MSG_SIZE = 14;
const MAX_MSG_SIZE = 65507;

/** `[%2d] IP = %-15s PORT = %5d # %s` — sockperf's address line. */
function addressLine(ip: string, port: number, tcp: boolean): string {
  return `[ 0] IP = ${ip.padEnd(15)} PORT = ${String(port).padStart(5)} # ${tcp ? 'TCP' : 'UDP'}\n`;
}

/** Abramowitz–Stegun 26.2.23 (sockperf's RationalApproximation). */
function rationalApproximation(t: number): number {
  const c = [2.6539620026016846, 1.5615337002120804, 0.06114673576519699] as const;
  const d = [1.9048751828364987, 0.4540555364442335, 0.009547745327068945] as const;
  return t - ((c[2] * t + c[1]) * t + c[0]) / (((d[2] * t + d[1]) * t + d[0]) * t + 1.0);
}

/** sockperf's NormalCDFInverse. */
function normalCdfInverse(p: number): number {
  if (p < 0.5) return -rationalApproximation(Math.sqrt(-2.0 * Math.log(p)));
  return rationalApproximation(Math.sqrt(-2.0 * Math.log(1 - p)));
}

/** Median of sorted integer durations as TicksDuration::median computes it. */
function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n <= 1) return 0;
  return n % 2 === 1 ? (sorted[n >> 1] ?? 0) : Math.trunc(((sorted[n / 2 - 1] ?? 0) + (sorted[n / 2] ?? 0)) / 2);
}

/** What a ping-pong run recorded: per message its send time and reply time (ns; -1 without reply). */
export interface PingPongRecord {
  /** Send times (ns), message i at index i. */
  readonly tx: readonly number[];
  /** Reply times (ns), -1 when no reply came. */
  readonly rx: readonly number[];
  /** s_startTime and s_endTime (ns). */
  readonly startNs: number;
  /** See startNs. */
  readonly endNs: number;
  /** Report the round trip instead of half of it (`--full-rtt`). */
  readonly fullRtt: boolean;
}

/** sockperf's client_statistics + printPercentiles for one server, lines prefixed `sockperf: `. */
export function formatPingPongStatistics(r: PingPongRecord): string {
  const p = (line: string): string => `sockperf: ${line}\n`;
  const sent = r.tx.length;
  const received = r.rx.filter((x) => x >= 0).length;
  let out = '';
  if (received === 0) return p('No messages were received from the server. Is the server down?');
  out += p(`[Total Run] RunTime=${cFixed((r.endNs - r.startNs) / 1e9, 3)} sec; Warm up time=${WARMUP_MS} msec; SentMessages=${sent}; ReceivedMessages=${received}`);
  out += p('========= Printing statistics for Server No: 0');
  const first = r.tx[0] ?? 0;
  const last = r.tx[sent - 1] ?? 0;
  const testStart = first + WARMUP_MS * 1e6;
  const testEnd = last - COOLDOWN_MS * 1e6;
  if (testEnd < testStart) return out + p('Test end before test start. Ending statistics early');
  const lat: number[] = [];
  let sumRtt = 0;
  let dropped = 0;
  let ooo = 0;
  let prevRx = 0;
  let startSeq = 0;
  let startTime = 0;
  let endSeq = 0;
  let endTime = 0;
  const denominator = r.fullRtt ? 1 : 2;
  for (let i = 0; i < sent; i++) {
    const tx = r.tx[i] ?? 0;
    const rx = r.rx[i] ?? -1;
    if (tx > testEnd) break;
    if (tx < testStart) continue;
    if (startSeq === 0) {
      startSeq = i + 1;
      startTime = tx;
    }
    if (rx < 0) {
      dropped++;
      if (endTime < tx) {
        endSeq = i + 1;
        endTime = tx;
      }
      continue;
    }
    if (rx < prevRx) {
      ooo++;
      continue;
    }
    endSeq = i + 1;
    endTime = rx;
    const rtt = rx - tx;
    sumRtt += rtt;
    lat.push(Math.trunc(rtt / denominator));
    prevRx = rx;
  }
  const n = lat.length;
  if (n === 0) return out + p('No valid observations found. Try tune parameters: --time/--number-of-packets/--mps/--reply-every');
  out += p(`[Valid Duration] RunTime=${cFixed((endTime - startTime) / 1e9, 3)} sec; SentMessages=${endSeq - startSeq + 1}; ReceivedMessages=${n}`);
  lat.sort((a, b) => a - b);
  const avgRtt = Math.trunc(sumRtt / n);
  const usecAverage = (r.fullRtt ? avgRtt : Math.trunc(avgRtt / 2)) / 1000;
  let sum = 0;
  let sumSqr = 0;
  for (const t of lat) {
    sum += t;
    sumSqr += t * t;
  }
  const avg = sum / n;
  const stdDev = n <= 1 ? 0 : Math.trunc(Math.sqrt((sumSqr - n * avg * avg) / (n - 1)) + 0.5);
  let dist = 0;
  for (const t of lat) dist += Math.abs(t - avg);
  const mad = n <= 1 ? 0 : Math.trunc(dist / n);
  const med = median(lat);
  const medianAd = n <= 1 ? 0 : Math.trunc(median(lat.map((t) => Math.abs(t - med)).sort((a, b) => a - b)) * 1.48260221851);
  const q = (f: number): number => lat[Math.trunc(0.5 + f * n) - 1] ?? 0;
  const siqr = n <= 1 ? 0 : Math.trunc((q(0.75) - q(0.25)) / 2);
  const stdUs = stdDev / 1000;
  const cv = stdUs / usecAverage;
  const stdErr = stdUs / Math.sqrt(n);
  const z = normalCdfInverse(1 - (1 - 99.0 / 100) / 2);
  const kind = r.fullRtt ? 'rtt' : 'latency';
  out += p(
    `====> avg-${kind}=${cFixed(usecAverage, 3)} (std-dev=${cFixed(stdUs, 3)}, mean-ad=${cFixed(mad / 1000, 3)}, median-ad=${cFixed(medianAd / 1000, 3)}, siqr=${cFixed(siqr / 1000, 3)}, cv=${cFixed(cv, 3)}, std-error=${cFixed(stdErr, 3)}, 99.0% ci=[${cFixed(usecAverage - z * stdErr, 3)}, ${cFixed(usecAverage + z * stdErr, 3)}])`,
  );
  out += p(`# dropped messages = ${dropped}; # duplicated messages = 0; # out-of-order messages = ${ooo}`);
  if (usecAverage !== 0) out += p(`Summary: ${r.fullRtt ? 'Round trip' : 'Latency'} is ${cFixed(usecAverage, 3)} usec`);
  out += p(`Total ${n} observations; each percentile contains ${cFixed(n / 100, 2)} observations`);
  const f8 = (ns: number): string => cFixed(ns / 1000, 3).padStart(8);
  out += p(`---> <MAX> observation = ${f8(lat[n - 1] ?? 0)}`);
  for (const pc of [0.99999, 0.9999, 0.999, 0.99, 0.9, 0.75, 0.5, 0.25]) {
    const idx = Math.trunc(0.5 + pc * n) - 1;
    if (idx >= 0) out += p(`---> percentile ${cFixed(100 * pc, 3).padStart(6)} = ${f8(lat[idx] ?? 0)}`);
  }
  out += p(`---> <MIN> observation = ${f8(lat[0] ?? 0)}`);
  return out;
}

/** The parsed command line. */
interface SockperfOptions {
  readonly mode: 'server' | 'ping-pong' | 'throughput';
  readonly ip: string;
  readonly port: number;
  readonly tcp: boolean;
  readonly msgSize: number;
  readonly seconds: number;
  readonly mps: number;
  readonly fullRtt: boolean;
}

function usageError(msg: string): CommandResult {
  return result('', `sockperf: ERROR: ${msg}\n`, 1);
}

function parse(argv: readonly string[]): SockperfOptions | CommandResult {
  const mode = argv[1];
  if (mode !== 'server' && mode !== 'sr' && mode !== 'ping-pong' && mode !== 'pp' && mode !== 'throughput' && mode !== 'tp') {
    return usageError(mode === undefined ? 'no subcommand; the lab supports: server, ping-pong, throughput' : `unknown or unsupported subcommand '${mode}'; the lab supports: server, ping-pong, throughput`);
  }
  const stream = mode === 'throughput' || mode === 'tp';
  let ip = mode === 'server' || mode === 'sr' ? '0.0.0.0' : '';
  let port = DEFAULT_PORT;
  let tcp = false;
  let msgSize = DEFAULT_MSG_SIZE;
  let seconds = 1;
  let mps = stream ? Infinity : DEFAULT_MPS;
  let fullRtt = false;
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i] as string;
    const eq = a.indexOf('=');
    const name = a.startsWith('--') && eq > 0 ? a.slice(0, eq) : a;
    const value = (): string | undefined => (a.startsWith('--') && eq > 0 ? a.slice(eq + 1) : argv[++i]);
    const int = (what: string, min: number, max: number): number | CommandResult => {
      const v = value();
      const n = v === undefined ? NaN : Number(v);
      if (!Number.isInteger(n) || n < min || n > max) return usageError(`${what} must be an integer in [${min}, ${max}] (got '${v ?? ''}')`);
      return n;
    };
    let n: number | CommandResult;
    switch (name) {
      case '-i':
      case '--ip':
        ip = value() ?? '';
        break;
      case '-p':
      case '--port':
        n = int('--port', 1, 65535);
        if (typeof n !== 'number') return n;
        port = n;
        break;
      case '--tcp':
        tcp = true;
        break;
      case '-m':
      case '--msg-size':
        n = int('--msg-size', MIN_MSG_SIZE, MAX_MSG_SIZE);
        if (typeof n !== 'number') return n;
        msgSize = n;
        break;
      case '-t':
      case '--time':
        n = int('--time', 1, 36000000);
        if (typeof n !== 'number') return n;
        seconds = n;
        break;
      case '--mps': {
        const v = value();
        if (v === 'max') mps = Infinity;
        else {
          const m = Number(v);
          if (!Number.isInteger(m) || m < 1) return usageError(`--mps must be a positive integer or max (got '${v ?? ''}')`);
          mps = m;
        }
        break;
      }
      case '--full-rtt':
        fullRtt = true;
        break;
      default:
        return usageError(`unknown or unsupported option '${a}'`);
    }
  }
  const isServer = mode === 'server' || mode === 'sr';
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(ip)) return usageError(isServer || ip !== '' ? `bad address '${ip}'` : '-i <ip> is required');
  return { mode: isServer ? 'server' : stream ? 'throughput' : 'ping-pong', ip, port, tcp, msgSize, seconds, mps, fullRtt };
}

const servers = new WeakMap<Lab, Set<string>>();

/** How many `sockperf server`s run on `board`. */
export function sockperfServersOn(lab: Lab, board: Board): number {
  return [...(servers.get(lab) ?? [])].filter((k) => k.startsWith(`${board.name}:`)).length;
}
/** `addr:port` of the throughput clients per lab: their messages ask for no reply (sockperf's header). */
const streamClients = new WeakMap<Lab, Set<string>>();

/** A persistent echo server (sockperf server): UDP replies to the sender, TCP echoes per connection. */
function startServer(lab: Lab, board: Board, o: SockperfOptions, taskOpts: { cpus?: number }): CommandResult {
  const key = `${board.name}:${o.tcp ? 'tcp' : 'udp'}:${o.port}`;
  let set = servers.get(lab);
  if (set === undefined) {
    set = new Set();
    servers.set(lab, set);
  }
  const banner = `${VERSION_LINE}sockperf: [SERVER] listen on:\n${addressLine(o.ip, o.port, o.tcp)}sockperf: Warmup stage (sending a few dummy messages)...\nsockperf: [tid ${4242 + set.size}] using recvfrom() to block on socket(s)\n`;
  const stack = board.stack;
  if (o.tcp) {
    const l = stack.tcpSocket();
    l.setReuseAddr(true);
    if (!l.bind(o.port).ok || !l.listen().ok) {
      l.close();
      return result(`${VERSION_LINE}`, `sockperf: ERROR: bind failed: ${netStrerror('EADDRINUSE')}\n`, 1);
    }
    const conns: { sock: TcpSocket; pending: number }[] = [];
    set.add(key);
    board.host.createUserTask('sockperf', (ctx, task) => tcpEcho(ctx, task, { listener: l, conns, msgSize: o.msgSize }), taskOpts);
    return result(banner);
  }
  const u = stack.udpSocket();
  if (!u.bind(o.port).ok) {
    u.close();
    return result(`${VERSION_LINE}`, `sockperf: ERROR: bind failed: ${netStrerror('EADDRINUSE')}\n`, 1);
  }
  set.add(key);
  board.host.createUserTask('sockperf', (ctx, task) => udpEcho(ctx, task, u, lab), taskOpts);
  return result(banner);
}

function udpEcho(ctx: ExecContext, task: Task, u: UdpSocket, lab: Lab): TaskStep {
  u.cancelWait(task);
  const r = u.recv(ctx, MAX_MSG_SIZE);
  if (!r.ok) {
    u.waitReadable(task);
    return 'sleep';
  }
  if (streamClients.get(lab)?.has(`${r.from.addr}:${r.from.port}`) !== true) u.sendTo(ctx, r.bytes, r.from);
  return 'run';
}

function tcpEcho(ctx: ExecContext, task: Task, s: { readonly listener: TcpSocket; readonly conns: { sock: TcpSocket; pending: number }[]; readonly msgSize: number }): TaskStep {
  s.listener.cancelWait(task);
  for (let a = s.listener.accept(); a.ok; a = s.listener.accept()) s.conns.push({ sock: a.sock, pending: 0 });
  let busy = false;
  for (const c of [...s.conns]) {
    c.sock.cancelWait(task);
    const r = c.sock.recv(ctx, 65536);
    if (r.ok && r.bytes === 0) {
      c.sock.close(ctx);
      s.conns.splice(s.conns.indexOf(c), 1);
      continue;
    }
    if (r.ok) {
      c.pending += r.bytes;
      busy = true;
    }
    if (c.pending > 0) {
      const w = c.sock.send(ctx, c.pending);
      if (w.ok) c.pending -= w.bytes;
    }
  }
  if (busy) return 'run';
  s.listener.waitReadable(task);
  for (const c of s.conns) c.sock.waitReadable(task);
  return 'sleep';
}

/** The client's socket: TCP (connected by the task), or UDP connected to `to` now (sockperf's error when that fails). */
function clientSocket(board: Board, o: SockperfOptions, to: SockAddr): { sock: TcpSocket | UdpSocket; tcp: TcpSocket | null; udp: UdpSocket | null } | CommandResult {
  if (o.tcp) {
    const tcp = board.stack.tcpSocket();
    return { sock: tcp, tcp, udp: null };
  }
  const udp = board.stack.udpSocket();
  const c = udp.connect(to);
  if (!c.ok) return result(VERSION_LINE, `sockperf: ERROR: connect: ${netStrerror(c.errno)}\n`, 1);
  return { sock: udp, tcp: null, udp };
}

/** One step of a client's non-blocking TCP connect: 'ok', 'wait' (the task waits for writability), or the errno. */
function connectStep(tcp: TcpSocket, ctx: ExecContext, t: Task, to: SockAddr): 'ok' | 'wait' | NetErrno {
  const r = tcp.connect(ctx, to);
  if (r.ok) return 'ok';
  if (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY') {
    tcp.waitWritable(t);
    return 'wait';
  }
  return r.errno;
}

/** The ping-pong client: send, wait for the echo, repeat at most `mps` times a second. */
function pingPong(lab: Lab, board: Board, o: SockperfOptions, taskOpts: { cpus?: number }): CommandResult {
  const to: SockAddr = { addr: o.ip, port: o.port };
  const tx: number[] = [];
  const rx: number[] = [];
  const gap = Number.isFinite(o.mps) ? 1e9 / o.mps : 0;
  let phase: 'connect' | 'send' | 'wait' = o.tcp ? 'connect' : 'send';
  let got = 0;
  let startNs = -1;
  let endNs = Infinity;
  let error: NetErrno | null = null;
  let done = false;
  const client = clientSocket(board, o, to);
  if ('status' in client) return client;
  const { sock, tcp } = client;
  programStart(lab, board);
  const task = board.host.createUserTask('sockperf', (ctx, t): TaskStep => {
    if (done) return 'exit';
    sock.cancelWait(t);
    const now = ctx.time;
    if (phase === 'connect' && tcp !== null) {
      const c = connectStep(tcp, ctx, t, to);
      if (c === 'wait') return 'sleep';
      if (c !== 'ok') {
        error = c;
        done = true;
        lab.sim.stop();
        return 'exit';
      }
      phase = 'send';
    }
    if (startNs < 0) {
      startNs = now;
      endNs = now + o.seconds * 1e9;
    }
    if (now >= endNs) {
      done = true;
      lab.sim.stop();
      return 'exit';
    }
    if (phase === 'send') {
      const next = tx.length === 0 ? now : (tx[tx.length - 1] ?? now) + gap;
      if (now < next) return Math.min(next, endNs) - now;
      const r = sock.send(ctx, o.msgSize);
      if (!r.ok) {
        if (r.errno === 'EAGAIN') {
          sock.waitWritable(t);
          return 'sleep';
        }
        error = r.errno;
        done = true;
        lab.sim.stop();
        return 'exit';
      }
      tx.push(now);
      rx.push(-1);
      got = 0;
      phase = 'wait';
    }
    const r = tcp !== null ? tcp.recv(ctx, o.msgSize - got) : sock.recv(ctx, MAX_MSG_SIZE);
    if (r.ok && r.bytes > 0) {
      got += r.bytes;
      if (tcp === null || got >= o.msgSize) {
        rx[rx.length - 1] = ctx.time;
        phase = 'send';
        return 'run';
      }
    } else if (!r.ok && r.errno !== 'EAGAIN') {
      error = r.errno;
      done = true;
      lab.sim.stop();
      return 'exit';
    }
    sock.waitReadable(t);
    return endNs - now;
  }, taskOpts);
  const limit = lab.sim.now + (o.seconds + 300) * 1e9;
  while (!done && lab.sim.now < limit) lab.sim.run({ until: limit });
  done = true;
  task.stop();
  sock.close();
  const head = `${VERSION_LINE}sockperf[CLIENT] send on:sockperf: using recvfrom() to block on socket(s)\n\n${addressLine(o.ip, o.port, o.tcp)}`;
  if (error !== null && startNs < 0) return result(head, `sockperf: ERROR: connect: ${netStrerror(error)}\n`, 1);
  let out = `${head}sockperf: Warmup stage (sending a few dummy messages)...\nsockperf: Starting test...\n`;
  out += error !== null ? `sockperf: ERROR: ${netStrerror(error)}\n` : 'sockperf: Test end (interrupted by timer)\n';
  out += 'sockperf: Test ended\n';
  out += formatPingPongStatistics({ tx, rx, startNs, endNs: Math.min(endNs, lab.sim.now), fullRtt: o.fullRtt });
  return result(out, '', error === null ? 0 : 1);
}

/** sockperf's stream_statistics for `sent` messages of `msgSize` bytes in `runNs` (lines prefixed `sockperf: `). */
export function formatStreamStatistics(sent: number, runNs: number, msgSize: number, mps: number): string {
  const p = (line: string): string => `sockperf: ${line}\n`;
  const runUsec = runNs / 1000;
  let out = p(`Total of ${sent} messages sent in ${cFixed(runUsec / 1e6, 3)} sec\n`);
  if (Number.isFinite(mps)) out += p(`\x1b[2;35mNOTE: test was performed, using msg-size=${msgSize}, mps=${mps}. For getting maximum throughput use --mps=max (and consider --msg-size=1472 or --msg-size=4096)\x1b[0m`);
  else if (msgSize !== IP_PAYLOAD_SZ) out += p(`\x1b[2;35mNOTE: test was performed, using msg-size=${msgSize}. For getting maximum throughput consider using --msg-size=1472\x1b[0m`);
  const frags = Math.trunc((msgSize + IP_PAYLOAD_SZ - 1) / IP_PAYLOAD_SZ);
  const msgps = Math.trunc(0.5 + (sent * 1e6) / runUsec);
  const mibps = (msgps * msgSize) / 1024 / 1024;
  out += frags === 1 ? p(`Summary: Message Rate is ${msgps} [msg/sec]`) : p(`Summary: Message Rate is ${msgps} [msg/sec], Packet Rate is about ${msgps * frags} [pkt/sec] (${frags} ip frags / msg)`);
  out += p(`Summary: BandWidth is ${cFixed(mibps, 3)} MBps (${cFixed(mibps * 8, 3)} Mbps)`);
  return out;
}

/** The throughput client: send messages back to back (at most `mps` a second) for `seconds`, no replies. */
function throughput(lab: Lab, board: Board, o: SockperfOptions, taskOpts: { cpus?: number }): CommandResult {
  const to: SockAddr = { addr: o.ip, port: o.port };
  const gap = Number.isFinite(o.mps) ? 1e9 / o.mps : 0;
  const client = clientSocket(board, o, to);
  if ('status' in client) return client;
  const { sock, tcp, udp } = client;
  if (udp !== null) {
    let clients = streamClients.get(lab);
    if (clients === undefined) {
      clients = new Set();
      streamClients.set(lab, clients);
    }
    clients.add(`${board.ip}:${udp.lport}`);
  }
  let connected = tcp === null;
  let sent = 0;
  let partial = 0;
  let startNs = -1;
  let endNs = Infinity;
  let error: NetErrno | null = null;
  let done = false;
  const finish = (): 'exit' => {
    done = true;
    lab.sim.stop();
    return 'exit';
  };
  programStart(lab, board);
  const task = board.host.createUserTask('sockperf', (ctx, t): TaskStep => {
    if (done) return 'exit';
    sock.cancelWait(t);
    if (!connected && tcp !== null) {
      const c = connectStep(tcp, ctx, t, to);
      if (c === 'wait') return 'sleep';
      if (c !== 'ok') {
        error = c;
        return finish();
      }
      connected = true;
    }
    const now = ctx.time;
    if (startNs < 0) {
      startNs = now;
      endNs = now + o.seconds * 1e9;
    }
    if (now >= endNs) return finish();
    // Cycles of 1/mps from the start (sockperf's cycle duration): a late send does not shift the next.
    const due = startNs + sent * gap;
    if (partial === 0 && now < due) return Math.min(due, endNs) - now;
    const r = sock.send(ctx, partial > 0 ? partial : o.msgSize);
    if (!r.ok) {
      if (r.errno === 'EAGAIN') {
        sock.waitWritable(t);
        return endNs - now;
      }
      error = r.errno;
      return finish();
    }
    const left = (partial > 0 ? partial : o.msgSize) - r.bytes;
    partial = tcp !== null && left > 0 ? left : 0;
    if (partial === 0) sent++;
    return 'run';
  }, taskOpts);
  const limit = lab.sim.now + (o.seconds + 300) * 1e9;
  while (!done && lab.sim.now < limit) lab.sim.run({ until: limit });
  done = true;
  task.stop();
  sock.close();
  if (udp !== null) streamClients.get(lab)?.delete(`${board.ip}:${udp.lport}`);
  const head = `${VERSION_LINE}sockperf[CLIENT] send on:\n${addressLine(o.ip, o.port, o.tcp)}`;
  if (error !== null && startNs < 0) return result(head, `sockperf: ERROR: connect: ${netStrerror(error)}\n`, 1);
  let out = `${head}sockperf: Warmup stage (sending a few dummy messages)...\nsockperf: Starting test...\n`;
  out += error !== null ? `sockperf: ERROR: ${netStrerror(error)}\n` : 'sockperf: Test end (interrupted by timer)\n';
  out += 'sockperf: Test ended\n';
  out += sent === 0 ? 'sockperf: No messages were sent\n' : formatStreamStatistics(sent, Math.min(endNs, lab.sim.now) - startNs, o.msgSize, o.mps);
  return result(out, '', error === null ? 0 : 1);
}

/** `sockperf server|ping-pong|throughput` with sockperf 3.10's reports. */
export const sockperf: Command = (argv, env) => {
  const o = parse(argv);
  if ('status' in o) return o;
  const before = takeServerOutput(env.board);
  if (o.mode === 'server') return startServer(env.lab, env.board, o, commandTaskOptions(env));
  const r = o.mode === 'throughput' ? throughput(env.lab, env.board, o, commandTaskOptions(env)) : pingPong(env.lab, env.board, o, commandTaskOptions(env));
  return { ...r, stdout: before + r.stdout };
};
