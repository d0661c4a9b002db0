/**
 * `iperf3 -s` in the lab (src/iperf_server_api.c): a persistent server on a board — a TCP
 * socket listening on its port and a user task that accepts control connections, one test at
 * a time (a second client gets ACCESS_DENIED), and runs each test's server side: it answers
 * the cookie with PARAM_EXCHANGE, takes the parameters, accepts the data streams (TCP
 * connections with their cookie, or UDP "connect" datagrams answered from a socket on the
 * server's port connected to the client's, as iperf_udp_accept does),
 * sends TEST_START and TEST_RUNNING, samples its intervals, and at TEST_END prints its report
 * and exchanges results. After each test it listens afresh (default socket buffers) and
 * prints a new banner; `-1` exits after one test.
 *
 * What the server prints — banner, reports, errors — is background output of its board
 * (net/background.ts); with `-D` (daemon) it goes nowhere. `-V` adds iperf3's verbose lines
 * (the version before each banner, on_connect's, `Starting Test`, the summary's),
 * `--timestamps` the time before each print. Once a client has asked for `--get-server-output`
 * the server keeps what it prints for the client's results — and, as 3.12 never clears the
 * flag (iperf_reset_test leaves get_server_output), for every later test too, from the banner
 * it prints after each test on.
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import { netStrerror, type NetErrno, type TcpSocket } from '@ntbsim/net-core';
import type { Board, Lab } from '../../lab/lab.js';
import { printBackground } from '../net/background.js';
import { cjsonPrint, type JsonObject } from '../net/cjson.js';
import { COOKIE_SIZE, ControlEnd, jsonMsg, stateMsg, takeChannel, takeStreamOwner, type ControlChannel, type CtrlMsg } from './control.js';
import { systemInfo, wallClockSeconds } from '../net/host.js';
import { buildErrorJson, buildJson } from './jsonReport.js';
import { IPERF_ERRORS, IPERF_VERSION, iperfStrerror } from './options.js';
import { iperfErr, iperfPrintf, versionCalls, type Printer } from './printf.js';
import type { ServerOutput } from './results.js';
import { affinityMask, connectionTime, endByCount, resultsJson, Side, sideResult, type TestParams } from './session.js';
import { functionalPayload, IperfUdpListener, setMaxSeg, Stream, streamFd, TcpStreamSocket, UdpStreamSocket } from './streams.js';
import { formatServerProgress, formatServerText, formatSummary, formatTerminatedReport, jsonVerboseText, serverBanner, type TextStyle } from './textReport.js';

/** A running `iperf3 -s`. */
export interface Iperf3Server {
  /** The board it runs on. */
  readonly board: Board;
  /** Its port (`-p`). */
  readonly port: number;
  /** `-J`: print each test as JSON. */
  readonly json: boolean;
  /** `-1`: exit after one test. */
  readonly oneOff: boolean;
  /** `-D`: discard output. */
  readonly daemon: boolean;
  /** `-i` of the server (s). */
  readonly interval: number;
  /** `-f` of the server. */
  readonly unitFormat: string;
  /** `-A`: the CPU the server runs on, -1 = any (the caller has checked that the board has it). */
  readonly affinity: number;
  /** The CPU affinity it was started with (`taskset`; bit i = CPU i), what `-A` overrides; all CPUs when absent. */
  readonly cpus?: number | undefined;
  /** `-V`. */
  readonly verbose: boolean;
  /** `--timestamps`' strftime format, null = none. */
  readonly timestamps: string | null;
  /** `-B`: the local address its listener and UDP stream sockets bind to, null = any. */
  readonly bindAddress: string | null;
  /** `--logfile`: the writer of the file iperf_run_server opened (its iperf_printf and iperf_err go there, with `-D` too), null = none. */
  readonly log?: ((text: string) => void) | null;
}

interface ServerState extends Iperf3Server {
  readonly lab: Lab;
  testNumber: number;
  listenSince: number;
  listener: TcpSocket;
  task: Task | null;
  session: ServerSession | null;
  stopped: boolean;
  /** SIGINT, SIGTERM or SIGHUP delivered and not yet taken: the task runs iperf_got_sigend at its next step. */
  interrupted: boolean;
  /** get_server_output: a client asked for the server's output (3.12 never clears it again). */
  getServerOutput: boolean;
  /** What the server has printed since its last test ended while get_server_output was set (server_output_list). */
  captured: string;
}

