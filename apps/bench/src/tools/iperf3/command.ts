/**
 * The lab's `iperf3` command (esnet iperf3 3.12): `iperf3 -s` starts a persistent server on
 * the board and returns after its banner; `iperf3 -c HOST` runs a test against the server on
 * HOST, advancing virtual time for as long as the test runs (with `&`, in the background: see
 * tools/jobs.ts), and prints iperf3's text or `-J` output. Errors print as iperf3 prints them (`iperf3: error - …`, exit status 1).
 * Its warnings go to standard error when iperf3 prints them — parse_arguments' at once, the
 * UDP block size one in iperf_connect, before `Connecting to host …` — and the result keeps
 * that order (tools/output.ts). With `-V` the version lines come first and iperf_connect's
 * plain printfs before its warnings; `--timestamps` puts the time before every print and
 * error line, `-T` its title before a client's prints (printf.ts).
 */
import type { Board } from '../../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../../types.js';
import { cjsonPrint } from '../net/cjson.js';
import { systemInfo, wallClockAt, wallClockSeconds } from '../net/host.js';
import { addJob, printJob, printJobResult, type JobStatus } from '../jobs.js';
import { interleaved, writesOf, type StreamWrite } from '../output.js';
import { runClient, startClient, type ClientEarly, type ClientOutcome } from './client.js';
import { buildErrorJson, buildJson } from './jsonReport.js';
import { IPERF_ERRORS, IPERF_VERSION, iperfStrerror, parseIperf3Args, USAGE_SHORT, type Iperf3Options } from './options.js';
import { iperfErr, iperfPrintf, printerOf, versionCalls } from './printf.js';
import type { TestResult } from './results.js';
import { takeServerOutput } from '../net/background.js';
import { openUserFile } from '../proc.js';
import { affinityMask } from './session.js';
import { startServer } from './server.js';
import { formatClientProgress, formatClientText, formatSummary, formatTerminatedReport, jsonVerboseText, type TextStyle } from './textReport.js';

/**
 * SO_BINDTODEVICE in the lab: binding to the board's ntb0 changes nothing (every route the lab
 * has goes through it), so it is honoured; a device the board does not have fails with ENODEV
 * as setsockopt does; the loopback device, which a real board has, the lab does not model.
 */
function bindDevCheck(board: Board, dev: string): 'ok' | 'ENODEV' | 'unmodelled' {
  if (dev === 'lo') return 'unmodelled';
  return board.netdev()?.ndev.name === dev ? 'ok' : 'ENODEV';
}

/** What getaddrinfo resolves in the lab: dotted-quad IPv4 addresses (the lab has no DNS). */
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** `iperf3`: server (`-s`) or client (`-c HOST`) with iperf3 3.12's options and output. */
export const iperf3: Command = (argv, env) => {
  const { lab, board } = env;
  const sys = systemInfo(lab, board);
  const parsed = parseIperf3Args(argv, sys, wallClockSeconds(lab));
  if (parsed.kind === 'exit') return result(parsed.stdout, parsed.stderr, parsed.status);
  const o = parsed.options;
  const err = (msg: string): string => iperfErr(printerOf(o), wallClockSeconds(lab), msg);
  if (o.bindDev !== null && bindDevCheck(board, o.bindDev) === 'unmodelled') {
    return result('', `${err(`parameter error - ${IPERF_ERRORS.IEUNIMP}`)}\n${USAGE_SHORT}`, 1);
  }
  if (o.role === 's') {
    // With -D, run() calls daemon(0, 0) before iperf_run_server: the shell gets the parent's exit
    // status 0 at once, and the daemon's errors (log file, affinity, listen) go to /dev/null as it exits.
    // iperf_run_server opens --logfile first, then sets the affinity; real iperf3 then retries (and fails) forever, the lab stops once.
    const logged = o.logfile === null ? null : openUserFile(board, o.logfile, true);
    if (typeof logged === 'string') return o.daemon ? result('') : result('', err(`error - ${IPERF_ERRORS.IELOGFILE}: ${logged}`) + err('exiting'), 1);
    const log = logged?.write ?? null;
    // iperf_err goes where iperf_printf does: the log file once open.
    const fail = (text: string, before = ''): CommandResult => (log === null ? result(before, text, 1) : (log(before + text), result('', '', 1)));
    if (affinityMask(board, o.affinity) === null) return o.daemon ? result('') : fail(err(`error - ${iperfStrerror('IEAFFINITY', 'EINVAL')}`));
    // netannounce's SO_BINDTODEVICE fails as its bind would: IELISTEN with the errno.
    const devErr = o.bindDev !== null && bindDevCheck(board, o.bindDev) === 'ENODEV' ? 'ENODEV' : null;
    const spec = { board, port: o.port, json: o.json, oneOff: o.oneOff, daemon: o.daemon, interval: o.interval, unitFormat: o.unitFormat, affinity: o.affinity, cpus: env.cpus, verbose: o.verbose, timestamps: o.timestamps, bindAddress: o.bindAddress, log };
    // netannounce's getaddrinfo of `-B` fails before any socket: IELISTEN with errno untouched (0: no text after the colon).
    const resolvable = o.bindAddress === null || DOTTED_QUAD.test(o.bindAddress);
    const started = devErr === null && resolvable ? startServer(lab, spec) : null;
    if (started !== true) {
      if (o.daemon) return result('');
      // -V's version lines come before iperf_server_listen fails.
      const version = o.verbose && !o.json ? iperfPrintf(printerOf(o), wallClockSeconds(lab), versionCalls(IPERF_VERSION, sys)) : '';
      const why = devErr ?? started;
      return fail(err(`error - ${why === null ? `${IPERF_ERRORS.IELISTEN}: ` : iperfStrerror('IELISTEN', why)}`) + err('exiting'), version);
    }
    return interleaved([{ fd: 2, text: parsed.warnings }, { fd: 1, text: takeServerOutput(board) }], 0);
  }
  return o.logfile === null ? runClientCommand(env, parsed.warnings, o) : runLoggedClient(env, parsed.warnings, { ...o, logfile: o.logfile });
};

