/**
 * `iperf3 -c HOST` in the lab (src/iperf_client_api.c): the client's main task connects the
 * control connection to the server's port (a refused or unreachable connection is iperf3's
 * IECONNECT with the socket's errno), writes the cookie, answers PARAM_EXCHANGE with the
 * parameters, creates the streams on CREATE_STREAMS (the stream task connects each, or does the
 * UDP handshake), starts its clocks on TEST_START and its senders on TEST_RUNNING, samples an
 * interval every `-i` seconds of virtual time, ends after `-t` seconds — or once `-n` bytes or
 * `-k` blocks are sent or received — with its last interval and TEST_END, exchanges results,
 * and on DISPLAY_RESULTS closes its streams and reports. `--connect-timeout` bounds the
 * control connection's connect (timeout_connect: ETIMEDOUT); `--cport` binds the data streams
 * to consecutive local ports. The command advances the lab's virtual time until the client is
 * done.
 */
import { Rng, type ExecContext, type Task, type TaskStep } from '@ntbsim/kernel';
import type { NetErrno, TcpSocket } from '@ntbsim/net-core';
import type { Board, Lab } from '../../lab/lab.js';
import type { ProcessSignal } from '../jobs.js';
import { programStart, systemInfo, wallClockSeconds } from '../net/host.js';
import { COOKIE_SIZE, ControlChannel, ControlEnd, jsonMsg, registerChannel, registerStream, stateMsg, type CtrlMsg } from './control.js';
import { DEFAULT_UDP_BLKSIZE, IPERF_VERSION, MAX_UDP_BLOCKSIZE, type Iperf3Options, type IperfErrorCode } from './options.js';
import { iperfPrintf, printerOf, versionCalls } from './printf.js';
import type { TestResult } from './results.js';
import { diagnoseTxStall } from '../../lab/diagnose.js';
import { affinityMask, connectionTime, endByCount, paramsJson, resultsJson, Side, sideResult, type PeerResults, type SideFailure, type TestParams } from './session.js';
import { formatClientProgress, intervalCount, type TextStyle } from './textReport.js';
import { DatagramLog, functionalPayload, IperfUdpSocket, setMaxSeg, Stream, streamFd, TcpStreamSocket, UdpStreamSocket } from './streams.js';

/** What iperf_run_client prints before on_connect, whatever the outcome, and when the outcome came. */
export interface ClientEarly {
  /** `-V`'s version and system lines (text mode), as iperf_printf decorates them. */
  readonly preamble: string;
  /** iperf_connect's plain printfs with `-V`: `Control connection MSS N`, and `Setting UDP block size to N`. */
  readonly connectLines: string;
  /** iperf_connect's warnings (standard error). */
  readonly warnings: string;
  /** When the outcome came (virtual ns): the time its error or interrupt message is printed at. */
  readonly atNs: number;
}

/** How a client run ended. */
export type ClientOutcome = ClientEarly &
  (
  | { readonly kind: 'ok'; readonly result: TestResult }
  /**
   * `connected`: past the parameter exchange, where iperf3 prints `Connecting to host …`
   * (on_connect). `partial`: what it has printed as the test went (its on_connect lines once
   * connected, the streams and intervals once started), or null. `report`: what the reporter
   * printed before the error — on SERVER_TERMINATE the last interval again and the summary — or null.
   */
  | { readonly kind: 'error'; readonly code: IperfErrorCode; readonly errno: NetErrno | null; readonly partial: TestResult | null; readonly connected: boolean; readonly report: TestResult | null }
  /** Not finished `waitedS` (virtual) after the start: the real iperf3 would still be waiting; `why` is the model's diagnosis. */
  | { readonly kind: 'hung'; readonly waitedS: number; readonly why: string; readonly partial: TestResult | null; readonly connected: boolean }
  /**
   * Ended by SIGINT, SIGTERM or SIGHUP (iperf_got_sigend): `partial` is the test as its handler
   * reported it (a last interval up to the signal, then the summary with no peer results: with
   * no stream yet, the summary's header and zero sums alone); `connected` as for errors. `byLab`: the lab sent it, `ranS` (virtual) into a test with no end (`-t 0`,
   * a negative `-t`), as the user's Ctrl-C would; null when `killall`, `pkill` or `kill` did.
   */
  | { readonly kind: 'interrupted'; readonly partial: TestResult; readonly connected: boolean; readonly byLab: { readonly ranS: number } | null }
  /** Ended by signal `signo`, whose default action ends the process (SIGKILL …): no handler runs, nothing is printed. */
  | { readonly kind: 'killed'; readonly signo: number }
  );

