/**
 * What the client and server sides of an iperf3 test share: the side's state (its streams,
 * start, reporter schedule, CPU time, and test->bytes_sent/… that `-n`/`-k` count against),
 * the parameters and results exchange (send_parameters, send_results / get_results, with a
 * server's `--get-server-output`) and the assembly of a side's `TestResult` from its streams
 * and, after the exchange, the peer's.
 */
import type { Task, TaskFn } from '@ntbsim/kernel';
import { formatIpv4, parseIpv4, type NetErrno } from '@ntbsim/net-core';
import type { Board, Lab } from '../../lab/lab.js';
import { cjsonPrintUnformatted } from '../net/cjson.js';
import { systemInfo, wallClockSeconds } from '../net/host.js';
import { IPERF_VERSION, type IperfErrorCode } from './options.js';
import { usToSecs, type IperfMode, type IperfProtocol, type ReportClock, type ServerOutput, type SockBufInfo, type StreamResult, type TestResult } from './results.js';
import { StreamLoop, TcpStreamSocket, type SideState, type Stream } from './streams.js';

/** The test parameters the client sends in PARAM_EXCHANGE (send_parameters), as the model uses them. */
export interface TestParams {
  /** Protocol. */
  readonly protocol: IperfProtocol;
  /** `-P`. */
  readonly numStreams: number;
  /** Block size (bytes). */
  readonly blksize: number;
  /** `-w` (bytes, 0 = default). */
  readonly socketBufsize: number;
  /** `-b` (bits/s). */
  readonly rate: number;
  /** `-t` (s). */
  readonly duration: number;
  /** `-O` (s): the omit period before the `-t` seconds, 0 = none. */
  readonly omit: number;
  /** `-R`. */
  readonly reverse: boolean;
  /** `--bidir`. */
  readonly bidir: boolean;
  /** `-Z` (the server sends with sendfile too in reverse mode). */
  readonly zerocopy: boolean;
  /** `-N` (TCP_NODELAY on both ends of the streams). */
  readonly noDelay: boolean;
  /** `-C` (TCP_CONGESTION on both ends of the streams), null = each host's default. */
  readonly congestion: string | null;
  /** `-S`/`--dscp` (IP_TOS on both ends of the streams, the params' `TOS`), 0 = none. */
  readonly tos: number;
  /** `-M` (TCP_MAXSEG on the client's streams and the server's listener, the params' `MSS`), 0 = none. */
  readonly mss: number;
  /** The client's `-i` (the server uses its own, default 1 s). */
  readonly interval: number;
  /** `-A n,m`: the CPU the server runs the test on, -1 = its own setting. */
  readonly serverAffinity: number;
  /** The 36-character cookie. */
  readonly cookie: string;
  /** `-n` (bytes, 0 = none). */
  readonly bytes: number;
  /** `-k` (blocks, 0 = none). */
  readonly blocks: number;
  /** `-b …/N` (packets per burst, 0 = none): how many writes iperf_send makes per call. */
  readonly burst: number;
  /** `-T`, null = none. */
  readonly title: string | null;
  /** `--get-server-output`. */
  readonly getServerOutput: boolean;
}

/** The text of a params message as cJSON_PrintUnformatted writes it (its length is what travels). */
export function paramsJson(p: TestParams): string {
  const o: Record<string, unknown> = { [p.protocol === 'TCP' ? 'tcp' : 'udp']: true, omit: p.omit, time: p.duration };
  if (p.bytes !== 0) o.num = p.bytes;
  if (p.blocks !== 0) o.blockcount = p.blocks;
  if (p.mss !== 0) o.MSS = p.mss;
  o.parallel = p.numStreams;
  if (p.noDelay) o.nodelay = true;
  if (p.congestion !== null) o.congestion = p.congestion;
  if (p.reverse) o.reverse = true;
  if (p.bidir) o.bidirectional = true;
  if (p.socketBufsize > 0) o.window = p.socketBufsize;
  o.len = p.blksize;
  if (p.rate > 0) o.bandwidth = p.rate;
  o.pacing_timer = 1000;
  if (p.burst !== 0) o.burst = p.burst;
  if (p.tos !== 0) o.TOS = p.tos;
  if (p.title !== null) o.title = p.title;
  if (p.getServerOutput) o.get_server_output = 1;
  if (p.serverAffinity >= 0) o.server_affinity = p.serverAffinity;
  o.client_version = '3.12';
  return JSON.stringify(o);
}