/** The server's --rcv-timeout default (DEFAULT_NO_MSG_RCVD_TIMEOUT, 120000 ms), in ns. */
const RCV_TIMEOUT_NS = 120e9;
/** create_server_timers' grace past the test's duration: max_rtt 4 s × 10 state transitions. */
const TEST_TIMER_GRACE_S = 40;

const registry = new WeakMap<Lab, Map<string, ServerState>>();

function serversOf(lab: Lab): Map<string, ServerState> {
  let m = registry.get(lab);
  if (m === undefined) {
    m = new Map();
    registry.set(lab, m);
  }
  return m;
}

/** What the server writes to its output: the `--logfile` file, else its terminal — nowhere with `-D`. */
function out(s: ServerState, text: string): void {
  if (s.log !== undefined && s.log !== null) s.log(text);
  else if (!s.daemon) printBackground(s.board, text);
}

/** warning(): standard error, the terminal even with `--logfile` — nowhere with `-D`. */
function warn(s: ServerState, text: string): void {
  if (!s.daemon) printBackground(s.board, text);
}

/** iperf_printf on the server: to its terminal, and into the client's output once one asked for it (even with `-D`). */
function printf(s: ServerState, text: string): void {
  if (s.getServerOutput) s.captured += text;
  out(s, text);
}

/** The server's iperf_printf decoration: `--timestamps` (it never prints a title). */
function printer(s: ServerState): Printer {
  return { timestamps: s.timestamps, title: null };
}

/** iperf_err / iperf_errexit on the server: `iperf3: MSG` after the time, to its terminal only. */
function printErr(s: ServerState, msg: string): void {
  out(s, iperfErr(printer(s), wallClockSeconds(s.lab), msg));
}

/** iperf_run_server's start, text mode: `-V`'s version lines, then iperf_server_listen's banner. */
function printBanner(s: ServerState): void {
  if (s.json) return;
  const secs = wallClockSeconds(s.lab);
  if (s.verbose) printf(s, iperfPrintf(printer(s), secs, versionCalls(IPERF_VERSION, systemInfo(s.lab, s.board))));
  printf(s, serverBanner(s.port, s.testNumber, printer(s), secs));
}

/** netannounce: a listening socket on `port` (and `-B`'s address), or why bind or listen failed. */
function listen(board: Board, port: number, addr: string | null): TcpSocket | NetErrno {
  const l = board.stack.tcpSocket();
  l.setReuseAddr(true);
  const b = l.bind(port, addr ?? undefined);
  const r = b.ok ? l.listen() : b;
  if (!r.ok) {
    l.close();
    return r.errno;
  }
  return l;
}

/** Start a server on `spec.board` (iperf_server_listen); the errno of its bind or listen when it cannot (EADDRINUSE: the port is taken; EADDRNOTAVAIL: `-B` names an address the board does not have). */
export function startServer(lab: Lab, spec: Iperf3Server): true | NetErrno {
  const listener = listen(spec.board, spec.port, spec.bindAddress);
  if (typeof listener === 'string') return listener;
  const s: ServerState = { ...spec, lab, testNumber: 1, listenSince: lab.sim.now, listener, task: null, session: null, stopped: false, interrupted: false, getServerOutput: false, captured: '' };
  serversOf(lab).set(`${spec.board.name}:${spec.port}`, s);
  printBanner(s);
  const cpus = affinityMask(spec.board, spec.affinity, spec.cpus) ?? undefined;
  s.task = spec.board.host.createUserTask('iperf3', (ctx, task) => serverStep(s, ctx, task), cpus === undefined ? {} : { cpus });
  return true;
}

