/**
 * iperf3's data streams in the model (src/iperf_tcp.c, src/iperf_udp.c, the send/receive part
 * of src/iperf_api.c). iperf3 3.12 is single-threaded: one `StreamLoop` task per side runs
 * every stream of that side, one socket call per task step (see `StreamLoop`).
 * Setup as iperf3 does it: a TCP stream connects to the server's port and writes the cookie;
 * a UDP stream connects to the server's port (netdial), sends a 4-byte datagram and waits for
 * the 4-byte answer, which comes from that port (see `IperfUdpListener`).
 * Then a sender writes `-l` bytes per call (UDP: one datagram; TCP: `send`, or `sendfile` with
 * `-Z`) and sleeps on the socket's write queue when it would block; with `-b` it is paced as
 * iperf_check_throttle does (average rate since the start, re-checked on the 1 ms pacing
 * timer); with `-n`/`-k` it stops once its side has sent the count (iperf_send's check) and
 * writes the rest of a block after a partial write (pending_size). A receiver reads up to `-l`
 * bytes per call and sleeps on the read queue. Counters are kept as in `iperf_stream_result`
 * and the test's byte and block counts; the side's reporter samples them each interval.
 *
 * UDP datagram header: real iperf3 writes a timestamp and a sequence number into each
 * datagram. The lab's timing mode elides payload bytes, so the model keeps that header beside
 * the packet instead: the sender logs (sequence, send time) of every datagram that left its
 * host (a datagram its own qdisc dropped never reached the wire), and the receiving socket
 * records which of the datagrams reaching it were queued and which SO_RCVBUF dropped. A
 * stream's datagrams keep their order on the link (one TX queue per connected socket), so the
 * n-th arrival is the n-th datagram on the wire; loss, out-of-order and jitter then follow
 * iperf_udp_recv. Datagrams dropped between the wire and the socket (backlog or device
 * drops) are not seen as gaps, which undercounts that kind of loss.
 */
import type { ExecContext, Host, Task, TaskFn, TaskStep } from '@ntbsim/kernel';
import { NetError, UdpSocket, type Ipv4Addr, type NetErrno, type Skb, type SockAddr, type TcpInfo, type TcpSocket } from '@ntbsim/net-core';
import { COOKIE_SIZE } from './control.js';
import type { IperfErrorCode } from './options.js';
import { usToSecs, type IntervalSample, type OmittedCounts, type TcpIntervalInfo } from './results.js';

/** What the stream tasks of one side share. */
export interface SideState {
  /** TEST_RUNNING reached: senders may send (stream tasks sleep until then). */
  running: boolean;
  /** Virtual time (ns) of TEST_START on this side. */
  startNs: number;
  /** The test is over on this side: stream tasks exit at their next step. */
  done: boolean;
  /** CPU time (ns) of this side's tasks. */
  cpuNs: number;
  /** The first stream error, if any. */
  error: { readonly code: IperfErrorCode; readonly errno: NetErrno } | null;
  /** A stream failed or finished connecting: wake the side's main task. */
  poke(): void;
  /** iperf_send's `-n`/`-k` check: whether a sender may write now (not once the side has sent the count). */
  sendAllowed(): boolean;
  /** A sender wrote `bytes`, completing `blocks` blocks of `-l` bytes (test->bytes_sent, blocks_sent). */
  sent(bytes: number, blocks: number): void;
  /** A receiver read `bytes` in one read (test->bytes_received, and one more of blocks_received). */
  received(bytes: number): void;
}

/** The (sequence, send time) of each datagram a UDP sender put on the wire, in order. */
export class DatagramLog {
  private readonly seqs: number[] = [];
  private readonly times: number[] = [];

  /** Record datagram `seq` sent at `ns`. */
  push(seq: number, ns: number): void {
    this.seqs.push(seq);
    this.times.push(ns);
  }

  /** The n-th datagram on the wire (0-based), or undefined. */
  at(n: number): { readonly seq: number; readonly sentNs: number } | undefined {
    const seq = this.seqs[n];
    const sentNs = this.times[n];
    return seq === undefined || sentNs === undefined ? undefined : { seq, sentNs };
  }
}

