/**
 * `iperf3 -c HOST` in the lab (src/iperf_client_api.c): the client's main task connects the
 * control connection to the server's port (a refused or unreachable connection is iperf3's
 * IECONNECT with the socket's errno), writes the cookie, answers PARAM_EXCHANGE with the
 * parameters, creates the streams on CREATE_STREAMS (the stream task connects each, or does the
 * UDP handshake), starts its clocks on TEST_START and its senders on TEST_RUNNING, samples an
 * interval every `-i` seconds of virtual time, ends after `-t` seconds with its last interval
 * and TEST_END, exchanges results, and on DISPLAY_RESULTS closes its streams and reports.
 * The command advances the lab's virtual time until the client is done.
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import type { NetErrno, TcpSocket } from '@ntbsim/net-core';
import type { Board, Lab } from '../../lab/lab.js';
import type { ProcessSignal } from '../jobs.js';
import { programStart } from '../net/host.js';
import { COOKIE_SIZE, ControlChannel, ControlEnd, jsonMsg, registerChannel, registerStream, stateMsg, type CtrlMsg } from './control.js';
import { DEFAULT_UDP_BLKSIZE, MAX_UDP_BLOCKSIZE, type Iperf3Options, type IperfErrorCode } from './options.js';
import type { TestResult } from './results.js';
import { diagnoseTxStall } from '../../lab/diagnose.js';
import { affinityMask, connectionTime, paramsJson, resultsJson, Side, sideResult, type PeerResults, type SideFailure, type TestParams } from './session.js';
import { formatClientProgress, formatConnecting, intervalCount } from './textReport.js';
import { DatagramLog, functionalPayload, IperfUdpSocket, Stream, streamFd, TcpStreamSocket, UdpStreamSocket } from './streams.js';

/** How a client run ended. */
export type ClientOutcome =
  | { readonly kind: 'ok'; readonly result: TestResult; readonly warnings: string }
  /**
   * `connected`: past the parameter exchange, where iperf3 prints `Connecting to host …`
   * (on_connect). `report`: what the reporter printed before the error — on SERVER_TERMINATE the
   * last interval again and the summary — or null.
   */
  | { readonly kind: 'error'; readonly code: IperfErrorCode; readonly errno: NetErrno | null; readonly warnings: string; readonly partial: TestResult | null; readonly connected: boolean; readonly report: TestResult | null }
  /** Not finished `waitedS` (virtual) after the start: the real iperf3 would still be waiting; `why` is the model's diagnosis. */
  | { readonly kind: 'hung'; readonly waitedS: number; readonly why: string; readonly warnings: string; readonly partial: TestResult | null; readonly connected: boolean }
  /**
   * Ended by SIGINT, SIGTERM or SIGHUP (iperf_got_sigend): `partial` is the test as its handler
   * reported it (a last interval up to the signal, then the summary with no peer results: with
   * no stream yet, the summary's header and zero sums alone); `connected` as for errors. `byLab`: the lab sent it, `ranS` (virtual) into a test with no end (`-t 0`,
   * a negative `-t`), as the user's Ctrl-C would; null when `killall`, `pkill` or `kill` did.
   */
  | { readonly kind: 'interrupted'; readonly partial: TestResult; readonly connected: boolean; readonly warnings: string; readonly byLab: { readonly ranS: number } | null }
  /** Ended by signal `signo`, whose default action ends the process (SIGKILL …): no handler runs, nothing is printed. */
  | { readonly kind: 'killed'; readonly signo: number; readonly warnings: string };

/** SIGINT's number: what the lab sends a test with no end, as Ctrl-C would. */
const SIGINT = 2;

/** How long past its duration a client may run before the lab calls it hung (s, virtual). */
export const CLIENT_GRACE_S = 300;

/**
 * How long a test with no end (`-t 0`, a negative `-t`) runs before the lab interrupts it, as
 * the user's Ctrl-C would (s, virtual): past the server's 40 s test timer of a negative `-t`.
 */