/**
 * The sched_setaffinity mask of iperf3's `-A cpu` on `board`: `inherited` (the affinity it was
 * started with, `taskset`'s; undefined for all CPUs) for no `-A` (cpu < 0), null when the board
 * has no such CPU (EINVAL, iperf3's IEAFFINITY).
 */
export function affinityMask(board: Board, cpu: number, inherited?: number): number | undefined | null {
  if (cpu < 0) return inherited;
  return cpu < board.host.cpus.length ? 2 ** cpu : null;
}

/** One stream's numbers in the results exchange (send_results). */
export interface PeerStream {
  /** The client-side local port of the stream (how the two ends are matched). */
  readonly clientPort: number;
  /** Bytes sent (sender) or received (receiver). */
  readonly bytes: number;
  /** Retransmissions (TCP sender with tcp_info), else -1. */
  readonly retransmits: number;
  /** Jitter (s). */
  readonly jitter: number;
  /** Lost datagrams. */
  readonly errors: number;
  /** Datagrams sent, or the highest sequence received. */
  readonly packets: number;
  /** end_time − start_time of the stream (s). */
  readonly time: number;
}

/** A side's results message. */
export interface PeerResults {
  /** sender_has_retransmits of that side. */
  readonly senderHasRetransmits: boolean;
  /** Its CPU utilisation (%). */
  readonly cpuPercent: number;
  /** Its streams' congestion control (congestion_used: TCP_CONGESTION read back), null for UDP. */
  readonly congestionUsed: string | null;
  /** A server's output of the test, sent when a client of it asked for it (see server.ts), else null. */
  readonly serverOutput: ServerOutput | null;
  /** Per stream. */
  readonly streams: readonly PeerStream[];
}

/** The text of a results message (cJSON_PrintUnformatted of send_results' object; its length is what travels). */
export function resultsJson(r: PeerResults): string {
  const out = r.serverOutput;
  // A server's JSON document goes in as it is (cJSON_AddItemReferenceToObject): a placeholder, replaced by its text.
  const placeholder = '\u0000server_output_json';
  const text = JSON.stringify({
    cpu_util_total: r.cpuPercent,
    cpu_util_user: 0,
    cpu_util_system: r.cpuPercent,
    sender_has_retransmits: r.senderHasRetransmits ? 1 : 0,
    ...(r.congestionUsed === null ? {} : { congestion_used: r.congestionUsed }),
    ...(out === null ? {} : out.kind === 'text' ? { server_output_text: out.text } : { server_output_json: placeholder }),
    streams: r.streams.map((s, i) => ({ id: i + 1, bytes: s.bytes, retransmits: s.retransmits, jitter: s.jitter, errors: s.errors, packets: s.packets, start_time: 0, end_time: s.time })),
  });
  return out?.kind === 'json' ? text.replace(JSON.stringify(placeholder), cjsonPrintUnformatted(out.doc)) : text;
}

/**
 * When a side's senders stop at the `-n`/`-k` count. iperf_send's multisend (`-b …/N`'s N, else
 * 10 without `-b`, else 1) above 1: it checks the count before each write (`write`; it skips the
 * check in the last of its passes, which only matters when the count is reached in that pass
 * with `-P` > 1: the lab checks every write). At 1 (a paced test) it makes one write per stream
 * without a check: a client ends the test after that round (`round`: the streams of the round
 * that reached the count still write), a server — which never ends a test — sends on until the
 * client does (`never`).
 */
export type CountCheck = 'write' | 'round' | 'never';

/** How a side's senders count toward `-n`/`-k`. */
export interface EndByCount {
  /** `-n` (0 = none; negative: a wrapped count no test reaches). */
  readonly bytes: number;
  /** `-k` (0 = none). */
  readonly blocks: number;
  /** When its senders stop. */
  readonly check: CountCheck;
}

/** The `-n`/`-k` end of test parameters `p` on a client (`c`) or server, null for a test without one. */
export function endByCount(p: TestParams, role: 'c' | 's'): EndByCount | null {
  if (p.bytes === 0 && p.blocks === 0) return null;
  const multisend = p.burst !== 0 ? p.burst : p.rate === 0 ? 10 : 1;
  const check = multisend > 1 ? 'write' : role === 'c' ? 'round' : 'never';
  return { bytes: p.bytes, blocks: p.blocks, check };
}

/** A count reaching a `-n`/`-k` target (unsigned: a negative target is about 2^64, never reached). */
function reached(count: number, target: number): boolean {
  return target > 0 && count >= target;
}