/**
 * A UDP socket that remembers which datagrams reaching it were queued (and which SO_RCVBUF
 * dropped), so that each `recv` knows which arrival it returns — see the module comment.
 */
export class IperfUdpSocket extends UdpSocket {
  private arrivals = 0;
  private base = 0;
  private readonly queuedArrivals: number[] = [];
  private head = 0;

  /** __udp_enqueue_schedule_skb, noting the datagram's fate. */
  override queueRcv(skb: Skb, ctx: ExecContext): void {
    const drops = this.stats.drops;
    super.queueRcv(skb, ctx);
    const n = this.arrivals++;
    if (this.stats.drops === drops) this.queuedArrivals.push(n);
  }

  /** The arrival number (0-based from the last `restartArrivals`) of the datagram the last `recv` returned. */
  takeArrival(): number {
    const n = this.queuedArrivals[this.head++] ?? this.base - 1;
    if (this.head > 4096 && this.head * 2 > this.queuedArrivals.length) {
      this.queuedArrivals.splice(0, this.head);
      this.head = 0;
    }
    return n - this.base;
  }

  /** Count arrivals from here on (the handshake datagram is not a data datagram). */
  restartArrivals(): void {
    this.base = this.arrivals;
  }
}

/**
 * The server's UDP stream listener (`prot_listener`) on its port, and the stream sockets
 * iperf_udp_accept makes on that same port: iperf3 connects the listening socket to the
 * client's address and opens a new listener on the port (SO_REUSEADDR), so each stream socket
 * is the server port's, connected to one client port. The model's socket table holds one socket
 * per port; this one, in the table, passes each datagram on as the kernel's UDP lookup would
 * choose (the connected socket of its source first, else the unconnected listener). Here the
 * listener stays the one socket and each accepted stream is a new one: the same sockets by
 * address, and handshakes queued behind another keep waiting on the listener.
 */
export class IperfUdpListener extends IperfUdpSocket {
  private readonly streams: IperfUdpSocket[] = [];

  /** A stream socket on this socket's port connected to `peer` (the socket iperf_udp_accept returns). */
  accept(peer: SockAddr): IperfUdpSocket | NetErrno {
    const s = new IperfUdpSocket(this.stack);
    // Bound to the listener's port by SO_REUSEADDR: a second entry the one-socket-per-port table cannot hold.
    s.lport = this.lport;
    s.laddr = this.laddr;
    const c = s.connect(peer);
    if (!c.ok) {
      s.close();
      return c.errno;
    }
    this.streams.push(s);
    return s;
  }

  /** The port's sockets take what is theirs: a stream socket its connected peer's datagrams, this one the rest. */
  override accepts(src: Ipv4Addr, sport: number, dst: Ipv4Addr): boolean {
    return super.accepts(src, sport, dst) || this.streams.some((s) => s.accepts(src, sport, dst));
  }

  /** Queue the datagram on the stream socket connected to its source, else on the listener. */
  override queueRcv(skb: Skb, ctx: ExecContext): void {
    const l4 = skb.l4;
    const owner = l4.kind === 'udp' ? this.streams.find((s) => s.accepts(skb.ip.src, l4.sport, skb.ip.dst)) : undefined;
    if (owner !== undefined) owner.queueRcv(skb, ctx);
    else super.queueRcv(skb, ctx);
  }
}

/** A socket fd as real iperf3 3.12 numbers its streams: 5, 7, 9, 12, 14, … */
export function streamFd(i: number): number {
  return i < 3 ? 5 + 2 * i : 6 + 2 * i;
}

/** setsockopt(TCP_MAXSEG) as iperf3 makes it (`-M`): false when the kernel refuses the value (EINVAL). */
export function setMaxSeg(sock: TcpSocket, mss: number): boolean {
  try {
    sock.setMaxSeg(mss);
    return true;
  } catch (e) {
    if (e instanceof NetError && e.code === 'EINVAL') return false;
    throw e;
  }
}