/** SIGINT's number: what the lab sends a test with no end, as Ctrl-C would. */
const SIGINT = 2;

/** How long past its duration a client may run before the lab calls it hung (s, virtual). */
export const CLIENT_GRACE_S = 300;

/**
 * How long a test with no end (`-t 0`, a negative `-t`) runs before the lab interrupts it, as
 * the user's Ctrl-C would (s, virtual): past the server's 40 s test timer of a negative `-t`.
 * A test ended by `-n`/`-k` has no end timer either, but does end: the lab looks at it every
 * CLIENT_GRACE_S and calls it hung once it has moved no data since the last look.
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

/**
 * Each lab's cookie generator: the kernel's seeded generator on the lab's seed (mixed with
 * "cook"), a stream of its own, so that the cookies do not move the model's draws and a seed
 * gives the same cookies run after run.
 */
const cookieRngs = new WeakMap<Lab, Rng>();

/** make_cookie: 36 random bytes, each taken modulo 32 into iperf3's alphabet. */
function makeCookie(lab: Lab): string {
  let rng = cookieRngs.get(lab);
  if (rng === undefined) {
    rng = new Rng((lab.sim.seed ^ 0x636f6f6b) >>> 0);
    cookieRngs.set(lab, rng);
  }
  const alphabet = 'abcdefghijklmnopqrstuvwxyz234567';
  let out = '';
  for (let i = 0; i < COOKIE_SIZE - 1; i++) out += alphabet.charAt((rng.nextU32() & 0xff) % alphabet.length);
  return out;
}