/** One side of a test. */
export class Side implements SideState {
  running = false;
  startNs = 0;
  done = false;
  cpuNs = 0;
  error: SideState['error'] = null;
  /** The streams in creation (client) or accept (server) order. */
  readonly streams: Stream[] = [];
  /** Per-stream client ports (how a server stream is matched to its client stream). */
  readonly clientPorts: number[] = [];
  /** Socket buffers per stream, for JSON `start`. */
  readonly sockBufs: SockBufInfo[] = [];
  /** The side's main task. */
  main: Task | null = null;
  /** The one task running every stream of this side (created with the first stream). */
  private loop: StreamLoop | null = null;
  /** Next interval report (ns). */
  nextStats = Infinity;
  /** iperf3's test->omitting: the `-O` period has not ended yet. */
  omitting = false;
  /** When the omit timer fires (ns), Infinity without `-O`. */
  private omitEndNs = Infinity;
  /** test->bytes_sent and blocks_sent (restarted when the omit period ends), bytes_received and blocks_received. */
  readonly counts = { bytesSent: 0, blocksSent: 0, bytesReceived: 0, blocksReceived: 0 };
  /** The test's `-n`/`-k` (a server's from the parameters), null for none. */
  endBy: EndByCount | null = null;
  /** The stream loop's round in which the senders reached the count (-1: not reached). */
  private reachedRound = -1;

  /** Whether this side sends, receives or both. */
  readonly mode: IperfMode;
  /** TCP or UDP. */
  readonly protocol: IperfProtocol;
  /** The CPUs its stream task may run on (iperf3 `-A`: one CPU), undefined = all. */
  readonly cpus: number | undefined;

  constructor(
    readonly role: 'c' | 's',
    readonly board: Board,
    test: { readonly mode: IperfMode; readonly protocol: IperfProtocol; readonly cpus?: number | undefined },
  ) {
    this.mode = test.mode;
    this.protocol = test.protocol;
    this.cpus = test.cpus;
  }

  /** Wake the main task. */
  poke(): void {
    this.main?.wake();
  }

  /** Whether this side's senders have sent the `-n`/`-k` count. */
  private get sentReached(): boolean {
    const e = this.endBy;
    return e !== null && (reached(this.counts.bytesSent, e.bytes) || reached(this.counts.blocksSent, e.blocks));
  }

  /** iperf_send's check: a sender may write until the count is sent (see CountCheck). */
  sendAllowed(): boolean {
    const check = this.endBy?.check;
    if (check === undefined || check === 'never' || !this.sentReached) return true;
    return check === 'round' && this.loop?.round === this.reachedRound;
  }

  /** A sender wrote `bytes` completing `blocks` blocks; reaching the count wakes the main task, which ends a client's test. */
  sent(bytes: number, blocks: number): void {
    const before = this.sentReached;
    this.counts.bytesSent += bytes;
    this.counts.blocksSent += blocks;
    if (before || !this.sentReached) return;
    this.reachedRound = this.loop?.round ?? -1;
    this.poke();
  }

  /** A receiver read `bytes`; reaching the count wakes the main task. */
  received(bytes: number): void {
    const before = this.receivedReached;
    this.counts.bytesReceived += bytes;
    this.counts.blocksReceived++;
    if (!before && this.receivedReached) this.poke();
  }

  private get receivedReached(): boolean {
    const e = this.endBy;
    return e !== null && (reached(this.counts.bytesReceived, e.bytes) || reached(this.counts.blocksReceived, e.blocks));
  }

  /** The client's end check on `-n`/`-k`: out of the omit period, the count sent or received. */
  get countReached(): boolean {
    return !this.omitting && (this.sentReached || this.receivedReached);
  }

  /** Whether this side's TCP senders report tcp_info (sender_has_retransmits). */
  get senderHasRetransmits(): boolean {
    return this.protocol === 'TCP' && this.mode !== 'receiver';
  }

  /** TEST_START at `now`: the streams' start times, the reporter's first deadline and, with `-O`, the omit timer. */
  begin(now: number, intervalNs: number, omit: number): void {
    this.startNs = now;
    this.nextStats = now + intervalNs;
    // create_client_omit_timer / create_server_omit_timer: `omit` s after TEST_START, test->omitting until then.
    this.omitting = omit > 0;
    this.omitEndNs = omit > 0 ? now + omit * 1e9 : Infinity;
    for (const s of this.streams) s.begin(now);
  }

  /** TEST_RUNNING: let the stream tasks send. */
  run(): void {
    this.running = true;
    for (const s of this.streams) s.task?.wake();
  }