/** The persistent server task: run the current test's session, else accept a control connection. */
function serverStep(s: ServerState, ctx: ExecContext, task: Task): TaskStep {
  if (s.stopped) return exitServer(s);
  if (s.interrupted) return gotSigend(s, ctx);
  const session = s.session;
  if (session !== null) {
    const t0 = ctx.time;
    const step = session.step(ctx, task);
    session.cpuNs += ctx.time - t0;
    if (!session.finished) return step;
    s.session = null;
    s.testNumber++;
    // cleanup_server closes the listener after every test; main.c then leaves its loop for -1
    // (the process exits, so a later client is refused and a new server can bind the port),
    // else iperf_server_listen opens a new one.
    s.listener.close();
    if (s.oneOff) return exitServer(s);
    const l = listen(s.board, s.port, s.bindAddress);
    s.listenSince = ctx.time;
    if (typeof l === 'string') return exitServer(s);
    s.listener = l;
    printBanner(s);
  }
  s.listener.cancelWait(task);
  const a = s.listener.accept();
  if (!a.ok) {
    s.listener.waitReadable(task);
    return 'sleep';
  }
  const remote = a.sock.remoteAddress();
  const ch = remote === null ? undefined : takeChannel(s.lab, remote.addr, remote.port);
  if (remote === null || ch === undefined) a.sock.close(ctx);
  else s.session = new ServerSession(s, { sock: a.sock, ch, peer: remote });
  return 'run';
}

/** The server process exits: its listener is closed and it leaves the board's servers. */
function exitServer(s: ServerState): TaskStep {
  s.listener.close();
  s.stopped = true;
  serversOf(s.lab).delete(`${s.board.name}:${s.port}`);
  return 'exit';
}

/** Whether some iperf3 server of the lab is in a test (between a client's control connection and the test's end). */
export function serverTestsRunning(lab: Lab): boolean {
  return [...serversOf(lab).values()].some((s) => s.session !== null);
}

/** How many iperf3 servers run on `board`. */
export function serversOn(lab: Lab, board: Board): number {
  return [...serversOf(lab).values()].filter((s) => s.board === board).length;
}

/**
 * Signal every iperf3 server on `board`; returns how many ran. `interrupt` (SIGINT, SIGTERM,
 * SIGHUP) is taken by the server's task at its next step (`gotSigend`); `kill` (SIGKILL, and
 * the signals whose default action ends a process) ends it at once, without a word: its exit
 * closes the listener and the test's sockets, and a client sees its control connection close.
 */
export function stopServers(lab: Lab, board: Board, how: 'interrupt' | 'kill' = 'kill'): number {
  const m = serversOf(lab);
  let n = 0;
  for (const [k, s] of m) {
    if (s.board !== board) continue;
    n++;
    if (how === 'interrupt') {
      s.interrupted = true;
      s.task?.wake();
      continue;
    }
    m.delete(k);
    s.stopped = true;
    s.session?.abort();
    s.listener.close();
    s.task?.wake();
  }
  return n;
}

/**
 * iperf_got_sigend on a server: in a running test, stats_callback closes a last interval at
 * the signal and the reporter prints the test with its summary (the server's own side), and
 * SERVER_TERMINATE goes to the client; then iperf_errexit prints `interrupt - the server has
 * terminated` (with -J, as the JSON document's `error`; with -D, nowhere) and the process exits.
 */
function gotSigend(s: ServerState, ctx: ExecContext): TaskStep {
  const msg = `interrupt - ${IPERF_ERRORS.IESERVERTERM}`;
  const session = s.session;
  if (session !== null) {
    session.interrupted(ctx, msg);
    session.abort();
  } else if (s.json) out(s, `${cjsonPrint(buildErrorJson({ version: IPERF_VERSION, systemInfo: systemInfo(s.lab, s.board), title: null }, msg))}\n`);
  else printErr(s, msg);
  return exitServer(s);
}

/** One test's server side (iperf_run_server's loop for one client). */
class ServerSession {
  finished = false;
  cpuNs = 0;
  private state: 'cookie' | 'params' | 'streams' | 'running' | 'exchange' | 'display' = 'cookie';
  private readonly ctrl: ControlEnd;
  private readonly ch: ControlChannel;
  private readonly peer: { readonly addr: string; readonly port: number };
  private readonly timesecs: number;
  private side: Side | null = null;
  private params: TestParams | null = null;
  private udpListener: IperfUdpListener | null = null;
  private readonly incoming: { readonly sock: TcpSocket; got: number }[] = [];
  private toReceive = 0;
  private toSend = 0;
  /** The server receives in this test (not `-R`): its select waits at most --rcv-timeout. */
  private receives = false;
  /** When the server last took something from the client (select's last_receive_time). */
  private lastReceive: number;
  /** When create_server_timers' test timer (server_timer_proc) fires: see `armTestTimer`. */
  private testTimerAt = Infinity;
  /** What this test has printed in text mode so far: the server prints as the test goes. */
  private shown = '';
  /** The test's shape when its live text was last looked at (state, streams, intervals). */
  private liveKey = '';
  /** When the first stream was accepted (its line is printed then). */
  private streamsNs = 0;
  /** TEST_START (ns), null before it. */
  private startedNs: number | null = null;
  /** The `-J` document as the server had it at TEST_END, before iperf_json_finish (what `--get-server-output` sends). */
  private jsonDoc: JsonObject | null = null;