/** What iperf3 writes on standard error other than through iperf_err: warning(), and the lab's own notes; they stay on the terminal with `--logfile`. */
const NOT_IPERF_ERR = /^(warning: |ntb-bench: )/;

/**
 * `iperf3 -c … --logfile FILE`: iperf_run_client opens FILE for append first (IELOGFILE and
 * the errno when it cannot), then iperf_printf and iperf_err write there; warning() and what
 * the board's servers printed stay on the terminal. As a job, the file takes its lines as it writes them.
 */
function runLoggedClient(env: ShellEnv, parseWarnings: string, o: Iperf3Options & { readonly logfile: string }): CommandResult {
  const { lab, board } = env;
  const before = o.json ? '' : takeServerOutput(board);
  const file = openUserFile(board, o.logfile, true);
  if (typeof file === 'string') {
    return interleaved([{ fd: 1, text: before }, { fd: 2, text: parseWarnings }, { fd: 2, text: iperfErr(printerOf(o), wallClockSeconds(lab), `error - ${IPERF_ERRORS.IELOGFILE}: ${file}`) }], 1);
  }
  /** Split standard error: iperf_err's lines into the file, the rest to `terminal`. */
  const stderrTo = (text: string, terminal: (t: string) => void): void => {
    for (const line of text.split(/(?<=\n)/)) {
      if (line === '') continue;
      if (NOT_IPERF_ERR.test(line)) terminal(line);
      else file.write(line);
    }
  };
  if (env.background === true) {
    printJob(env, before);
    const job: ShellEnv = { ...env, stdoutTo: file.write, stderrTo: (t) => stderrTo(t, (line) => printJob(env, line, 2)) };
    return runClientCommand(job, parseWarnings, o);
  }
  const r = runClientCommand(env, parseWarnings, o);
  const terminal: StreamWrite[] = [{ fd: 1, text: before }];
  for (const w of writesOf(r)) {
    if (w.fd === 1) file.write(w.text);
    else stderrTo(w.text, (line) => terminal.push({ fd: 2, text: line }));
  }
  return interleaved(terminal, r.status);
}

/**
 * The client side of `iperf3`: its output in the order iperf3 writes it. In the background
 * (`iperf3 -c … &`) the test goes on as the next commands run; what it prints goes to the
 * board's terminal through the shell's jobs, and the shell gets status 0 at once.
 */