/** The socket calls a stream task makes, over UDP or TCP. */
export interface StreamSocket {
  /** Local port. */
  readonly localPort: number;
  /** The peer's address. */
  remote(): SockAddr | null;
  /** Write up to `len` bytes (`sendfile` when `zerocopy`): bytes accepted, or errno. */
  write(ctx: ExecContext, len: number, zerocopy: boolean): { readonly ok: true; readonly bytes: number } | { readonly ok: false; readonly errno: NetErrno };
  /** Read up to `max` bytes: bytes (0 = end of stream) and, for UDP, the datagram's arrival number (else -1); or errno. */
  read(ctx: ExecContext, max: number): { readonly ok: true; readonly bytes: number; readonly arrival: number } | { readonly ok: false; readonly errno: NetErrno };
  /** Sleep `task` until readable. */
  waitReadable(task: Task): void;
  /** Sleep `task` until writable. */
  waitWritable(task: Task): void;
  /** Stop waiting. */
  cancelWait(task: Task): void;
  /** tcp_info of a TCP socket, null for UDP. */
  tcpInfo(): TcpInfo | null;
  /** SO_SNDBUF as read back (bytes). */
  readonly sndbuf: number;
  /** SO_RCVBUF as read back (bytes). */
  readonly rcvbuf: number;
  /** setsockopt(IP_TOS) (iperf_init_stream with `-S`/`--dscp`). */
  setTos(tos: number): void;
  /** Close the socket. */
  close(ctx?: ExecContext): void;
}

/**
 * iperf3's send buffer for functional mode: `len` bytes of a fixed pattern (real iperf3 fills
 * it from /dev/urandom; a pattern keeps the model's RNG stream the same in both modes).
 */