  constructor(
    private readonly srv: ServerState,
    conn: { readonly sock: TcpSocket; readonly ch: ControlChannel; readonly peer: { readonly addr: string; readonly port: number } },
  ) {
    this.ch = conn.ch;
    this.peer = conn.peer;
    this.ctrl = new ControlEnd(conn.sock, conn.ch.toClient, conn.ch.toServer);
    this.timesecs = connectionTime(srv.lab);
    this.lastReceive = srv.lab.sim.now;
  }

  private get intervalNs(): number {
    return this.srv.interval > 0 ? Math.round(this.srv.interval * 1e9) : Infinity;
  }

  /** How the server prints its text. */
  private get style(): TextStyle {
    return { verbose: this.srv.verbose, timestamps: this.srv.timestamps };
  }

  /** One step of the session on the server task. */
  step(ctx: ExecContext, task: Task): TaskStep {
    this.ctrl.sock.cancelWait(task);
    this.srv.listener.cancelWait(task);
    this.udpListener?.cancelWait(task);
    for (const c of this.incoming) c.sock.cancelWait(task);
    this.ctrl.flush(ctx);
    for (const m of this.ctrl.receive(ctx)) {
      this.lastReceive = ctx.time;
      this.handle(ctx, m);
      if (this.finished) return 'run';
    }
    if (this.ctrl.closed) {
      // iperf_handle_message_server: EOF is the client gone, a read error (a RST) IERECVMESSAGE.
      const err = this.ctrl.error;
      if (err === null) this.clientGone();
      else {
        printErr(this.srv, `error - ${iperfStrerror('IERECVMESSAGE', err)}`);
        this.end();
      }
      return 'run';
    }
    if (this.state === 'running' && ctx.time >= this.testTimerAt) {
      this.testTimerExpired();
      return 'run';
    }
    if (this.state === 'streams') {
      this.acceptStreams(ctx);
      const idleUntil = this.lastReceive + RCV_TIMEOUT_NS;
      if (this.state === 'streams' && this.receives && ctx.time > idleUntil) {
        this.idleTimeout();
        return 'run';
      }
    }
    const side = this.side;
    let wake = Infinity;
    if (side !== null && this.state === 'running') {
      if (side.error !== null) {
        this.fail(`${IPERF_ERRORS[side.error.code]}: ${netStrerror(side.error.errno)}`);
        return 'run';
      }
      wake = Math.min(side.reportDue(ctx.time, this.intervalNs), this.testTimerAt);
    }
    this.showLive(ctx.time);
    this.ctrl.wait(task);
    if (this.state === 'streams') {
      if (this.udpListener !== null) this.udpListener.waitReadable(task);
      else this.srv.listener.waitReadable(task);
      for (const c of this.incoming) c.sock.waitReadable(task);
      // Not a sender-only test (-R): select waits at most --rcv-timeout for the streams.
      if (this.receives) wake = this.lastReceive + RCV_TIMEOUT_NS + 1;
    }
    return Number.isFinite(wake) ? Math.max(0, wake - ctx.time) : 'sleep';
  }

  /**
   * iperf_run_server's --rcv-timeout (default 120 s) while it waits for the streams of a test in
   * which it receives: nothing came, so it gives up on the test (IENOMSG), closes the control
   * connection, prints the error and listens again. With `-P 0` this is how every test ends in
   * 3.12: the client creates no stream, and the server only checks for "all streams in" after
   * accepting one, so neither TEST_START nor anything else follows.
   */
  private idleTimeout(): void {
    this.printPartial();
    printErr(this.srv, `error - ${IPERF_ERRORS.IENOMSG}`);
    this.end();
  }