function runClientCommand(env: ShellEnv, parseWarnings: string, o: Iperf3Options): CommandResult {
  const { lab, board } = env;
  const sys = systemInfo(lab, board);
  const errorJson = (msg: string): string => `${cjsonPrint(buildErrorJson({ version: IPERF_VERSION, systemInfo: sys, title: o.title }, msg))}\n`;
  // What the board's background servers printed before this command: first, as on its terminal.
  const before = o.json ? '' : takeServerOutput(board);
  const background = env.background === true;
  let early: CommandResult | null = null;
  if (!DOTTED_QUAD.test(o.host) || (o.bindAddress !== null && !DOTTED_QUAD.test(o.bindAddress))) {
    // netdial's getaddrinfo of the server, then of `-B`'s address, fails before any socket exists (after -V's version lines): IECONNECT with gai_strerror (herr).
    const msg = `error - ${IPERF_ERRORS.IECONNECT}: Name or service not known`;
    const secs = wallClockSeconds(lab);
    const version = o.verbose && !o.json ? iperfPrintf(printerOf(o), secs, versionCalls(IPERF_VERSION, sys)) : '';
    early = o.json
      ? interleaved([{ fd: 2, text: parseWarnings }, { fd: 1, text: errorJson(msg) }], 1)
      : interleaved([{ fd: 1, text: before }, { fd: 2, text: parseWarnings }, { fd: 1, text: version }, { fd: 2, text: iperfErr(printerOf(o), secs, msg) }], 1);
  }
  const report = (outcome: ClientOutcome): CommandResult => clientResult(o, { before, parseWarnings, errorJson }, outcome);
  if (!background) return early ?? report(runClient({ lab, board, options: o, cpus: env.cpus }));
  if (early === null) startBackgroundClient(env, o, { parseWarnings, errorJson, before });
  else {
    // The job fails at once: what it printed, and its status, as bash would reap it.
    printJobResult(env, early);
    addJob(board, { comm: 'iperf3', command: env.commandLine ?? 'iperf3', ended: () => true, signal: () => undefined, status: () => ({ kind: 'exit', code: early.status }) });
  }
  return result('');
}

/** How often a background client's new text lines are looked for (ns of virtual time). */
const JOB_OUTPUT_POLL_NS = 100_000_000;

/**
 * `iperf3 -c … &`: start the test as a job of the board's shell. In text mode it writes as the
 * real one does on a terminal — `Connecting to host …` once the parameters are exchanged, then
 * the connection lines and each interval's lines as the test reaches them, the summary at the
 * end (a look every 100 ms of virtual time); with `-J`, the JSON at the end only.
 */
function startBackgroundClient(env: ShellEnv, o: Iperf3Options, pre: { readonly parseWarnings: string; readonly errorJson: (msg: string) => string; readonly before: string }): void {
  const { lab, board } = env;
  printJob(env, pre.before);
  printJob(env, pre.parseWarnings, 2);
  // What the job has printed of its standard output so far: the prefix of its final output's.
  let shown = '';
  const show = (text: string): void => {
    if (text.startsWith(shown) && text.length > shown.length) {
      printJob(env, text.slice(shown.length));
      shown = text;
    }
  };
  let status: JobStatus | null = null;
  const run = startClient({ lab, board, options: o, cpus: env.cpus }, (outcome) => {
    const r = clientResult(o, { ...pre, before: '', parseWarnings: '' }, outcome);
    // The rest of its standard output (all of it if the live text was not its start), and its standard error.
    const out = writesOf(r);
    let skip = out.filter((w) => w.fd === 1).map((w) => w.text).join('').startsWith(shown) ? shown.length : 0;
    for (const w of out) {
      const cut = w.fd === 1 ? Math.min(skip, w.text.length) : 0;
      skip -= cut;
      printJob(env, w.text.slice(cut), w.fd);
    }
    // SIGKILL ends the process without a handler; otherwise iperf3 exits with its status.
    status = outcome.kind === 'killed' ? { kind: 'signal', signo: outcome.signo } : { kind: 'exit', code: r.status };
  });
  const look = (): void => {
    if (!o.json && !run.ended()) show(run.progress());
  };
  if (!o.json) {
    const poll = (): void => {
      if (run.ended()) return;
      look();
      lab.sim.after(JOB_OUTPUT_POLL_NS, poll);
    };
    lab.sim.after(JOB_OUTPUT_POLL_NS, poll);
  }
  addJob(board, { comm: 'iperf3', command: env.commandLine ?? 'iperf3', ended: run.ended, signal: run.signal, status: () => status, flush: look });
}