/** Everything the client run needs. */
export interface ClientSpec {
  /** The lab. */
  readonly lab: Lab;
  /** The board the client runs on. */
  readonly board: Board;
  /** Its options. */
  readonly options: Iperf3Options;
  /** The CPU affinity it was started with (`taskset`; bit i = CPU i); all CPUs when absent. */
  readonly cpus?: number | undefined;
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
  /** progress()'s last text and the state it was made from: a background job looks every 100 ms of a test that may run for hours. */
  private progressMemo = { key: '', text: '' };
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
  /** `--connect-timeout`'s end of the control connection's connect (ns), Infinity without one. */
  private connectDeadline = Infinity;
  /** When CREATE_STREAMS came (the streams' lines are printed then). */
  private streamsNs = 0;
  /** What the test has moved (bytes, both ways) at the lab's last look: a `-n`/`-k` test's progress. */
  private movedAtLook = 0;
  /** See ClientEarly. */
  private preamble = '';
  /** See ClientEarly. */
  private connectLines = '';
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
    this.cookie = makeCookie(lab);
    this.ctrlSock = board.stack.tcpSocket();
    this.srcAddr = board.ip;
  }

  private get intervalNs(): number {
    const i = this.spec.options.interval;
    return i > 0 ? Math.round(i * 1e9) : Infinity;
  }

  /** How the client prints its text: `-V`, `--timestamps` (the result carries `-T`). */
  private get style(): TextStyle {
    const o = this.spec.options;
    return { verbose: o.verbose, timestamps: o.timestamps };
  }

  /** What every outcome carries (see ClientEarly), at the lab's time now. */
  private early(): ClientEarly {
    return { preamble: this.preamble, connectLines: this.connectLines, warnings: this.warnings, atNs: this.lab.sim.now };
  }

  /** Run to the end, advancing the lab's time. */
  run(): ClientOutcome {
    const started = this.lab.sim.now;
    const failed = this.begin();
    if (failed !== null) return failed;
    const sim = this.lab.sim;
    for (let deadline = this.deadline(started); ; deadline = sim.now + CLIENT_GRACE_S * 1e9) {
      while (!this.finished && sim.now < deadline) sim.run({ until: deadline });
      if (this.finished || !this.movedSinceLook()) break;
    }
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
    const look = (): void => {
      if (this.finished) return;
      if (this.movedSinceLook()) this.lab.sim.after(CLIENT_GRACE_S * 1e9, look);
      else if (this.labInterrupt(started)) this.lab.sim.after(SIGNAL_GRACE_NS, giveUp);
      else giveUp();
    };
    this.lab.sim.at(this.deadline(started), look);
  }

  /**
   * At one of the lab's looks at a `-n`/`-k` test (which has no end timer): whether it has
   * moved data since the last look — then the lab waits on. False for any other test.
   */
  private movedSinceLook(): boolean {
    const side = this.side;
    if (side === null || side.endBy === null) return false;
    const moved = side.counts.bytesSent + side.counts.bytesReceived;
    const progressed = moved !== this.movedAtLook;
    this.movedAtLook = moved;
    return progressed;
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
      this.outcome = { kind: 'killed', signo: sig.signo, ...this.early() };
      this.finish();
      return;
    }
    this.pendingSignal = { byLab };
    this.task?.wake();
  }

  /** Whether the test ends by itself: by `-t`'s timer or, with `-n`/`-k`, by its count. */
  private get hasEnd(): boolean {
    return Number.isFinite(clientEndNs(0, this.spec.options)) || this.spec.options.bytes !== 0 || this.spec.options.blocks !== 0;
  }

  /** A test with no end still running at the lab's deadline: interrupt it as the user's Ctrl-C would; false for any other test. */
  private labInterrupt(started: number): boolean {
    if (this.state !== 'running' || this.hasEnd) return false;
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

  /**
   * When the lab first looks at a test started at `started` (ns): its -O + -t plus
   * CLIENT_GRACE_S, CLIENT_GRACE_S for a `-n`/`-k` test (looked at again while it moves data),
   * or UNBOUNDED_RUN_S without an end.
   */
  private deadline(started: number): number {
    const o = this.spec.options;
    const end = clientEndNs(0, o);
    if (Number.isFinite(end)) return started + end + CLIENT_GRACE_S * 1e9;
    return started + (this.hasEnd ? CLIENT_GRACE_S : UNBOUNDED_RUN_S) * 1e9;
  }

  /** iperf_run_client's start: the affinity (an outcome if it fails), then the client task. */
  private begin(): ClientOutcome | null {
    const { lab, board, options: o } = this.spec;
    // iperf_run_client: iperf_setaffinity first (sched_setaffinity is EINVAL without an online CPU in the mask).
    const cpus = affinityMask(board, o.affinity, this.spec.cpus);
    this.cpus = cpus ?? undefined;
    if (cpus === null) return { kind: 'error', code: 'IEAFFINITY', errno: 'EINVAL', ...this.early(), partial: null, connected: false, report: null };
    programStart(lab, board);
    // iperf_run_client, text mode with -V: the version and the system, before iperf_connect.
    if (o.verbose && !o.json) this.preamble = iperfPrintf(printerOf(o), wallClockSeconds(lab), versionCalls(IPERF_VERSION, systemInfo(lab, board)));
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
    return { kind: 'hung', waitedS: (lab.sim.now - started) / 1e9, why, ...this.early(), partial, connected };
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
    // iperf_handle_message_client: read() of 0 is IECTRLCLOSE, an error (a RST) IERECVMESSAGE.
    if (ctrl.closed) return this.fail(ctrl.error === null ? { code: 'IECTRLCLOSE', errno: null } : { code: 'IERECVMESSAGE', errno: ctrl.error });
    const side = this.side;
    if (side !== null && side.error !== null) return this.fail({ code: side.error.code, errno: side.error.errno });
    let wake = Infinity;
    if (side !== null && this.state === 'running') {
      const now = ctx.time;
      // The timers (tmr_run), then "is the test done yet?": -t's end, or -n/-k's count out of the omit period.
      if (now < this.endNs) wake = Math.min(side.reportDue(now, this.intervalNs, this.endNs), this.endNs);
      if (now >= this.endNs || side.countReached) {
        side.sample(now);
        side.stop();
        ctrl.send(ctx, stateMsg('TEST_END'));
        this.state = 'exchange';
        wake = Infinity;
      }
    }
    ctrl.wait(task);
    return Number.isFinite(wake) ? Math.max(0, wake - ctx.time) : 'sleep';
  }

  /** iperf_connect: the control connection (within `--connect-timeout`), the cookie, the UDP block size from its MSS. */
  private connect(ctx: ExecContext, task: Task): TaskStep {
    const { lab, board, options: o } = this.spec;
    // netdial: SO_BINDTODEVICE before connect; a device the board does not have is ENODEV.
    if (o.bindDev !== null && board.netdev()?.ndev.name !== o.bindDev) return this.fail({ code: 'IECONNECT', errno: 'ENODEV' });
    // netdial: bind to `-B`'s address before connecting (only the first time round).
    if (o.bindAddress !== null && this.ctrlSock.localAddress() === null) {
      const b = this.ctrlSock.bind(0, o.bindAddress);
      if (!b.ok) return this.fail({ code: 'IECONNECT', errno: b.errno });
    }
    const r = this.ctrlSock.connect(ctx, { addr: o.host, port: o.port });
    if (!r.ok && r.errno === 'EINPROGRESS') {
      const local = this.ctrlSock.localAddress();
      // The source address the route picked: the board's ntb0 address, or the destination
      // itself / 127.0.0.1 for a server on this board (through lo).
      if (local !== null) {
        this.srcAddr = local.addr === '0.0.0.0' ? board.ip : local.addr;
        registerChannel(lab, this.srcAddr, local.port, this.ch);
      }
      // timeout_connect: a non-blocking connect and poll() for the timeout (a negative one waits for ever).
      if (o.connectTimeout >= 0) this.connectDeadline = ctx.time + o.connectTimeout * 1e6;
    }
    if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
      // poll() ran out: netdial closes the socket, iperf3 reports ETIMEDOUT.
      if (ctx.time >= this.connectDeadline) return this.fail({ code: 'IECONNECT', errno: 'ETIMEDOUT' });
      this.ctrlSock.waitWritable(task);
      return Number.isFinite(this.connectDeadline) ? this.connectDeadline - ctx.time : 'sleep';
    }
    if (!r.ok) return this.fail({ code: 'IECONNECT', errno: r.errno });
    this.ctrl = new ControlEnd(this.ctrlSock, this.ch.toServer, this.ch.toClient);
    this.mss = this.ctrlSock.tcpInfo().sndMss;
    // Plain printf (no title, no time), -J or not.
    if (o.verbose) this.connectLines += `Control connection MSS ${this.mss}\n`;
    let blksize = o.blksize;
    if (o.protocol === 'UDP') {
      if (blksize === 0) {
        blksize = this.mss > 0 && this.mss <= MAX_UDP_BLOCKSIZE ? this.mss : DEFAULT_UDP_BLKSIZE;
        if (o.verbose) this.connectLines += `Setting UDP block size to ${blksize}\n`;
      }
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
      tos: o.tos,
      mss: o.mss,
      interval: o.interval,
      serverAffinity: o.serverAffinity,
      cookie: this.cookie,
      bytes: o.bytes,
      blocks: o.blocks,
      burst: o.burst,
      title: o.title,
      getServerOutput: o.getServerOutput,
    };
  }

  /** This client's side of a test with parameters `p` (no streams yet). */
  private newSide(p: TestParams): Side {
    const mode = p.bidir ? 'bidir' : p.reverse ? 'receiver' : 'sender';
    const side = new Side('c', this.spec.board, { mode, protocol: p.protocol, cpus: this.cpus });
    side.endBy = endByCount(p, 'c');
    return side;
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
      // The server's i_errno and errno, as iperf_handle_message_client reads them.
      const e = m.payload as { readonly code: IperfErrorCode; readonly errno: NetErrno | null };
      this.fail({ code: e.code, errno: e.errno });
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
        if (m.kind === 'CREATE_STREAMS') {
          this.streamsNs = ctx.time;
          this.createStreams(p);
        }
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
      // --cport: stream i binds port + i (a --bidir test's receiving streams follow its sending
      // ones); htons wraps past 65535, and port 0 is an ephemeral one.
      const lport = o.cport === 0 ? 0 : (o.cport + i) % 65536;
      if (p.protocol === 'TCP') {
        const t = stack.tcpSocket();
        // iperf_tcp_connect binds before its socket options; a port in use is IESTREAMCONNECT.
        const b = t.bind(lport, o.bindAddress ?? undefined);
        if (!b.ok) {
          t.close();
          this.fail({ code: 'IESTREAMCONNECT', errno: b.errno });
          return;
        }
        if (p.noDelay) t.setNoDelay(true);
        // iperf_tcp_connect: TCP_MAXSEG after TCP_NODELAY; the kernel refuses one outside 88..32767 (IESETMSS).
        if (p.mss !== 0 && !setMaxSeg(t, p.mss)) {
          t.close();
          this.fail({ code: 'IESETMSS', errno: 'EINVAL' });
          return;
        }
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
        sock = new TcpStreamSocket(t);
      } else {
        const u = new IperfUdpSocket(stack);
        // netdial binds the local port first (iperf_udp_connect).
        const b = u.bind(lport, o.bindAddress ?? undefined);
        if (!b.ok) {
          u.close();
          this.fail({ code: 'IESTREAMCONNECT', errno: b.errno });
          return;
        }
        if (p.socketBufsize > 0) {
          u.setRcvbuf(p.socketBufsize);
          u.setSndbuf(p.socketBufsize);
        }
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
      const body = stream.body(side, { blksize: p.blksize, rate: p.rate, zerocopy: p.zerocopy, udpDrops: () => stack.snmp.Udp.SndbufErrors, setup: { kind: p.protocol === 'TCP' ? 'tcp' : 'udp', to }, restOfBlock: side.endBy !== null, tos: p.tos });
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
    this.outcome = { kind: 'ok', result, ...this.early() };
    this.finish();
  }

  /**
   * What the client has printed so far in text mode: iperf_connect's warnings, then — once the
   * parameters are exchanged — the connecting lines, the streams and the finished intervals.
   * The interval the final stats_callback closed at the test's end is not among them: the
   * reporter prints it at DISPLAY_RESULTS, with the summary, after the results exchange.
   */
  progress(): string {
    // The text grows only with these (interval samples are appended, never changed): reformatting
    // every interval at each look made a long background test quadratic in its length.
    const side = this.side;
    const samples = side === null ? 0 : side.streams.reduce((n, st) => n + st.intervals.length, 0);
    const key = [this.preamble.length, this.connectLines.length, this.warnings.length, this.connected, this.testStarted, side?.done, side?.streams.length, samples].join('|');
    if (key === this.progressMemo.key) return this.progressMemo.text;
    this.progressMemo = { key, text: this.progressNow() };
    return this.progressMemo.text;
  }

  /** progress() computed afresh. */
  private progressNow(): string {
    const partial = this.partialNow();
    const shown = partial !== null && this.side?.done === true ? withoutLastInterval(partial) : partial;
    const live = shown !== null ? formatClientProgress(shown, this.style) : '';
    return this.preamble + this.connectLines + this.warnings + live;
  }

  /**
   * What the test has printed so far as a result: once TEST_START has come, its side's; once
   * connected, that of a side with no stream yet (on_connect's lines alone); else null.
   */
  private partialNow(): TestResult | null {
    const p = this.params;
    if (p === null || !this.connected) return null;
    const now = this.spec.lab.sim.now;
    const side = this.side;
    return side !== null && this.testStarted ? this.resultNow(side, p, now) : this.resultNow(this.newSide(p), p, now);
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
      clock: { streamsNs: this.streamsNs, startedNs: this.testStarted && side === this.side ? side.startNs : null, reportNs: now },
      serverOutput: o.getServerOutput ? (this.peer?.serverOutput ?? null) : null,
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
    this.outcome = { kind: 'interrupted', partial: this.reportNow(ctx.time), connected: this.connected, ...this.early(), byLab };
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
    this.outcome = { kind: 'error', code: f.code, errno: f.errno, ...this.early(), partial, connected: this.connected, report };
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