  /**
   * The test timer create_server_timers arms at TEST_START for a timed test: `(duration + omit
   * + 40 s grace)` µs, added to the clock as an unsigned 64-bit count. Its server_timer_proc
   * closes the streams and the control socket without a word; the next select fails on them
   * (EBADF) and the server prints `select failed: Bad file descriptor` and listens again.
   *
   * The lab arms it only for the negative `-t` 3.12 accepts (3.17 refuses it): `-t -1 … -40`
   * make it fire 39 … 0 s into the test (later by `-O`) while the client, whose own end timer
   * wrapped into the far future, still sends; below that it wraps too and the test never ends.
   * For a positive `-t` it would fire 40 s past the test's end, which only a stalled test
   * reaches — the lab reports those as hung, with the model's diagnosis, instead.
   */
  private armTestTimer(now: number, p: TestParams): void {
    const secs = p.duration + p.omit + TEST_TIMER_GRACE_S;
    if (p.duration < 0 && secs >= 0) this.testTimerAt = now + secs * 1e9;
  }

  private testTimerExpired(): void {
    this.fail(`${IPERF_ERRORS.IESELECT}: ${netStrerror('EBADF')}`);
  }

  private handle(ctx: ExecContext, m: CtrlMsg): void {
    if (m.kind === 'CLIENT_TERMINATE' && this.state !== 'cookie') return this.clientTerminated();
    if (m.kind === 'cookie' && this.state === 'cookie') {
      this.ctrl.send(ctx, stateMsg('PARAM_EXCHANGE'));
      this.state = 'params';
    } else if (m.kind === 'params' && this.state === 'params') this.setup(ctx, m.payload as TestParams);
    else if (m.kind === 'TEST_END' && this.state === 'running') this.testEnd(ctx);
    else if (m.kind === 'results' && this.state === 'exchange') {
      const side = this.side;
      if (side === null) return;
      const results = side.peerResults(this.cpuPercent(ctx.time), this.serverOutput());
      this.ctrl.send(ctx, jsonMsg('results', resultsJson(results), results));
      this.ctrl.send(ctx, stateMsg('DISPLAY_RESULTS'));
      this.state = 'display';
    } else if (m.kind === 'IPERF_DONE' && this.state === 'display') this.end();
  }

  private cpuPercent(now: number): number {
    return (100 * (this.cpuNs + (this.side?.cpuNs ?? 0))) / Math.max(1, now - this.srv.listenSince);
  }

  /**
   * send_results' server output, once a client asked for it (this one or an earlier one):
   * the `-J` document before iperf_json_finish, or what the server has printed since its last
   * test (server_output_list).
   */
  private serverOutput(): ServerOutput | null {
    if (!this.srv.getServerOutput) return null;
    if (!this.srv.json) return { kind: 'text', text: this.srv.captured };
    return this.jsonDoc === null ? null : { kind: 'json', doc: this.jsonDoc };
  }

  /** get_parameters + the protocol's listen: prepare for the streams, then CREATE_STREAMS. */
  private setup(ctx: ExecContext, p: TestParams): void {
    this.params = p;
    if (p.getServerOutput) this.srv.getServerOutput = true;
    // iperf_accept: a client's `-A n,m` moves the server to CPU m for this test (the model pins
    // the test's stream task; the control task keeps the server's own affinity).
    const cpus = affinityMask(this.srv.board, p.serverAffinity >= 0 ? p.serverAffinity : this.srv.affinity, this.srv.cpus);
    if (cpus === null) {
      this.fail(`${IPERF_ERRORS.IEAFFINITY}: ${netStrerror('EINVAL')}`);
      return;
    }
    const mode = p.bidir ? 'bidir' : p.reverse ? 'sender' : 'receiver';
    this.side = new Side('s', this.srv.board, { mode, protocol: p.protocol, cpus });
    this.side.main = this.srv.task;
    // iperf_send's -n/-k check: a sending server stops at the client's count (the client ends the test).
    this.side.endBy = endByCount(p, 's');
    const n = p.numStreams;
    this.toReceive = mode === 'sender' ? 0 : n;
    this.receives = mode !== 'sender';
    this.toSend = mode === 'receiver' ? 0 : n;
    // iperf_tcp_listen: a new listener with TCP_MAXSEG when `-M` came (its children inherit it).
    if (p.protocol === 'TCP' && p.mss !== 0 && !setMaxSeg(this.srv.listener, p.mss)) return this.serverError(ctx, 'IESETMSS', 'EINVAL');
    if (p.protocol === 'TCP' && p.socketBufsize > 0) {
      const l = this.srv.listener;
      l.setRcvbuf(p.socketBufsize);
      l.setSndbuf(p.socketBufsize);
      if (p.socketBufsize > l.sndbuf || p.socketBufsize > l.rcvbuf) return this.serverError(ctx, 'IESETBUF2');
    }
    if (p.protocol === 'UDP') {
      const u = new IperfUdpListener(this.srv.board.stack);
      if (!u.bind(this.srv.port, this.srv.bindAddress ?? undefined).ok) {
        u.close();
        return this.serverError(ctx, 'IESTREAMLISTEN');
      }
      this.udpListener = u;
    }
    this.ctrl.send(ctx, stateMsg('CREATE_STREAMS'));
    this.state = 'streams';
  }

