/**
 * iputils ping's main_loop (ping/ping_common.c, 20240117) as a user task on the model's ICMP
 * echo socket: pinger()'s token bucket (`-l` preload's burst, `-i`, the unlimited flood of
 * interval 0 that waits for a reply or MIN_INTERVAL_MS, EAGAIN's retry, ENOBUFS's back-off,
 * hard local errors), schedule_exit()'s alarm after the last request, the wait main_loop picks —
 * poll() for `next` ms, a blocking recvmsg() with SO_RCVTIMEO of the interval, or a spin when
 * the next request is due within a jiffy of USER_HZ and nothing is in flight (the CPU stays
 * busy, a slice at a time) — and what a reply or an error does: gather_statistics() (the RTT,
 * its moving average, `-A`'s update_interval(), the reply line, `-f`'s backspace, `-a`'s BEL,
 * `-D`'s time stamp), acknowledge() and in_flight(), `-O`'s `no answer yet`, and finish().
 *
 * Times come from the board: CLOCK_MONOTONIC_RAW is virtual time since its boot, gettimeofday
 * the lab's epoch plus virtual time. pinger() reckons in whole milliseconds from the seconds and
 * nanoseconds of those times, as iputils does, so a reply that wakes ping a fraction of a
 * millisecond into an interval pushes the next request back by that fraction (the `time` of a
 * 3-request run at 0.2 s over ntb0's ~8 ms round trip is 402 ms, not 400). Round trips are
 * measured from the send call to the read of the reply in the task (the user-to-user latency
 * of `-U`; iputils otherwise reads the kernel's receive time stamp, which the model's ping
 * socket does not report). poll() and SO_RCVTIMEO time out exactly (no timer slack, no jiffy
 * rounding). A duplicate reply is not looked for (the model delivers none), and a flood's `.` is
 * printed whatever the preload (iputils stops printing it when the preload and the pipe reach
 * the terminal's width).
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import { netStrerror, type EchoReplyResult, type IcmpErrorResult, type NetErrno, type PingSocket } from '@ntbsim/net-core';
import { wallClockUs } from '../net/host.js';
import { formatPingReply, formatPingStatistics, formatTimestamp, icmpUnreachText } from './format.js';
import { MAX_DUP_CHK, type PingOptions } from './options.js';

/** iputils' MIN_INTERVAL_MS: the least gap of a flood without replies, the retry delay after EAGAIN, SCHINT's floor. */
const MIN_INTERVAL_MS = 10;
/** iputils' MIN_USER_INTERVAL_MS: the shortest interval a user other than root may have (`-i`, and `-A`'s floor). */
export const MIN_USER_INTERVAL_MS = 2;
/** sysconf(_SC_CLK_TCK): main_loop spins when the next request is due within 1000 / USER_HZ ms. */
const USER_HZ = 100;
/** sizeof(struct timeval) on 64-bit Linux: payloads at least this long carry the send time (rts->timing). */
export const TIMEVAL_BYTES = 16;
/** One slice of a spin (ns): between two, softirqs and other tasks get the CPU, as sched_yield lets them. */
const SPIN_SLICE_NS = 100_000;

/** SCHINT: an interval of at least MIN_INTERVAL_MS. */
const schint = (ms: number): number => (ms <= MIN_INTERVAL_MS ? MIN_INTERVAL_MS : ms);

/** Whole milliseconds from monotonic time `a` to `b` (ns) as pinger() takes them: seconds × 1000 plus the nanoseconds' difference / 10⁶, truncated. */
function msBetween(a: number, b: number): number {
  const as = Math.floor(a / 1e9);
  const bs = Math.floor(b / 1e9);
  return (bs - as) * 1000 + Math.trunc((b - bs * 1e9 - (a - as * 1e9)) / 1e6);
}