export function functionalPayload(len: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = 0x9e3779b9;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

function sendData(payload: Uint8Array | null, len: number): Uint8Array | number {
  return payload === null ? len : payload.length >= len ? payload.subarray(0, len) : functionalPayload(len);
}

/** A UDP stream socket. */
export class UdpStreamSocket implements StreamSocket {
  /** The send buffer in functional mode (iperf3 fills its buffer once, then writes from it); null in timing mode. */
  payload: Uint8Array | null = null;

  constructor(readonly udp: IperfUdpSocket) {}

  setTos(tos: number): void {
    this.udp.setTos(tos);
  }

  get localPort(): number {
    return this.udp.lport;
  }

  get sndbuf(): number {
    return this.udp.sndbuf;
  }

  get rcvbuf(): number {
    return this.udp.rcvbuf;
  }

  remote(): SockAddr | null {
    return this.peer;
  }

  /** The connected peer (set by `connect`). */
  peer: SockAddr | null = null;

  write(ctx: ExecContext, len: number): ReturnType<StreamSocket['write']> {
    return this.udp.send(ctx, sendData(this.payload, len));
  }

  read(ctx: ExecContext, max: number): ReturnType<StreamSocket['read']> {
    const r = this.udp.recv(ctx, max);
    return r.ok ? { ok: true, bytes: r.bytes, arrival: this.udp.takeArrival() } : r;
  }

  waitReadable(task: Task): void {
    this.udp.waitReadable(task);
  }

  waitWritable(task: Task): void {
    this.udp.waitWritable(task);
  }

  cancelWait(task: Task): void {
    this.udp.cancelWait(task);
  }

  tcpInfo(): null {
    return null;
  }

  close(ctx?: ExecContext): void {
    this.udp.close(ctx);
  }
}

/** A TCP stream socket. */
export class TcpStreamSocket implements StreamSocket {
  /** The send buffer in functional mode; null in timing mode. */
  payload: Uint8Array | null = null;

  constructor(readonly tcp: TcpSocket) {}

  setTos(tos: number): void {
    this.tcp.setTos(tos);
  }

  get localPort(): number {
    return this.tcp.localAddress()?.port ?? 0;
  }

  get sndbuf(): number {
    return this.tcp.sndbuf;
  }

  get rcvbuf(): number {
    return this.tcp.rcvbuf;
  }

  remote(): SockAddr | null {
    return this.tcp.remoteAddress();
  }

  write(ctx: ExecContext, len: number, zerocopy: boolean): ReturnType<StreamSocket['write']> {
    const data = sendData(this.payload, len);
    return zerocopy ? this.tcp.sendfile(ctx, data) : this.tcp.send(ctx, data);
  }

  read(ctx: ExecContext, max: number): ReturnType<StreamSocket['read']> {
    const r = this.tcp.recv(ctx, max);
    return r.ok ? { ok: true, bytes: r.bytes, arrival: -1 } : r;
  }

  waitReadable(task: Task): void {
    this.tcp.waitReadable(task);
  }

  waitWritable(task: Task): void {
    this.tcp.waitWritable(task);
  }

  cancelWait(task: Task): void {
    this.tcp.cancelWait(task);
  }

  tcpInfo(): TcpInfo {
    return this.tcp.tcpInfo();
  }

  close(ctx?: ExecContext): void {
    this.tcp.close(ctx);
  }
}

/** Pacing timer period (iperf3 `--pacing-timer` default, 1000 µs). */
const PACING_NS = 1_000_000;

/** How a client stream gets connected before it carries data. */
export type StreamSetup = { readonly kind: 'tcp'; readonly to: SockAddr } | { readonly kind: 'udp'; readonly to: SockAddr } | { readonly kind: 'none' };

/** What a stream task does. */
export interface StreamJob {
  /** Bytes per write/read (`-l`). */
  readonly blksize: number;
  /** Target rate in bits/s (0 = unlimited). */
  readonly rate: number;
  /** sendfile instead of write. */
  readonly zerocopy: boolean;
  /** The host's UdpSndbufErrors (datagrams its qdisc dropped). */
  readonly udpDrops: () => number;
  /** How the stream connects first. */
  readonly setup: StreamSetup;
  /**
   * Write the rest of the block after a partial write, as iperf_tcp_send does (pending_size):
   * for a test ended by `-n`/`-k`, whose count falls on the block boundaries. The others write
   * a whole `-l` each time — the writes the lab's throughput (`ntb-bench reproduce`) is
   * calibrated with.
   */
  readonly restOfBlock: boolean;
  /** `-S`/`--dscp`: the TOS byte set once the stream is connected (iperf_init_stream), 0 = none. */
  readonly tos: number;
}

/** One stream on one side (iperf_stream + iperf_stream_result). */
export class Stream {
  /** Test-wide byte count (iperf_stream_result bytes_sent or bytes_received; a receiver's restarts at the end of `-O`). */
  bytes = 0;
  /** A sender's `bytes` when the omit period ended (bytes_sent_omit), else 0. */
  bytesOmit = 0;
  /** The UDP counters when the omit period ended (omitted_packet_count, omitted_cnt_error, omitted_outoforder_packets). */
  omittedCounts: OmittedCounts = { packets: 0, errors: 0, outOfOrder: 0 };
  /** Bytes in the current interval. */
  bytesInterval = 0;
  /** UDP: datagrams sent, or the highest sequence received. */
  packetCount = 0;
  /** UDP receiver: datagrams lost (sequence gaps). */
  cntError = 0;
  /** UDP receiver: out-of-order datagrams. */
  outOfOrder = 0;
  /** UDP receiver: RFC 1889 jitter (s). */
  jitter = 0;
  /** Interval samples. */
  readonly intervals: IntervalSample[] = [];
  /** The stream's start_time (µs, its side's TEST_START). */
  startUs = 0;
  /** End of the last interval (µs since start_time). */
  lastEndUs = 0;
  /** TCP: retransmissions over the test (stream_retrans), counted where tcp_info is sampled. */
  retrans = 0;
  /** TCP: largest cwnd, peer window and RTT, smallest RTT, RTT sum and count of the sampled tcp_info. */
  readonly rtt = { maxCwnd: 0, maxWnd: 0, max: 0, min: 0, sum: 0, count: 0 };
  /** The task running the stream (its side's `StreamLoop` task). */
  task: Task | null = null;
  /** Connected and introduced (cookie sent / handshake answered). */
  ready = false;
  private phase: 'connect' | 'cookie' | 'hello' | 'reply' | 'data' = 'data';
  private prevTransit = 0;
  private prevTotalRetrans = 0;
  private last = { packets: 0, lost: 0, outOfOrder: 0 };
  private green = true;
  /** Bytes written of the block in progress (iperf3 counts a block once its `-l` bytes are all written). */
  private blockFill = 0;

  constructor(
    /** Socket fd (the report's ID). */
    readonly fd: number,
    /** Whether this side sends on this stream. */
    readonly sender: boolean,
    /** The socket. */
    readonly sock: StreamSocket,
    /** The UDP header log shared with the peer stream (null for TCP). */
    readonly log: DatagramLog | null,
  ) {}

  /** The task body of this stream on `side`. */
  body(side: SideState, job: StreamJob): TaskFn {
    this.phase = job.setup.kind === 'tcp' ? 'connect' : job.setup.kind === 'udp' ? 'hello' : 'data';
    this.ready = job.setup.kind === 'none';
    // An accepted stream is connected already: iperf_init_stream sets the TOS at once.
    if (this.ready && job.tos !== 0) this.sock.setTos(job.tos);
    return (ctx, task) => {
      if (side.done) return 'exit';
      this.sock.cancelWait(task);
      if (this.phase !== 'data') return this.setupStep(side, job, { ctx, task });
      if (!side.running) return 'sleep';
      return this.sender ? this.sendStep(side, job, { ctx, task }) : this.recvStep(side, job.blksize, { ctx, task });
    };
  }

  private setupStep(side: SideState, job: StreamJob, at: { readonly ctx: ExecContext; readonly task: Task }): TaskStep {
    const { ctx, task } = at;
    const setup = job.setup;
    if (setup.kind === 'none') return 'sleep';
    if (this.sock instanceof TcpStreamSocket) {
      if (this.phase === 'connect') {
        const r = this.sock.tcp.connect(ctx, setup.to);
        if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
          this.sock.waitWritable(task);
          return 'sleep';
        }
        if (!r.ok) return this.fail(side, 'IESTREAMCONNECT', r.errno);
        this.phase = 'cookie';
      }
      const w = this.sock.tcp.send(ctx, COOKIE_SIZE);
      if (!w.ok) return this.fail(side, 'IESTREAMWRITE', w.errno);
      return this.becomeReady(side, job);
    }
    if (this.sock instanceof UdpStreamSocket) {
      const udp = this.sock.udp;
      if (this.phase === 'hello') {
        // iperf_udp_connect: netdial connects the socket to the server's port, then the hello.
        const c = udp.connect(setup.to);
        if (!c.ok) return this.fail(side, 'IESTREAMCONNECT', c.errno);
        this.sock.peer = setup.to;
        const r = udp.send(ctx, 4);
        if (!r.ok) return this.fail(side, 'IESTREAMWRITE', r.errno);
        this.phase = 'reply';
      }
      const r = udp.recv(ctx, 4);
      if (!r.ok) {
        if (r.errno !== 'EAGAIN') return this.fail(side, 'IESTREAMREAD', r.errno);
        udp.waitReadable(task);
        return 'sleep';
      }
      udp.takeArrival();
      udp.restartArrivals();
      return this.becomeReady(side, job);
    }
    return 'sleep';
  }

  /** The stream is connected and introduced: iperf_new_stream → iperf_init_stream sets `-S`'s TOS, then data. */
  private becomeReady(side: SideState, job: StreamJob): TaskStep {
    if (job.tos !== 0) this.sock.setTos(job.tos);
    this.phase = 'data';
    this.ready = true;
    side.poke();
    return 'sleep';
  }

  private sendStep(side: SideState, job: StreamJob, at: { readonly ctx: ExecContext; readonly task: Task }): TaskStep {
    const { ctx, task } = at;
    const now = ctx.time;
    if (job.rate > 0 && !this.green) {
      this.green = this.throttleOk(side, now, job.rate);
      if (!this.green) return side.startNs + (Math.floor((now - side.startNs) / PACING_NS) + 1) * PACING_NS - now;
    }
    if (!side.sendAllowed()) return 'sleep';
    const drops = job.udpDrops();
    const r = this.sock.write(ctx, job.restOfBlock ? Math.max(1, job.blksize) - this.blockFill : job.blksize, job.zerocopy);
    if (!r.ok) {
      if (r.errno === 'EAGAIN') {
        this.sock.waitWritable(task);
        return 'sleep';
      }
      return this.fail(side, 'IESTREAMWRITE', r.errno);
    }
    this.bytes += r.bytes;
    this.bytesInterval += r.bytes;
    this.blockFill += r.bytes;
    const blocks = Math.floor(this.blockFill / Math.max(1, job.blksize));
    this.blockFill -= blocks * Math.max(1, job.blksize);
    side.sent(r.bytes, blocks);
    if (this.log !== null) {
      this.packetCount++;
      if (job.udpDrops() === drops) this.log.push(this.packetCount, now);
    }
    if (job.rate > 0) this.green = this.throttleOk(side, now, job.rate);
    return 'run';
  }

  private recvStep(side: SideState, blksize: number, at: { readonly ctx: ExecContext; readonly task: Task }): TaskStep {
    const { ctx, task } = at;
    const r = this.sock.read(ctx, blksize);
    if (!r.ok) {
      if (r.errno === 'EAGAIN') {
        this.sock.waitReadable(task);
        return 'sleep';
      }
      return this.fail(side, 'IESTREAMREAD', r.errno);
    }
    if (r.bytes === 0 && this.log === null) return 'exit';
    if (ctx.start < side.startNs) return 'run';
    side.received(r.bytes);
    const first = this.bytes === 0;
    this.bytes += r.bytes;
    this.bytesInterval += r.bytes;
    const hdr = this.log?.at(r.arrival);
    if (hdr !== undefined) this.udpHeader(hdr, { first, nowNs: ctx.time });
    return 'run';
  }

  /** iperf_udp_recv's sequence and jitter bookkeeping for one datagram. */
  private udpHeader(hdr: { readonly seq: number; readonly sentNs: number }, at: { readonly first: boolean; readonly nowNs: number }): void {
    if (hdr.seq >= this.packetCount + 1) {
      if (hdr.seq > this.packetCount + 1) this.cntError += hdr.seq - 1 - this.packetCount;
      this.packetCount = hdr.seq;
    } else {
      this.outOfOrder++;
      if (this.cntError > 0) this.cntError--;
    }
    const transit = usToSecs(Math.abs(Math.floor(at.nowNs / 1000) - Math.floor(hdr.sentNs / 1000)));
    if (at.first) this.prevTransit = transit;
    const d = Math.abs(transit - this.prevTransit);
    this.prevTransit = transit;
    this.jitter += (d - this.jitter) / 16.0;
  }

  private throttleOk(side: SideState, now: number, rate: number): boolean {
    const seconds = usToSecs(Math.floor(now / 1000) - Math.floor(side.startNs / 1000));
    return (this.bytes * 8) / seconds < rate;
  }

  private fail(side: SideState, code: IperfErrorCode, errno: NetErrno): TaskStep {
    if (side.error === null) {
      side.error = { code, errno };
      side.poke();
    }
    return 'exit';
  }

  /**
   * iperf_stats_callback for this stream at `nowNs`: close the current interval. `tcpInfo`: the
   * side's sender_has_retransmits — iperf_stats_callback then samples tcp_info on every stream,
   * the receiving ones of a --bidir test too (their max_snd_cwnd, max_rtt … reach the JSON).
   * `omitting`: test->omitting, which marks the interval.
   */
  sample(nowNs: number, tcpInfo: boolean, omitting: boolean): void {
    const endUs = Math.floor(nowNs / 1000) - this.startUs;
    let tcp: TcpIntervalInfo | null = null;
    const info = tcpInfo ? this.sock.tcpInfo() : null;
    if (info !== null) {
      const retransmits = info.totalRetrans - this.prevTotalRetrans;
      this.prevTotalRetrans = info.totalRetrans;
      this.retrans += retransmits;
      const sndCwnd = info.sndCwnd * info.sndMss;
      const r = this.rtt;
      r.maxCwnd = Math.max(r.maxCwnd, sndCwnd);
      r.maxWnd = Math.max(r.maxWnd, info.sndWnd);
      r.max = Math.max(r.max, info.rtt);
      if (r.min === 0 || info.rtt < r.min) r.min = info.rtt;
      r.sum += info.rtt;
      r.count++;
      tcp = { retransmits, sndCwnd, sndWnd: info.sndWnd, rtt: info.rtt, rttvar: info.rttvar, pmtu: info.pmtu };
    }
    const udp =
      this.log === null
        ? null
        : { packets: this.packetCount - this.last.packets, lost: this.cntError - this.last.lost, jitter: this.jitter, outOfOrder: this.outOfOrder - this.last.outOfOrder };
    this.last = { packets: this.packetCount, lost: this.cntError, outOfOrder: this.outOfOrder };
    this.intervals.push({ start: this.lastEndUs, end: endUs, bytes: this.bytesInterval, omitted: omitting, tcp, udp, atNs: nowNs });
    this.bytesInterval = 0;
    this.lastEndUs = endUs;
  }

  /** What send_results reports as the stream's bytes: bytes_sent − bytes_sent_omit, or bytes_received. */
  get bytesTransferred(): number {
    return this.bytes - this.bytesOmit;
  }

  /**
   * iperf_reset_stats at `nowNs`, when the omit period ends (identical in iperf_api.c ~3.9
   * b132e1ed and post-3.12 dfe0ec5e): the UDP counters are remembered (omitted_*), jitter is 0,
   * a sender's bytes so far become bytes_sent_omit while a receiver's bytes_received restart at
   * 0 (so its next datagram is a "first packet" for the jitter again), the interval's bytes are
   * dropped, retransmits restart (with `tcpInfo`, sender_has_retransmits, from tcp_info's
   * current total), and start_time becomes now. Not reset, in both versions: the interval list,
   * the last interval's end_time (the next interval starts there), and the cwnd/RTT extremes.
   */
  resetStats(nowNs: number, tcpInfo: boolean): void {
    this.omittedCounts = { packets: this.packetCount, errors: this.cntError, outOfOrder: this.outOfOrder };
    this.jitter = 0;
    if (this.sender) this.bytesOmit = this.bytes;
    else this.bytes = 0;
    this.bytesInterval = 0;
    const info = tcpInfo ? this.sock.tcpInfo() : null;
    if (info !== null) this.prevTotalRetrans = info.totalRetrans;
    this.retrans = 0;
    const nowUs = Math.floor(nowNs / 1000);
    // lastEndUs is relative to start_time: the previous interval's end_time seen from the new
    // start (≤ 0); with no interval yet the next one starts at the new start_time itself.
    this.lastEndUs = this.intervals.length === 0 ? 0 : this.startUs + this.lastEndUs - nowUs;
    this.startUs = nowUs;
  }

  /** The test started on this side at `startNs`: counters and intervals from there. */
  begin(startNs: number): void {
    this.startUs = Math.floor(startNs / 1000);
    if (this.sock instanceof TcpStreamSocket) this.prevTotalRetrans = this.sock.tcp.tcpInfo().totalRetrans;
  }
}