  /** Close the current interval of every stream at `ns` (iperf_stats_callback). */
  sample(ns: number): void {
    for (const s of this.streams) s.sample(ns, this.senderHasRetransmits, this.omitting);
  }

  /**
   * The timers due by `now`, before `limit` (exclusive), in the order tmr_run runs them: interval
   * reports, and the end of the omit period. At a tie the report runs first — the stats and
   * reporter timers are created (create_*_timers) before the omit timer (create_*_omit_timer),
   * so the interval that ends with the omit period is still sampled and printed as omitted.
   * Returns the next deadline.
   */
  reportDue(now: number, intervalNs: number, limit = Infinity): number {
    for (;;) {
      const omitAt = this.omitting ? this.omitEndNs : Infinity;
      const next = Math.min(this.nextStats, omitAt);
      if (now < next || next >= limit) return next;
      if (this.nextStats <= omitAt) {
        this.sample(now);
        this.nextStats += intervalNs;
      } else this.endOmit(now, intervalNs);
    }
  }

  /**
   * client_omit_timer_proc / server_omit_timer_proc at `now`: test->omitting off, iperf_reset_stats,
   * and the stats and reporter timers reset to fire an interval from now (tmr_reset).
   */
  private endOmit(now: number, intervalNs: number): void {
    this.omitting = false;
    // iperf_reset_stats: the sent counts restart (what was received stays counted) — senders
    // that reached a -n/-k count in the omit period send again.
    const held = this.sentReached;
    this.counts.bytesSent = 0;
    this.counts.blocksSent = 0;
    this.reachedRound = -1;
    if (held) for (const s of this.streams) s.task?.wake();
    for (const s of this.streams) s.resetStats(now, this.senderHasRetransmits);
    this.nextStats = now + intervalNs;
  }

  /** End the streams (done): their tasks exit at their next step. */
  stop(): void {
    this.done = true;
    for (const s of this.streams) s.task?.wake();
  }

  /** Close the stream sockets. */
  closeStreams(): void {
    for (const s of this.streams) s.sock.close();
  }

  /** Run `stream` (whose task body is `body`) on this side's stream loop. */
  startStream(stream: Stream, body: TaskFn): void {
    this.loop ??= new StreamLoop(this.board.host, { wrap: (fn) => this.accounted(fn), ...(this.cpus === undefined ? {} : { cpus: this.cpus }) });
    stream.task = this.loop.task;
    this.loop.add(body);
  }

  /** Wrap a task body to account its CPU time to this side. */
  accounted(fn: TaskFn): TaskFn {
    return (ctx, task) => {
      const step = fn(ctx, task);
      this.cpuNs += ctx.time - ctx.start;
      return step;
    };
  }

  /** congestion_used: the congestion control its TCP streams run (TCP_CONGESTION read back from the first), null without one. */
  get congestionUsed(): string | null {
    for (const s of this.streams) if (s.sock instanceof TcpStreamSocket) return s.sock.tcp.congestion;
    return null;
  }

  /** This side's results message, with `serverOutput` (a server's, or null). */
  peerResults(cpuPercent: number, serverOutput: ServerOutput | null = null): PeerResults {
    const retr = this.senderHasRetransmits;
    return {
      senderHasRetransmits: retr,
      cpuPercent,
      congestionUsed: this.congestionUsed,
      serverOutput,
      streams: this.streams.map((s, i) => ({
        clientPort: this.clientPorts[i] ?? 0,
        bytes: s.bytesTransferred,
        retransmits: s.sender && retr ? s.retrans : -1,
        jitter: s.jitter,
        errors: s.cntError,
        packets: s.packetCount,
        time: usToSecs(s.lastEndUs),
      })),
    };
  }
}

/** What the result of a side needs besides its streams. */
export interface ResultContext {
  /** The lab. */
  readonly lab: Lab;
  /** The test's parameters. */
  readonly params: TestParams;
  /** Reporter interval of this side (s). */
  readonly interval: number;
  /** `-f` of this side. */
  readonly unitFormat: string;
  /** The peer's results, when the exchange happened. */
  readonly peer: PeerResults | null;
  /** CPU utilisation (%) of this side and of the peer. */
  readonly cpu: { readonly host: number; readonly remote: number };
  /** Control connection's peer (client: the server; server: the client's control port). */
  readonly peerHost: string;
  /** See peerHost. */
  readonly peerPort: number;
  /** Wall-clock time of the connection (s). */
  readonly timesecs: number;
  /** TCP_MAXSEG of the control connection as iperf3 keeps it (ctrl_sck_mss: a server never reads it, 0). */
  readonly mss: number;
  /** When its parts were printed. */
  readonly clock: ReportClock;
  /** What the server sent with `--get-server-output` (client), else null. */
  readonly serverOutput: ServerOutput | null;
}