export const UNBOUNDED_RUN_S = 60;

/** How long (virtual) the lab lets an interrupted client take to run its handler and exit before it calls it hung. */
const SIGNAL_GRACE_NS = 1e9;

/** How long (virtual) the lab lets the server take the client's IPERF_DONE before the command returns. */
const DONE_LINGER_NS = 1e9;

/**
 * The client's end timer (create_client_timers): none for `-t 0`; `(duration + omit)` µs added
 * to the clock as an unsigned 64-bit count, so a negative sum (3.12 accepts a negative `-t`)
 * wraps to some 131 years away — the test has no end either. Infinity for both. With `-O` the
 * test runs the omit period and then `-t` seconds (a negative `-t` shortens it).
 */
export function clientEndNs(start: number, test: { readonly duration: number; readonly omit: number }): number {
  const secs = test.duration + test.omit;
  return test.duration !== 0 && secs >= 0 ? start + secs * 1e9 : Infinity;
}

/** A 36-character iperf3 cookie from the lab's seed and a test counter (no draw from the model's RNG). */
function makeCookie(seed: number, n: number): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let x = (seed ^ Math.imul(n + 1, 0x9e3779b1)) >>> 0 || 1;
  let out = '';
  for (let i = 0; i < 36; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out += alphabet.charAt(x % 32);
  }
  return out;
}

const testCounter = new WeakMap<Lab, number>();

/** Everything the client run needs. */
export interface ClientSpec {
  /** The lab. */
  readonly lab: Lab;
  /** The board the client runs on. */
  readonly board: Board;
  /** Its options. */
  readonly options: Iperf3Options;
}

/** One client run. */
class ClientSession {
  private state: 'connect' | 'param' | 'create' | 'start' | 'running' | 'exchange' | 'results' | 'display' = 'connect';
  private readonly ch = new ControlChannel();
  private readonly ctrlSock: TcpSocket;
  /** The control connection's source address (the streams use the same route). */
  private srcAddr: string;
  private ctrl: ControlEnd | null = null;
  private side: Side | null = null;
  private params: TestParams | null = null;
  private peer: PeerResults | null = null;
  private mss = 0;
  private endNs = Infinity;
  private cpuNs = 0;
  private readonly t0: number;
  private readonly timesecs: number;
  private readonly cookie: string;
  private task: Task | null = null;
  /** `-A`: the CPUs the client's tasks run on (undefined = all). */
  private cpus: number | undefined = undefined;
  warnings = '';
  finished = false;
  outcome: ClientOutcome | null = null;
  /** A background test's end callback (null when run in the foreground, or once called). */
  private onEnd: ((outcome: ClientOutcome) => void) | null = null;
  /** A signal delivered and not yet handled: the task takes it at its next step, as a process on its return to user mode. */
  private pendingSignal: { readonly byLab: { readonly ranS: number } | null } | null = null;
  /** TEST_START has come: the streams' clocks run (stats_callback has intervals to close). */
  private testStarted = false;

  constructor(private readonly spec: ClientSpec) {
    const { lab, board } = spec;
    this.t0 = lab.sim.now;
    this.timesecs = connectionTime(lab);
    const n = (testCounter.get(lab) ?? 0) + 1;
    testCounter.set(lab, n);
    this.cookie = makeCookie(lab.sim.seed, n);
    this.ctrlSock = board.stack.tcpSocket();
    this.srcAddr = board.ip;
  }

  private get intervalNs(): number {
    const i = this.spec.options.interval;
    return i > 0 ? Math.round(i * 1e9) : Infinity;
  }