/** One stream in a `StreamLoop`: its body and whether it can make progress now. */
interface LoopEntry {
  readonly body: TaskFn;
  /** `ready`: call it; `blocked`: waits on its socket (or for TEST_RUNNING); `timed`: paced until `until`. */
  state: 'ready' | 'blocked' | 'timed';
  /** Deadline of a `timed` entry (ns). */
  until: number;
}

/**
 * The one thread of iperf3 3.12 for a side's streams: its main loop calls select() over the
 * stream sockets, then iperf_send / iperf_recv make one write or read on every ready stream.
 * Here one user task runs the stream bodies round-robin, one socket call per step. A stream
 * whose call would block registers the task on its socket; it is polled again after a round in
 * which some stream made progress (the next select() would report its socket), or when the
 * task, with nothing else to do, is woken (select returning). A paced sender is polled again at
 * its deadline. All of a side's stream work therefore lands on one CPU, as with the real 3.12
 * (3.16 and later run a thread per stream).
 */
export class StreamLoop {
  private readonly entries: LoopEntry[] = [];
  private next = 0;
  private progress = false;
  private rounds = 0;
  /** The task (comm `iperf3`). */
  readonly task: Task;

  /** A loop on `host`: `wrap` wraps its body (the side's CPU accounting), `cpus` is its affinity mask (default all). */
  constructor(host: Host, how: { readonly wrap: (fn: TaskFn) => TaskFn; readonly cpus?: number }) {
    const body = how.wrap((ctx, task) => this.step(ctx, task));
    this.task = host.createUserTask('iperf3', body, how.cpus === undefined ? {} : { cpus: how.cpus });
  }