/** What iperf3 wrote before its report: the servers' earlier output, parse_arguments' warnings, then iperf_run_client's early writes. */
function earlyWrites(pre: { readonly before: string; readonly parseWarnings: string }, e: ClientEarly): StreamWrite[] {
  return [
    { fd: 1, text: pre.before },
    { fd: 2, text: pre.parseWarnings },
    { fd: 1, text: e.preamble + e.connectLines },
    { fd: 2, text: e.warnings },
  ];
}

/** What the client's outcome prints: `pre.before` (the servers' earlier output), the warnings, then the report or the error. */
function clientResult(o: Iperf3Options, pre: { readonly before: string; readonly parseWarnings: string; readonly errorJson: (msg: string) => string }, outcome: ClientOutcome): CommandResult {
  const { errorJson } = pre;
  const style: TextStyle = { verbose: o.verbose, timestamps: o.timestamps };
  const early = earlyWrites(pre, outcome);
  // iperf_err / iperf_errexit: the message after the --timestamps time of the outcome.
  const err = (msg: string): string => iperfErr(printerOf(o), wallClockAt(outcome.atNs), msg);
  // What iperf3 printed live: on_connect's lines once the parameters are exchanged, the streams and intervals so far.
  const live = (r: TestResult | null): string => (r === null ? '' : formatClientProgress(r, style));
  if (outcome.kind === 'hung') {
    const why = `ntb-bench: iperf3 still had not finished ${outcome.waitedS.toFixed(0)} s (virtual) after it started; the real iperf3 would still be waiting. The model says: ${outcome.why}\n`;
    return interleaved([...early, { fd: 1, text: o.json ? '' : live(outcome.partial) }, { fd: 2, text: why }], 1);
  }
  if (outcome.kind === 'error') {
    const msg = `error - ${iperfStrerror(outcome.code, outcome.errno)}`;
    const final = outcome.report;
    if (o.json) return interleaved([...early, { fd: 1, text: final === null ? errorJson(msg) : `${jsonVerboseText(final, style)}${cjsonPrint(buildJson(final, { repeatLast: true, error: msg }))}\n` }], 1);
    // On SERVER_TERMINATE, the reporter's last interval again and the summary follow.
    return interleaved([...early, { fd: 1, text: live(outcome.partial) + (final === null ? '' : formatTerminatedReport(final, style)) }, { fd: 2, text: err(msg) }], 1);
  }
  // Killed: no handler ran, so nothing is printed beyond what the job showed live.
  if (outcome.kind === 'killed') return result('', '', 128 + 9);
  if (outcome.kind === 'interrupted') {
    // iperf_got_sigend: the reporter's last interval and summary, then iperf_errexit (exit 1).
    const msg = `interrupt - ${IPERF_ERRORS.IECLIENTTERM}`;
    const r = outcome.partial;
    const lab = outcome.byLab === null ? '' : `ntb-bench: this iperf3 test has no end (-t taken as ${o.duration}: 3.12 sets no end timer for it): the lab interrupted it ${outcome.byLab.ranS.toFixed(0)} s (virtual) after it started, as Ctrl-C would\n`;
    if (o.json) return interleaved([...early, { fd: 1, text: `${jsonVerboseText(r, style)}${cjsonPrint(buildJson(r, { error: msg }))}\n` }, { fd: 2, text: lab }], 1);
    const shown = outcome.connected ? formatClientProgress(r, style) : '';
    return interleaved([...early, { fd: 1, text: shown + formatSummary(r, style) }, { fd: 2, text: err(msg) + lab }], 1);
  }
  const report = o.json ? `${jsonVerboseText(outcome.result, style)}${cjsonPrint(buildJson(outcome.result))}\n` : formatClientText(outcome.result, style);
  return interleaved([...early, { fd: 1, text: report }], 0);
}

/**
 * The one-shot `ntb-bench iperf3 ARGS` boots a lab with `iperf3 -s -D` on the RC (10.0.0.1, port
 * 5201) and runs ARGS as a client on the EP: a server of its own would wait for a client that
 * never comes. The error the CLI prints for server options (`-s`, `--server`, grouped as in
 * `-sD`), or null when ARGS are a client's (or parameter errors iperf3 itself reports).
 */
export function oneShotServerError(args: readonly string[]): string | null {
  const parsed = parseIperf3Args(['iperf3', ...args], '');
  if (parsed.kind !== 'run' || parsed.options.role !== 's') return null;
  return 'ntb-bench: iperf3: the one-shot iperf3 runs a client on the EP against the lab\'s server on the RC (10.0.0.1, port 5201); to run a server of your own, use a lab script (ntb-bench lab)\n';
}