  /** Run to the end, advancing the lab's time. */
  run(): ClientOutcome {
    const started = this.lab.sim.now;
    const failed = this.begin();
    if (failed !== null) return failed;
    const deadline = this.deadline(started);
    const sim = this.lab.sim;
    while (!this.finished && sim.now < deadline) sim.run({ until: deadline });
    if (!this.finished && this.labInterrupt(started)) {
      const grace = sim.now + SIGNAL_GRACE_NS;
      while (!this.finished && sim.now < grace) sim.run({ until: grace });
    }
    if (this.outcome !== null) {
      // The client exits after writing IPERF_DONE (or, interrupted, CLIENT_TERMINATE); the server
      // takes it within a round trip, ends the test and listens again (its next banner) — let the
      // lab's time run until it has.
      const linger = sim.now + DONE_LINGER_NS;
      this.ch.clientLingering = true;
      const told = this.outcome.kind === 'ok' || this.outcome.kind === 'interrupted';
      while (told && !this.ch.serverDone && sim.now < linger) sim.run({ until: linger });
      return this.outcome;
    }
    return this.abandon(started);
  }

  /**
   * Start the test and return at once (a background job): `onEnd` gets its outcome when it ends,
   * or when the lab gives up on it at the deadline `run` would wait for.
   */
  start(onEnd: (outcome: ClientOutcome) => void): void {
    const started = this.lab.sim.now;
    const failed = this.begin();
    if (failed !== null) {
      this.finished = true;
      onEnd(failed);
      return;
    }
    this.onEnd = onEnd;
    const giveUp = (): void => {
      const cb = this.onEnd;
      if (cb === null || this.finished) return;
      this.onEnd = null;
      cb(this.abandon(started));
    };
    this.lab.sim.at(this.deadline(started), () => {
      if (this.finished) return;
      if (this.labInterrupt(started)) this.lab.sim.after(SIGNAL_GRACE_NS, giveUp);
      else giveUp();
    });
  }

  /**
   * Deliver a signal (kill(2)). `interrupt`: the client's task takes it at its next step and
   * runs iperf_got_sigend; `kill`: the process ends at once without a word (its exit closes
   * its sockets). Nothing once it has ended.
   */
  signal(sig: ProcessSignal): void {
    this.deliver(sig, null);
  }

  private deliver(sig: ProcessSignal, byLab: { readonly ranS: number } | null): void {
    if (this.finished) return;
    if (sig.effect === 'kill') {
      this.exitProcess();
      this.task?.stop();
      this.outcome = { kind: 'killed', signo: sig.signo, warnings: this.warnings };
      this.finish();
      return;
    }
    this.pendingSignal = { byLab };
    this.task?.wake();
  }

  /** A test with no end still running at the lab's deadline: interrupt it as the user's Ctrl-C would; false for any other test. */
  private labInterrupt(started: number): boolean {
    if (this.state !== 'running' || Number.isFinite(this.endNs)) return false;
    this.deliver({ signo: SIGINT, effect: 'interrupt' }, { ranS: (this.lab.sim.now - started) / 1e9 });
    return true;
  }

  /** Whether the test has ended. */
  get ended(): boolean {
    return this.finished;
  }

  private get lab(): Lab {
    return this.spec.lab;
  }

  /** When the lab gives up on a test started at `started` (ns): its -O + -t plus CLIENT_GRACE_S, or UNBOUNDED_RUN_S without an end. */
  private deadline(started: number): number {
    const o = this.spec.options;
    const end = clientEndNs(0, o);
    return started + (Number.isFinite(end) ? end + CLIENT_GRACE_S * 1e9 : UNBOUNDED_RUN_S * 1e9);
  }

  /** iperf_run_client's start: the affinity (an outcome if it fails), then the client task. */
  private begin(): ClientOutcome | null {
    const { lab, board, options: o } = this.spec;
    // iperf_run_client: iperf_setaffinity first (sched_setaffinity is EINVAL without an online CPU in the mask).
    const cpus = affinityMask(board, o.affinity);
    this.cpus = cpus ?? undefined;
    if (cpus === null) return { kind: 'error', code: 'IEAFFINITY', errno: 'EINVAL', warnings: this.warnings, partial: null, connected: false, report: null };
    programStart(lab, board);
    this.task = board.host.createUserTask(
      'iperf3',
      (ctx, t) => {
        const t0 = ctx.time;
        const step = this.step(ctx, t);
        this.cpuNs += ctx.time - t0;
        return step;
      },
      cpus === undefined ? {} : { cpus },
    );
    return null;
  }