  /** How many rounds over the streams have started: one round per select() and iperf_send call of the real loop. */
  get round(): number {
    return this.rounds;
  }

  /** Add a stream's body; it runs from the loop's next step (a runnable loop takes it up by itself). */
  add(body: TaskFn): void {
    this.entries.push({ body, state: 'ready', until: 0 });
    if (this.task.state === 'sleeping') this.task.wake();
  }

  private step(ctx: ExecContext, task: Task): TaskStep {
    let e = this.pick(ctx.time);
    if (e === undefined) {
      this.repoll();
      e = this.pick(ctx.time);
    }
    if (e === undefined) return this.wait(ctx.time);
    const r = e.body(ctx, task);
    if (r === 'run') {
      e.state = 'ready';
      this.progress = true;
    } else if (r === 'sleep') {
      e.state = 'blocked';
    } else if (r === 'exit') {
      const i = this.entries.indexOf(e);
      this.entries.splice(i, 1);
      if (i < this.next) this.next--;
    } else {
      e.state = 'timed';
      e.until = ctx.time + r;
    }
    return this.entries.some((x) => x.state === 'ready' || (x.state === 'timed' && x.until <= ctx.time)) ? 'run' : this.wait(ctx.time);
  }

  /** Poll every blocked stream again. */
  private repoll(): void {
    for (const x of this.entries) if (x.state === 'blocked') x.state = 'ready';
  }