/** The TestResult of `side` (iperf_print_results' inputs). */
export function sideResult(side: Side, c: ResultContext): TestResult {
  const p = c.params;
  const tcp = p.protocol === 'TCP';
  const localRetr = side.senderHasRetransmits;
  const peer = c.peer;
  const streams: StreamResult[] = side.streams.map((s, i) => {
    const port = side.clientPorts[i] ?? 0;
    const ps = peer?.streams.find((x) => x.clientPort === port);
    const r = s.rtt;
    const remote = s.sock.remote();
    return {
      socket: s.fd,
      sender: s.sender,
      // getsockname's address: the source the route to the peer picks (127.0.0.1 through lo).
      localHost: remote === null ? side.board.ip : formatIpv4(side.board.stack.route(parseIpv4(remote.addr))?.src ?? parseIpv4(side.board.ip)),
      localPort: s.sock.localPort,
      remoteHost: remote?.addr ?? '',
      remotePort: side.role === 'c' ? c.peerPort : (remote?.port ?? 0),
      intervals: s.intervals,
      bytesSent: s.sender ? s.bytesTransferred : (ps?.bytes ?? 0),
      bytesReceived: s.sender ? (ps?.bytes ?? 0) : s.bytes,
      endTime: s.lastEndUs,
      peerTime: ps?.time ?? 0,
      retransmits: s.sender ? (localRetr ? s.retrans : -1) : (ps?.retransmits ?? -1),
      maxSndCwnd: r.maxCwnd,
      maxSndWnd: r.maxWnd,
      maxRtt: r.max,
      minRtt: r.min,
      meanRtt: r.count === 0 ? 0 : Math.trunc(r.sum / r.count),
      packetCount: s.packetCount,
      peerPacketCount: ps?.packets ?? 0,
      cntError: s.sender ? (ps?.errors ?? 0) : s.cntError,
      outOfOrder: s.outOfOrder,
      omittedCounts: s.omittedCounts,
      jitter: s.sender ? (ps?.jitter ?? 0) : s.jitter,
    };
  });
  const peerRetr = peer?.senderHasRetransmits ?? false;
  const upperSends = side.mode === 'bidir' ? side.role === 's' : side.mode === 'sender';
  const localCc = side.congestionUsed;
  const remoteCc = peer === null ? null : peer.congestionUsed;
  return {
    role: side.role,
    protocol: p.protocol,
    mode: side.mode,
    reverse: p.reverse,
    numStreams: p.numStreams,
    interval: c.interval,
    unitFormat: c.unitFormat,
    senderHasRetransmits: localRetr,
    summarySenderHasRetransmits: side.mode === 'receiver' ? peerRetr : localRetr,
    otherSideHasRetransmits: side.mode === 'bidir' ? peerRetr : false,
    streams,
    omitting: side.omitting,
    start: {
      version: IPERF_VERSION,
      systemInfo: systemInfo(c.lab, side.board),
      timesecs: c.timesecs,
      peerHost: c.peerHost,
      peerPort: c.peerPort,
      cookie: p.cookie,
      tcpMssDefault: c.mss,
      tcpMss: p.mss,
      targetBitrate: p.rate,
      tos: p.tos,
      sockBufs: side.sockBufs,
      blksize: p.blksize,
      omit: p.omit,
      duration: p.duration,
      bytes: p.bytes,
      blocks: p.blocks,
    },
    cpu: { hostTotal: c.cpu.host, hostUser: 0, hostSystem: c.cpu.host, remoteTotal: c.cpu.remote, remoteUser: 0, remoteSystem: c.cpu.remote },
    senderCongestion: tcp ? (upperSends ? localCc : remoteCc) : null,
    receiverCongestion: tcp ? (upperSends ? remoteCc : localCc) : null,
    title: p.title,
    clock: c.clock,
    serverOutput: c.serverOutput,
  };
}

/** A failure of one side: an iperf_strerror code and, where iperf3 appends one, an errno. */
export interface SideFailure {
  /** The error code. */
  readonly code: IperfErrorCode;
  /** The errno (its strerror text is appended), or null. */
  readonly errno: NetErrno | null;
}

/** The wall-clock seconds iperf3 would stamp a connection made now. */
export function connectionTime(lab: Lab): number {
  return wallClockSeconds(lab);
}