  /** The lab gives up on a test still running at its deadline (or not ending after its interrupt), with the model's diagnosis. */
  private abandon(started: number): ClientOutcome {
    const lab = this.lab;
    const task = this.task;
    // Still waiting on the control connection or the streams, as the real tool would be, with
    // no timeout of its own in these states: diagnose from the model, then abandon the test.
    const why = diagnoseTxStall(lab) ?? 'no ntb0 TX queue is stopped on either board';
    const partial = this.partialNow();
    const connected = this.connected;
    this.fail({ code: 'IECTRLCLOSE', errno: null });
    task?.stop();
    return { kind: 'hung', waitedS: (lab.sim.now - started) / 1e9, why, warnings: this.warnings, partial, connected };
  }

  private step(ctx: ExecContext, task: Task): TaskStep {
    if (this.finished) return 'exit';
    this.ctrlSock.cancelWait(task);
    const sig = this.pendingSignal;
    if (sig !== null) return this.gotSigend(ctx, sig.byLab);
    if (this.state === 'connect') return this.connect(ctx, task);
    const ctrl = this.ctrl;
    if (ctrl === null) return 'exit';
    ctrl.flush(ctx);
    for (const m of ctrl.receive(ctx)) {
      this.handle(ctx, m);
      if (this.finished) return 'exit';
    }
    if (ctrl.closed) return this.fail({ code: 'IECTRLCLOSE', errno: null });
    const side = this.side;
    if (side !== null && side.error !== null) return this.fail({ code: side.error.code, errno: side.error.errno });
    let wake = Infinity;
    if (side !== null && this.state === 'running') {
      const now = ctx.time;
      if (now >= this.endNs) {
        side.sample(now);
        side.stop();
        ctrl.send(ctx, stateMsg('TEST_END'));
        this.state = 'exchange';
      } else wake = Math.min(side.reportDue(now, this.intervalNs, this.endNs), this.endNs);
    }
    ctrl.wait(task);
    return Number.isFinite(wake) ? Math.max(0, wake - ctx.time) : 'sleep';
  }