  /** Accept the data streams (iperf_tcp_accept / iperf_udp_accept); TEST_START once all are in. */
  private acceptStreams(ctx: ExecContext): void {
    const side = this.side;
    const p = this.params;
    if (side === null || p === null) return;
    const before = side.streams.length;
    if (this.udpListener !== null) this.acceptUdp(ctx, side, p);
    else this.acceptTcp(ctx, side);
    // iperf_run_server checks for "all streams in" only after accepting one (so with -P 0, never).
    if (side.streams.length === before) return;
    if (before === 0) this.streamsNs = ctx.time;
    this.lastReceive = ctx.time;
    if (side.streams.length < this.toReceive + this.toSend) return;
    this.ctrl.send(ctx, stateMsg('TEST_START'));
    this.startedNs = ctx.time;
    this.armTestTimer(ctx.time, p);
    // create_server_timers, then create_server_omit_timer with the client's `-O`.
    side.begin(ctx.time, this.intervalNs, p.omit);
    this.ctrl.send(ctx, stateMsg('TEST_RUNNING'));
    side.run();
    this.state = 'running';
  }

  private acceptTcp(ctx: ExecContext, side: Side): void {
    for (let a = this.srv.listener.accept(); a.ok; a = this.srv.listener.accept()) {
      const remote = a.sock.remoteAddress();
      if (remote !== null && takeStreamOwner(this.srv.lab, remote.addr, remote.port) === this.ch) {
        this.incoming.push({ sock: a.sock, got: 0 });
        continue;
      }
      const other = remote === null ? undefined : takeChannel(this.srv.lab, remote.addr, remote.port);
      if (other !== undefined) {
        other.toClient.push(stateMsg('ACCESS_DENIED'));
        a.sock.send(ctx, 1);
      }
      a.sock.close(ctx);
    }
    for (const c of [...this.incoming]) {
      const r = c.sock.recv(ctx, COOKIE_SIZE - c.got);
      if (!r.ok || r.bytes === 0) continue;
      c.got += r.bytes;
      if (c.got < COOKIE_SIZE) continue;
      this.incoming.splice(this.incoming.indexOf(c), 1);
      if (this.params?.noDelay === true) c.sock.setNoDelay(true);
      // iperf_run_server: TCP_CONGESTION on each accepted stream; an algorithm this host lacks is only a warning.
      const cc = this.params?.congestion ?? null;
      if (cc !== null && !c.sock.setCongestion(cc).ok) warn(this.srv, 'warning: TCP congestion control algorithm not supported\n');
      this.addStream(side, new TcpStreamSocket(c.sock), null, c.sock.remoteAddress()?.port ?? 0);
    }
  }

  private acceptUdp(ctx: ExecContext, side: Side, p: TestParams): void {
    const l = this.udpListener;
    if (l === null) return;
    for (let r = l.recv(ctx, 4); r.ok; r = l.recv(ctx, 4)) {
      l.takeArrival();
      const owner = takeStreamOwner(this.srv.lab, r.from.addr, r.from.port);
      const intro = owner?.streams.get(r.from.port);
      if (owner !== this.ch || intro === undefined) continue;
      // The stream's socket: the server's port, connected to the client's (`local … port 5201`).
      const u = l.accept(r.from);
      if (typeof u === 'string') return this.serverError(ctx, 'IESTREAMACCEPT');
      if (p.socketBufsize > 0) {
        u.setRcvbuf(p.socketBufsize);
        u.setSndbuf(p.socketBufsize);
        if (p.socketBufsize > u.sndbuf || p.socketBufsize > u.rcvbuf) {
          u.close();
          this.serverError(ctx, 'IESETBUF2');
          return;
        }
      }
      u.send(ctx, 4);
      const sock = new UdpStreamSocket(u);
      sock.peer = r.from;
      this.addStream(side, sock, intro.log, r.from.port);
    }
  }