/** The first time (ns, ≥ `from`) at which msBetween(`cur`, it) reaches `ms`. */
function whenMsReached(cur: number, ms: number, from: number): number {
  let lo = from;
  let hi = Math.max(from, cur + ms * 1e6);
  if (msBetween(cur, lo) >= ms) return lo;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (msBetween(cur, mid) >= ms) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** What a run needs from the command that set it up. */
export interface PingRunSpec {
  /** The options. */
  readonly o: PingOptions;
  /** The echo socket, set up (IP_MTU_DISCOVER, buffers, TTL, TOS, binding). */
  readonly sock: PingSocket;
  /** The address pinged (whereto). */
  readonly addr: string;
  /** The destination as given (rts->hostname), for the statistics. */
  readonly hostname: string;
  /** ping runs as root (uid 0). */
  readonly root: boolean;
  /** The interval setup() leaves (0 for `-f` without `-i`), in ms. */
  readonly intervalMs: number;
  /** The board's boot time (virtual ns): CLOCK_MONOTONIC_RAW's zero. */
  readonly bootTime: number;
  /** Send real payload bytes (the lab's functional mode), else lengths only. */
  readonly functional: boolean;
  /** pr_addr: how a source address is printed. */
  readonly hostOf: (addr: string) => string;
  /** The MTU a local EMSGSIZE error reports (the route's device's). */
  readonly mtu: () => number;
  /** Write to standard output (1) or standard error (2). */
  readonly out: (fd: 1 | 2, text: string) => void;
  /** main_loop ended (an exit condition held): finish() is due. */
  readonly onEnd: () => void;
}

/** One run of main_loop and its state (the counters and timers of iputils' `struct ping_rts`). */
export class PingRun {
  /** Requests sent (ntransmitted). */
  ntransmitted = 0;
  /** Replies received (nreceived). */
  nreceived = 0;
  /** ICMP and local errors (nerrors). */
  nerrors = 0;
  /** The interval (ms); `-A` changes it. */
  interval: number;
  /** sigexit ran (SIGINT or SIGALRM): main_loop ends at its next pass. */
  exiting = false;
  /** main_loop has ended. */
  done = false;
  private readonly o: PingOptions;
  private readonly timing: boolean;
  /** SO_RCVTIMEO setup() gave the socket: SCHINT of the interval then. */
  private readonly rcvTimeoMs: number;
  private readonly rtts: number[] = [];
  private tmax = 0;
  /** The RTT's moving average × 8 (µs; rts->rtt). */
  private rtt = 0;
  private rttAddend = 0;
  private acked = 0;
  private pipesize = -1;
  /** pinger()'s last permitted send (monotonic ns; rts->cur_time), null before the first. */
  private curTime: number | null = null;
  private tokens = 0;
  private oomCount = 0;
  /** schedule_exit()'s wait (µs), 0 until armed. */
  private waittime = 0;
  private exitAt = Infinity;
  private deadlineAt = Infinity;
  /** setup()'s start (monotonic ns; rts->start_time), null before the task first ran. */
  private startTime: number | null = null;
  /** The received-sequence table (rcvd_tbl), a bit per sequence number. */
  private readonly rcvd = new Uint8Array(MAX_DUP_CHK / 8);
  /** When each outstanding request was sent (virtual ns), by sequence number. */
  private readonly sentAt = new Map<number, number>();

  /** A run of `spec` (not started: the task's first step starts it). */
  constructor(private readonly spec: PingRunSpec) {
    this.o = spec.o;
    this.interval = spec.intervalMs;
    this.timing = spec.o.datalen >= TIMEVAL_BYTES;
    this.rcvTimeoMs = schint(spec.intervalMs);
  }

  /** One step of the task: read what came, then main_loop's next pass up to its next wait. */
  step(ctx: ExecContext, t: Task): TaskStep {
    if (this.done || t.shouldStop) return 'exit';
    this.spec.sock.cancelWait(t);
    if (this.startTime === null) {
      this.startTime = this.mono(ctx.time);
      if (this.o.deadline > 0) this.deadlineAt = ctx.time + this.o.deadline * 1e9;
    } else this.receive(ctx);
    if (ctx.time >= this.exitAt || ctx.time >= this.deadlineAt) this.exiting = true;
    const { count, deadline } = this.o;
    if (this.exiting || (count > 0 && this.nreceived + this.nerrors >= count) || (deadline > 0 && this.nerrors > 0)) {
      this.done = true;
      this.spec.onEnd();
      return 'exit';
    }
    let next: number;
    do next = this.scheduleExit(this.pinger(ctx), ctx.time);
    while (next <= 0);
    let waitMs = this.rcvTimeoMs;
    if (this.o.adaptive || next < schint(this.interval)) {
      if (next <= 1000 / USER_HZ) {
        if (this.inFlight() === 0) return this.spin(ctx);
        next = MIN_INTERVAL_MS;
      }
      if (this.o.adaptive || this.interval !== 0) waitMs = next;
    }
    const wake = Math.min(ctx.time + waitMs * 1e6, this.exitAt, this.deadlineAt);
    this.spec.sock.waitReadable(t);
    return Math.max(0, wake - ctx.time);
  }

  /** finish(): the statistics; the exit status (1 without replies, or with fewer than `-c` by the `-w` deadline). */
  finish(): number {
    const elapsedNs = this.curTime === null || this.startTime === null ? 0 : this.curTime - this.startTime;
    const ipgEwma = this.interval === 0 || this.o.flood || this.o.adaptive;
    this.spec.out(1, formatPingStatistics(this.spec.hostname, { transmitted: this.ntransmitted, received: this.nreceived, rtts: this.rtts, elapsedNs, timing: this.timing, errors: this.nerrors, pipesize: this.pipesize, ewma8: this.rtt, ipgEwma }));
    const { count, deadline } = this.o;
    return this.nreceived === 0 || (deadline > 0 && count > 0 && this.nreceived < count) ? 1 : 0;
  }

  /** CLOCK_MONOTONIC_RAW at virtual time `ns`. */
  private mono(ns: number): number {
    return ns - this.spec.bootTime;
  }

  /** print_timestamp: `-D`'s `[sec.usec] ` at virtual time `ns`. */
  private stamp(ns: number): string {
    return this.o.timestamps ? formatTimestamp(wallClockUs(ns)) : '';
  }

  /** The replies and then the errors queued on the socket (recvmsg, then the error queue). */
  private receive(ctx: ExecContext): void {
    const sock = this.spec.sock;
    for (let r = sock.recv(ctx); r.ok; r = sock.recv(ctx)) this.parseReply(ctx, r);
    for (let e = sock.recvError(); e.ok; e = sock.recvError()) this.icmpError(ctx, e);
  }

  /**
   * pinger(): send the next request if the token bucket allows (`-l` preload's tokens at the
   * start), and how long until it is worth calling again (ms).
   */
  private pinger(ctx: ExecContext): number {
    const { count, deadline, preload } = this.o;
    if (this.exiting || (count > 0 && this.ntransmitted >= count && deadline === 0)) return 1000;
    const now = this.mono(ctx.time);
    if (this.curTime === null) {
      this.curTime = now;
      this.tokens = this.interval * (preload - 1);
    } else {
      let ntokens = msBetween(this.curTime, now);
      // The unlimited flood: without a reply, at most one request per MIN_INTERVAL_MS.
      if (this.interval === 0 && ntokens < MIN_INTERVAL_MS && this.inFlight() >= preload) return MIN_INTERVAL_MS - ntokens;
      ntokens = Math.min(ntokens + this.tokens, this.interval * preload);
      if (ntokens < this.interval) return this.interval - ntokens;
      this.curTime = now;
      this.tokens = ntokens - this.interval;
    }
    if (this.o.outstanding && this.ntransmitted > 0 && !this.rcvdTest(this.ntransmitted)) {
      this.spec.out(1, `${this.stamp(ctx.time)}no answer yet for icmp_seq=${this.ntransmitted % MAX_DUP_CHK}\n`);
    }
    return this.sendProbe(ctx);
  }

  /** ping4_send_probe and pinger()'s handling of its result. */
  private sendProbe(ctx: ExecContext): number {
    const seq = (this.ntransmitted + 1) & 0xffff;
    this.rcvdSet(seq, false);
    const at = ctx.time;
    const r = this.spec.sock.sendEcho(ctx, { addr: this.spec.addr, seq, data: this.payload(at) });
    if (r.ok) {
      this.oomCount = 0;
      this.sentAt.set(seq, at);
      this.advanceNtransmitted();
      if (!this.o.quiet && this.o.flood) this.spec.out(1, '.');
      return this.interval - this.tokens;
    }
    if (r.errno === 'ENOBUFS' || r.errno === 'ENOMEM') {
      // Device queue overflow or OOM: slow down (adaptive mode only), retry, and after -W give up on it.
      this.tokens = 0;
      this.rttAddend += this.rtt < 8 * 50000 ? Math.trunc(this.rtt / 8) : 50000;
      if (this.o.adaptive) this.updateInterval();
      const nores = Math.min(schint(Math.trunc(this.interval / 2)), 500);
      this.oomCount++;
      if (this.oomCount * nores < this.o.lingerMs) return nores;
      return this.hardLocalError(r.errno, 0);
    }
    if (r.errno === 'EAGAIN') {
      // The socket buffer is full.
      this.tokens += this.interval;
      return MIN_INTERVAL_MS;
    }
    return this.hardLocalError(r.errno, this.errorAfterSend(ctx, r.errno));
  }

  /**
   * receive_error_msg() after a failed send: EMSGSIZE above the MTU with `-M do` was queued as a
   * local error (ip_local_error, IP_RECVERR): printed (`E` in a flood) and counted unless `-q`;
   * otherwise an ICMP error waiting on the queue is taken. 1 for an ICMP error, else -1 (a local
   * error, or nothing queued: EAGAIN).
   */
  private errorAfterSend(ctx: ExecContext, errno: NetErrno): number {
    if (errno === 'EMSGSIZE') {
      if (!this.o.quiet) {
        if (this.o.flood) this.spec.out(1, 'E');
        else this.spec.out(2, `ping: local error: message too long, mtu=${this.spec.mtu()}\n`);
        this.nerrors++;
      }
      return -1;
    }
    const e = this.spec.sock.recvError();
    if (!e.ok) return -1;
    this.icmpError(ctx, e);
    return 1;
  }

  /** pinger()'s hard local error: count the request as sent; `i` 0 prints sendmsg's error (`E` in a flood). */
  private hardLocalError(errno: NetErrno, i: number): number {
    this.advanceNtransmitted();
    if (i === 0 && !this.o.quiet) {
      if (this.o.flood) this.spec.out(1, 'E');
      else this.spec.out(2, `ping: sendmsg: ${netStrerror(errno)}\n`);
    }
    this.tokens = 0;
    return schint(this.interval);
  }

  /** __schedule_exit: after the last of `-c` requests (without `-w`), arm the alarm that ends the run once, and wait at least that long. */
  private scheduleExit(next: number, now: number): number {
    const { count, deadline } = this.o;
    if (count === 0 || this.ntransmitted < count || deadline > 0 || this.waittime !== 0) return next;
    this.waittime = this.nreceived > 0 ? Math.max(2 * this.tmax, 1000 * this.interval) : this.o.lingerMs * 1000;
    // setitimer with a zero time disarms the alarm: a -W 0 ping that got nothing waits on.
    if (this.waittime > 0) this.exitAt = now + this.waittime * 1000;
    const floor = Math.trunc(this.waittime / 1000);
    return next < floor ? floor : next;
  }

  /** main_loop's spin (sched_yield, recvmsg(MSG_DONTWAIT)) until pinger() may send: the CPU busy, a slice per step. */
  private spin(ctx: ExecContext): TaskStep {
    const due = whenMsReached(this.curTime ?? 0, this.interval - this.tokens, this.mono(ctx.time)) + this.spec.bootTime;
    const until = Math.min(due, this.exitAt, this.deadlineAt);
    ctx.charge(Math.max(1, Math.min(SPIN_SLICE_NS, until - ctx.time)));
    return 'run';
  }

  /** The request's payload: in functional mode the bytes (the send time's timeval, then `-p`'s pattern or 0, 1, 2, …), else its length. */
  private payload(at: number): Uint8Array | number {
    const len = this.o.datalen;
    if (!this.spec.functional) return len;
    const pat = this.o.pattern;
    const data = Uint8Array.from({ length: len }, (_, i) => (pat === null ? i & 0xff : pat.length === 0 ? 0 : (pat[i % pat.length] as number)));
    if (this.timing) {
      const us = wallClockUs(at);
      const view = new DataView(data.buffer);
      view.setBigUint64(0, BigInt(Math.floor(us / 1e6)), true);
      view.setBigUint64(8, BigInt(us % 1e6), true);
    }
    return data;
  }

  /** ping4_parse_reply and gather_statistics for an echo reply. */
  private parseReply(ctx: ExecContext, r: Extract<EchoReplyResult, { ok: true }>): void {
    const at = this.sentAt.get(r.seq);
    if (at === undefined || r.from !== this.spec.addr) return;
    this.sentAt.delete(r.seq);
    this.nreceived++;
    this.acknowledge(r.seq);
    let tripUs: number | null = null;
    if (this.timing) {
      tripUs = Math.floor(ctx.time / 1000) - Math.floor(at / 1000);
      this.rtts.push(tripUs);
      this.tmax = Math.max(this.tmax, tripUs);
      this.rtt = this.rtt === 0 ? tripUs * 8 : this.rtt + tripUs - Math.trunc(this.rtt / 8);
      if (this.o.adaptive) this.updateInterval();
    }
    this.rcvdSet(r.seq, true);
    const { quiet, flood, audible } = this.o;
    if (quiet) return;
    if (flood) this.spec.out(1, `\b \b${audible ? '\x07' : ''}`);
    else this.spec.out(1, this.stamp(ctx.time) + formatPingReply({ bytes: r.bytes + 8, from: this.spec.hostOf(r.from), seq: r.seq, ttl: r.ttl, tripUs, bell: audible }));
  }

  /** ping4_receive_error_msg for an ICMP error about one of the requests: acknowledged and counted like a reply. */
  private icmpError(ctx: ExecContext, e: Extract<IcmpErrorResult, { ok: true }>): void {
    if (!this.sentAt.delete(e.seq)) return;
    this.acknowledge(e.seq);
    this.nerrors++;
    if (this.o.quiet) return;
    if (this.o.flood) this.spec.out(1, '\bE');
    else this.spec.out(1, `${this.stamp(ctx.time)}From ${this.spec.hostOf(e.from)} icmp_seq=${e.seq} ${icmpUnreachText(e.code)}\n`);
  }

  /** update_interval (`-A`): the RTT's average plus the back-off, rounded to ms; at least MIN_USER_INTERVAL_MS for a user. */
  private updateInterval(): void {
    const est = this.rtt !== 0 ? Math.trunc(this.rtt / 8) : this.interval * 1000;
    this.interval = Math.trunc((est + this.rttAddend + 500) / 1000);
    if (!this.spec.root && this.interval < MIN_USER_INTERVAL_MS) this.interval = MIN_USER_INTERVAL_MS;
  }

  /** in_flight(): requests sent and neither answered nor refused. */
  private inFlight(): number {
    const diff = (this.ntransmitted - this.acked) & 0xffff;
    return diff <= 0x7fff ? diff : this.ntransmitted - this.nreceived - this.nerrors;
  }

  /** acknowledge(): a reply or an error for `seq` — the pipe size it shows, and the newest acknowledged. */
  private acknowledge(seq: number): void {
    const diff = (this.ntransmitted - seq) & 0xffff;
    if (diff > 0x7fff) return;
    if (diff + 1 > this.pipesize) this.pipesize = diff + 1;
    if (((((seq - this.acked) & 0xffff) << 16) >> 16) > 0 || ((this.ntransmitted - this.acked) & 0xffff) > 0x7fff) this.acked = seq;
  }

  /** advance_ntransmitted(): one more request; `acked` is invalidated when the 16-bit sequence overflows. */
  private advanceNtransmitted(): void {
    this.ntransmitted++;
    const low = this.ntransmitted & 0xffff;
    if (low - this.acked > 0x7fff) this.acked = (low + 1) & 0xffff;
  }

  /** rcvd_test: a reply to `seq` (mod MAX_DUP_CHK) came. */
  private rcvdTest(seq: number): boolean {
    const bit = seq % MAX_DUP_CHK;
    return ((this.rcvd[bit >> 3] as number) & (1 << (bit & 7))) !== 0;
  }

  /** rcvd_set (`on`) or rcvd_clear: mark `seq` (mod MAX_DUP_CHK) answered or not. */
  private rcvdSet(seq: number, on: boolean): void {
    const bit = seq % MAX_DUP_CHK;
    const byte = this.rcvd[bit >> 3] as number;
    this.rcvd[bit >> 3] = on ? byte | (1 << (bit & 7)) : byte & ~(1 << (bit & 7));
  }
}