  /** iperf_connect: the control connection, the cookie, the UDP block size from its MSS. */
  private connect(ctx: ExecContext, task: Task): TaskStep {
    const { lab, board, options: o } = this.spec;
    // netdial: SO_BINDTODEVICE before connect; a device the board does not have is ENODEV.
    if (o.bindDev !== null && board.netdev()?.ndev.name !== o.bindDev) return this.fail({ code: 'IECONNECT', errno: 'ENODEV' });
    const r = this.ctrlSock.connect(ctx, { addr: o.host, port: o.port });
    if (!r.ok && r.errno === 'EINPROGRESS') {
      const local = this.ctrlSock.localAddress();
      // The source address the route picked: the board's ntb0 address, or the destination
      // itself / 127.0.0.1 for a server on this board (through lo).
      if (local !== null) {
        this.srcAddr = local.addr === '0.0.0.0' ? board.ip : local.addr;
        registerChannel(lab, this.srcAddr, local.port, this.ch);
      }
    }
    if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
      this.ctrlSock.waitWritable(task);
      return 'sleep';
    }
    if (!r.ok) return this.fail({ code: 'IECONNECT', errno: r.errno });
    this.ctrl = new ControlEnd(this.ctrlSock, this.ch.toServer, this.ch.toClient);
    this.mss = this.ctrlSock.tcpInfo().sndMss;
    let blksize = o.blksize;
    if (o.protocol === 'UDP') {
      if (blksize === 0) blksize = this.mss > 0 && this.mss <= MAX_UDP_BLOCKSIZE ? this.mss : DEFAULT_UDP_BLKSIZE;
      if (this.mss > 0 && blksize > this.mss) this.warnings += `warning: UDP block size ${blksize} exceeds TCP MSS ${this.mss}, may result in fragmentation / drops\n`;
    }
    this.params = this.testParams(blksize);
    this.ctrl.send(ctx, { kind: 'cookie', bytes: COOKIE_SIZE });
    this.state = 'param';
    return 'run';
  }

  /** The test's parameters from the options, with the block size iperf_connect settled on. */
  private testParams(blksize: number): TestParams {
    const o = this.spec.options;
    return {
      protocol: o.protocol,
      numStreams: o.numStreams,
      blksize,
      socketBufsize: o.socketBufsize,
      rate: o.rate,
      duration: o.duration,
      omit: o.omit,
      reverse: o.reverse,
      bidir: o.bidir,
      zerocopy: o.zerocopy,
      noDelay: o.noDelay,
      congestion: o.congestion,
      interval: o.interval,
      serverAffinity: o.serverAffinity,
      cookie: this.cookie,
    };
  }

  /** This client's side of a test with parameters `p` (no streams yet). */
  private newSide(p: TestParams): Side {
    const mode = p.bidir ? 'bidir' : p.reverse ? 'receiver' : 'sender';
    return new Side('c', this.spec.board, { mode, protocol: p.protocol, cpus: this.cpus });
  }

  private handle(ctx: ExecContext, m: CtrlMsg): void {
    const ctrl = this.ctrl;
    const p = this.params;
    if (ctrl === null || p === null) return;
    if (m.kind === 'ACCESS_DENIED') {
      this.fail({ code: 'IEACCESSDENIED', errno: null });
      return;
    }
    if (m.kind === 'SERVER_ERROR') {
      this.fail({ code: m.payload as IperfErrorCode, errno: null });
      return;
    }
    if (m.kind === 'SERVER_TERMINATE') {
      // The reporter at DISPLAY_RESULTS with no new stats_callback; then IESERVERTERM.
      this.fail({ code: 'IESERVERTERM', errno: null }, this.reportNow(ctx.time));
      return;
    }
    switch (this.state) {
      case 'param':
        if (m.kind === 'PARAM_EXCHANGE') {
          ctrl.send(ctx, jsonMsg('params', paramsJson(p), p));
          this.state = 'create';
        }
        return;
      case 'create':
        if (m.kind === 'CREATE_STREAMS') this.createStreams(p);
        return;
      case 'start':
        if (m.kind === 'TEST_START') {
          this.testStarted = true;
          this.side?.begin(ctx.time, this.intervalNs, p.omit);
          this.endNs = clientEndNs(ctx.time, p);
        } else if (m.kind === 'TEST_RUNNING') {
          this.side?.run();
          this.state = 'running';
        }
        return;
      case 'exchange':
        if (m.kind === 'EXCHANGE_RESULTS' && this.side !== null) {
          const results = this.side.peerResults(this.cpuPercent(ctx.time));
          ctrl.send(ctx, jsonMsg('results', resultsJson(results), results));
          this.state = 'results';
        }
        return;
      case 'results':
        if (m.kind === 'results') {
          this.peer = m.payload as PeerResults;
          this.state = 'display';
        }
        return;
      case 'display':
        if (m.kind === 'DISPLAY_RESULTS') this.display(ctx);
        return;
      case 'connect':
      case 'running':
        return;
    }
  }

  /** Past the parameter exchange (on_connect has printed `Connecting to host …`). */
  private get connected(): boolean {
    return this.state !== 'connect' && this.state !== 'param';
  }

  private cpuPercent(now: number): number {
    return (100 * (this.cpuNs + (this.side?.cpuNs ?? 0))) / Math.max(1, now - this.t0);
  }

  /** iperf_create_streams: sockets with the `-w` buffers, each stream connected by the side's one stream task. */
  private createStreams(p: TestParams): void {
    const { lab, board, options: o } = this.spec;
    const side = this.newSide(p);
    side.main = this.task;
    this.side = side;
    const flags = p.bidir ? [...Array<boolean>(p.numStreams).fill(true), ...Array<boolean>(p.numStreams).fill(false)] : Array<boolean>(p.numStreams).fill(!p.reverse);
    const to = { addr: o.host, port: o.port };
    const stack = board.stack;
    for (const [i, sends] of flags.entries()) {
      let sock: TcpStreamSocket | UdpStreamSocket;
      let log: DatagramLog | null = null;
      if (p.protocol === 'TCP') {
        const t = stack.tcpSocket();
        if (p.noDelay) t.setNoDelay(true);
        // iperf_tcp_connect: TCP_CONGESTION before connect; an algorithm the host lacks is IESETCONGESTION.
        if (p.congestion !== null && !t.setCongestion(p.congestion).ok) {
          t.close();
          this.fail({ code: 'IESETCONGESTION', errno: null });
          return;
        }
        if (p.socketBufsize > 0) {
          t.setSndbuf(p.socketBufsize);
          t.setRcvbuf(p.socketBufsize);
        }
        t.bind(0);
        sock = new TcpStreamSocket(t);
      } else {
        const u = new IperfUdpSocket(stack);
        if (p.socketBufsize > 0) {
          u.setRcvbuf(p.socketBufsize);
          u.setSndbuf(p.socketBufsize);
        }
        u.bind(0);
        sock = new UdpStreamSocket(u);
        log = new DatagramLog();
      }
      if (this.spec.lab.options.payload === 'functional') sock.payload = functionalPayload(Math.max(1, p.blksize));
      const stream = new Stream(streamFd(i), sends, sock, log);
      side.streams.push(stream);
      side.clientPorts.push(sock.localPort);
      side.sockBufs.push({ sockBufsize: p.socketBufsize, sndbufActual: sock.sndbuf, rcvbufActual: sock.rcvbuf });
      if (p.socketBufsize > 0 && (p.socketBufsize > sock.sndbuf || p.socketBufsize > sock.rcvbuf)) {
        this.fail({ code: 'IESETBUF2', errno: null });
        return;
      }
      this.ch.streams.set(sock.localPort, { index: i, log });
      registerStream(lab, this.srcAddr, sock.localPort, this.ch);
      const body = stream.body(side, { blksize: p.blksize, rate: p.rate, zerocopy: p.zerocopy, udpDrops: () => stack.snmp.Udp.SndbufErrors, setup: { kind: p.protocol === 'TCP' ? 'tcp' : 'udp', to } });
      side.startStream(stream, body);
    }
    this.state = 'start';
  }

  /** DISPLAY_RESULTS: close the streams, report, IPERF_DONE, close the control connection. */
  private display(ctx: ExecContext): void {
    const side = this.side;
    const p = this.params;
    const ctrl = this.ctrl;
    if (side === null || p === null || ctrl === null) return;
    side.closeStreams();
    const result = this.resultNow(side, p, ctx.time);
    ctrl.send(ctx, stateMsg('IPERF_DONE'));
    ctrl.close(ctx);
    this.outcome = { kind: 'ok', result, warnings: this.warnings };
    this.finish();
  }

  /**
   * What the client has printed so far in text mode: iperf_connect's warnings, then — once the
   * parameters are exchanged — the connecting lines, the streams and the finished intervals.
   * The interval the final stats_callback closed at the test's end is not among them: the
   * reporter prints it at DISPLAY_RESULTS, with the summary, after the results exchange.
   */
  progress(): string {
    const o = this.spec.options;
    const partial = this.partialNow();
    const shown = partial !== null && this.side?.done === true ? withoutLastInterval(partial) : partial;
    const live = shown !== null ? formatClientProgress(shown) : this.connected ? formatConnecting(o.host, o.port, o.reverse) : '';
    return this.warnings + live;
  }

  private partialNow(): TestResult | null {
    const side = this.side;
    return side !== null && this.params !== null && this.testStarted ? this.resultNow(side, this.params, this.spec.lab.sim.now) : null;
  }

  private resultNow(side: Side, p: TestParams, now: number): TestResult {
    const o = this.spec.options;
    return sideResult(side, {
      lab: this.spec.lab,
      params: p,
      interval: o.interval,
      unitFormat: o.unitFormat,
      peer: this.peer,
      cpu: { host: this.cpuPercent(now), remote: this.peer?.cpuPercent ?? 0 },
      peerHost: o.host,
      peerPort: o.port,
      timesecs: this.timesecs,
      mss: this.mss,
    });
  }

  /**
   * iperf_got_sigend for a client: stats_callback closes a last interval at the signal, the
   * reporter prints it and the summary (no results were exchanged: the receiver's side reads
   * 0), CLIENT_TERMINATE goes to the server, and iperf_errexit prints `interrupt - the client
   * has terminated` and exits 1, its exit closing every socket.
   */
  private gotSigend(ctx: ExecContext, byLab: { readonly ranS: number } | null): TaskStep {
    if (this.side !== null && this.testStarted) this.side.sample(ctx.time);
    this.outcome = { kind: 'interrupted', partial: this.reportNow(ctx.time), connected: this.connected, warnings: this.warnings, byLab };
    this.ctrl?.send(ctx, stateMsg('CLIENT_TERMINATE'));
    this.exitProcess(ctx);
    this.finish();
    return 'exit';
  }

  /** The process exits: its streams stop and every socket closes (the kernel closes them for it). */
  private exitProcess(ctx?: ExecContext): void {
    this.side?.stop();
    this.side?.closeStreams();
    if (this.ctrl !== null) this.ctrl.close(ctx);
    else this.ctrlSock.close(ctx);
  }

  /**
   * What iperf_print_results reports now: this side's result, or — no stream created yet —
   * that of an empty side with the test's settings (the summary's header, and its zero sums
   * with `-P` > 1, as iperf3 prints for a client interrupted before it got to do anything).
   */
  private reportNow(now: number): TestResult {
    const p = this.params ?? this.testParams(this.spec.options.blksize);
    return this.resultNow(this.side ?? this.newSide(p), p, now);
  }

  /** End with error `f`; `report`: what the reporter printed before it (see ClientOutcome). */
  private fail(f: SideFailure, report: TestResult | null = null): TaskStep {
    const partial = this.partialNow();
    this.exitProcess();
    this.outcome = { kind: 'error', code: f.code, errno: f.errno, warnings: this.warnings, partial, connected: this.connected, report };
    this.finish();
    return 'exit';
  }

  private finish(): void {
    this.finished = true;
    const cb = this.onEnd;
    if (cb === null) {
      this.spec.lab.sim.stop();
      return;
    }
    this.onEnd = null;
    if (this.outcome !== null) cb(this.outcome);
  }
}

/** `r` without its last interval (each stream's intervals but the last one). */
function withoutLastInterval(r: TestResult): TestResult {
  const n = intervalCount(r);
  return { ...r, streams: r.streams.map((sp) => ({ ...sp, intervals: sp.intervals.slice(0, n - 1) })) };
}

/** Run an iperf3 client test from `spec.board`, advancing the lab's virtual time to its end. */
export function runClient(spec: ClientSpec): ClientOutcome {
  return new ClientSession(spec).run();
}

/** A client test running in the background. */
export interface BackgroundClient {
  /** Whether it has ended (its outcome delivered). */
  readonly ended: () => boolean;
  /** What it has printed live so far in text mode (see ClientSession.progress). */
  readonly progress: () => string;
  /** Deliver a signal to it. */
  readonly signal: (sig: ProcessSignal) => void;
}

/** Start an iperf3 client test from `spec.board` in the background: `onEnd` gets its outcome. */
export function startClient(spec: ClientSpec, onEnd: (outcome: ClientOutcome) => void): BackgroundClient {
  const session = new ClientSession(spec);
  session.start(onEnd);
  return { ended: () => session.ended, progress: () => session.progress(), signal: (sig) => session.signal(sig) };
}