  private addStream(side: Side, sock: TcpStreamSocket | UdpStreamSocket, log: Stream['log'], clientPort: number): void {
    const p = this.params;
    if (p === null) return;
    const receiving = side.streams.filter((s) => !s.sender).length;
    const sender = receiving >= this.toReceive;
    if (sender && this.srv.lab.options.payload === 'functional') sock.payload = functionalPayload(Math.max(1, p.blksize));
    const stream = new Stream(streamFd(side.streams.length), sender, sock, log);
    side.streams.push(stream);
    side.clientPorts.push(clientPort);
    side.sockBufs.push({ sockBufsize: p.socketBufsize, sndbufActual: sock.sndbuf, rcvbufActual: sock.rcvbuf });
    const stack = this.srv.board.stack;
    const body = stream.body(side, { blksize: p.blksize, rate: p.rate, zerocopy: p.zerocopy, udpDrops: () => stack.snmp.Udp.SndbufErrors, setup: { kind: 'none' }, restOfBlock: side.endBy !== null, tos: p.tos });
    side.startStream(stream, body);
  }

  /** TEST_END: last interval, close the streams, print the report, EXCHANGE_RESULTS. */
  private testEnd(ctx: ExecContext): void {
    const side = this.side;
    if (side === null) return;
    side.sample(ctx.time);
    side.stop();
    side.closeStreams();
    const r = this.result(ctx.time);
    if (r !== null && this.srv.json) {
      printf(this.srv, jsonVerboseText(r, this.style));
      this.jsonDoc = buildJson(r, { finished: false });
      out(this.srv, `${cjsonPrint(buildJson(r))}\n`);
    } else if (r !== null) this.showProgress(formatServerText(r, this.style));
    this.ctrl.send(ctx, stateMsg('EXCHANGE_RESULTS'));
    this.state = 'exchange';
  }

  private result(now: number): ReturnType<typeof sideResult> | null {
    const side = this.side;
    const p = this.params;
    if (side === null || p === null) return null;
    return sideResult(side, {
      lab: this.srv.lab,
      params: p,
      interval: this.srv.interval,
      unitFormat: this.srv.unitFormat,
      peer: null,
      cpu: { host: this.cpuPercent(now), remote: 0 },
      peerHost: this.peer.addr,
      peerPort: this.peer.port,
      timesecs: this.timesecs,
      // ctrl_sck_mss: only iperf_connect (a client's) reads TCP_MAXSEG; a server's stays 0.
      mss: 0,
      clock: { streamsNs: this.streamsNs, startedNs: this.startedNs, reportNs: now },
      serverOutput: null,
    });
  }

  /** A server-side error before the test: SERVER_ERROR to the client, the error on the server. */
  private serverError(ctx: ExecContext, code: keyof typeof IPERF_ERRORS, errno: NetErrno | null = null): void {
    this.ctrl.send(ctx, { kind: 'SERVER_ERROR', bytes: 9, payload: { code, errno } });
    printErr(this.srv, `error - ${iperfStrerror(code, errno)}`);
    this.end();
  }

  /** A stream failed on the server: print the error and drop the control connection. */
  private fail(msg: string): void {
    this.printPartial();
    printErr(this.srv, `error - ${msg}`);
    this.end();
  }

  /** The control connection closed before the test ended. */
  private clientGone(): void {
    if (this.state === 'display' || this.state === 'exchange') return this.end();
    this.printPartial();
    printErr(this.srv, 'the client has unexpectedly closed the connection');
    this.end();
  }