  /**
   * The next entry to call: a ready one, or a paced one whose deadline has come, from `next` to
   * the end of the round (the last entry). When the round has nothing left, a new one starts
   * from the first entry, and if a stream made progress in the last round the blocked ones are
   * polled in the new one, as the next select() would report their sockets.
   */
  private pick(now: number): LoopEntry | undefined {
    const e = this.scan(this.next, now);
    if (e !== undefined) return e;
    if (this.progress) this.repoll();
    this.progress = false;
    this.rounds++;
    return this.scan(0, now);
  }

  /** The first callable entry at index `from` or later, moving `next` past it. */
  private scan(from: number, now: number): LoopEntry | undefined {
    const es = this.entries;
    for (let i = from; i < es.length; i++) {
      const e = es[i] as LoopEntry;
      if (e.state === 'timed' && e.until <= now) e.state = 'ready';
      if (e.state !== 'ready') continue;
      this.next = i + 1;
      return e;
    }
    return undefined;
  }

  /** Nothing to call now: sleep until a socket wakes the task or the first pacing deadline; exit when no stream is left. */
  private wait(now: number): TaskStep {
    if (this.entries.length === 0) return 'exit';
    let until = Infinity;
    for (const e of this.entries) if (e.state === 'timed') until = Math.min(until, e.until);
    return until === Infinity ? 'sleep' : Math.max(0, until - now);
  }
}