  /**
   * CLIENT_TERMINATE (the client took SIGINT, SIGTERM or SIGHUP): the reporter runs as at
   * DISPLAY_RESULTS with no new stats_callback — the last interval printed again, then the
   * summary — and iperf_err prints `the client has terminated`; the test ends and the server
   * listens again. Before TEST_START there is no interval to report: what the server had
   * printed, then the message.
   */
  private clientTerminated(): void {
    const msg = IPERF_ERRORS.IECLIENTTERM;
    const r = this.state === 'running' ? this.result(this.srv.board.host.sim.now) : null;
    if (r === null) {
      if (this.srv.json) out(this.srv, `${cjsonPrint(buildErrorJson(this.errorJsonInfo(), msg))}\n`);
      else {
        this.printPartial();
        printErr(this.srv, msg);
      }
    } else if (this.srv.json) out(this.srv, `${cjsonPrint(buildJson(r, { repeatLast: true, error: msg }))}\n`);
    else {
      this.showProgress(formatServerProgress(r, this.style));
      printf(this.srv, formatTerminatedReport(r, this.style));
      printErr(this.srv, msg);
    }
    this.end();
  }

  /**
   * The server took SIGINT, SIGTERM or SIGHUP (iperf_got_sigend) during this test: in a running
   * test a last interval and the report, then `msg` (in the JSON document with -J); before it
   * runs, what the server had printed and `msg`; after TEST_END (its report printed), `msg`.
   * SERVER_TERMINATE goes to the client on the control connection either way.
   */
  interrupted(ctx: ExecContext, msg: string): void {
    const side = this.side;
    const json = this.srv.json;
    if (this.state === 'running' && side !== null) side.sample(ctx.time);
    const r = this.state === 'running' ? this.result(ctx.time) : null;
    if (r !== null && json) out(this.srv, `${cjsonPrint(buildJson(r, { error: msg }))}\n`);
    else if (r !== null) {
      this.showProgress(formatServerProgress(r, this.style));
      printf(this.srv, formatSummary(r, this.style));
      printErr(this.srv, msg);
    } else if (json) out(this.srv, `${cjsonPrint(buildErrorJson(this.errorJsonInfo(), msg))}\n`);
    else {
      if (this.state !== 'exchange' && this.state !== 'display') this.printPartial();
      printErr(this.srv, msg);
    }
    this.ctrl.send(ctx, stateMsg('SERVER_TERMINATE'));
  }

  /** What the server has printed of this test so far, brought up to date (text mode): before a message that ends the test. */
  private printPartial(): void {
    this.showLive(this.srv.board.host.sim.now, true);
  }

  /** What buildErrorJson records of this test: the version, the system, the client's title. */
  private errorJsonInfo(): { readonly version: string; readonly systemInfo: string; readonly title: string | null } {
    return { version: IPERF_VERSION, systemInfo: systemInfo(this.srv.lab, this.srv.board), title: this.params?.title ?? null };
  }

  /** Print what of `text` — the test's text so far, which only grows — is not on the terminal yet (text mode). */
  private showProgress(text: string): void {
    if (this.srv.json || !text.startsWith(this.shown)) return;
    printf(this.srv, text.slice(this.shown.length));
    this.shown = text;
  }

  /**
   * The server's terminal as the test goes (text mode): iperf_accept's on_connect lines
   * (`Accepted connection …`) once the parameters are in, each stream's line as it is
   * accepted, each interval as the reporter prints it. Looked at when the test's shape changed
   * since the last look (or `force`). With `-D` nothing shows, but a client that asked for the
   * server's output still gets it.
   */
  private showLive(now: number, force = false): void {
    if (this.srv.json || (this.srv.daemon && !this.srv.getServerOutput) || this.state === 'cookie' || this.state === 'params') return;
    const first = this.side?.streams[0];
    const key = `${this.state}|${this.side?.streams.length ?? -1}|${first?.intervals.length ?? -1}`;
    if (!force && key === this.liveKey) return;
    this.liveKey = key;
    const r = this.result(now);
    if (r !== null) this.showProgress(formatServerProgress(r, this.style));
  }

  /** The server is being stopped: end the session. */
  abort(): void {
    this.end();
  }

  private end(): void {
    // iperf_reset_test: the kept output goes (get_server_output stays).
    this.srv.captured = '';
    this.ch.serverDone = true;
    if (this.ch.clientLingering) this.srv.lab.sim.stop();
    this.side?.stop();
    this.side?.closeStreams();
    this.udpListener?.close();
    for (const c of this.incoming) c.sock.close();
    this.ctrl.close();
    this.finished = true;
  }
}
