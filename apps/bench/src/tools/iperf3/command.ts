/**
 * The lab's `iperf3` command (esnet iperf3 3.12): `iperf3 -s` starts a persistent server on
 * the board and returns after its banner; `iperf3 -c HOST` runs a test against the server on
 * HOST, advancing virtual time for as long as the test runs, and prints iperf3's text or
 * `-J` output. Errors print as iperf3 prints them (`iperf3: error - …`, exit status 1).
 */
import { netStrerror, type NetErrno } from '@ntbsim/net-core';
import { result, type Command } from '../../types.js';
import { cjsonPrint } from '../net/cjson.js';
import { systemInfo } from '../net/host.js';
import { runClient } from './client.js';
import { buildErrorJson, buildJson } from './jsonReport.js';
import { IPERF_ERRORS, IPERF_VERSION, parseIperf3Args, type IperfErrorCode } from './options.js';
import { takeServerOutput } from '../net/background.js';
import { affinityMask } from './session.js';
import { startServer } from './server.js';
import { formatClientProgress, formatClientText } from './textReport.js';

/** Error codes whose message iperf_strerror follows with strerror(errno) (its `perr`/`herr` cases). */
const WITH_ERRNO = new Set<IperfErrorCode>(['IELISTEN', 'IECONNECT', 'IESTREAMCONNECT', 'IESTREAMWRITE', 'IESTREAMREAD', 'IESTREAMLISTEN', 'IEAFFINITY']);

/** iperf_strerror of `code` with the errno text appended where iperf3 appends it. */
export function iperfStrerror(code: IperfErrorCode, errno: NetErrno | null): string {
  const text = IPERF_ERRORS[code];
  if (errno === null || !WITH_ERRNO.has(code)) return text;
  return `${text}: ${netStrerror(errno)}`;
}

/** What getaddrinfo resolves in the lab: dotted-quad IPv4 addresses (the lab has no DNS). */
const DOTTED_QUAD = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;

/** `iperf3`: server (`-s`) or client (`-c HOST`) with iperf3 3.12's options and output. */
export const iperf3: Command = (argv, env) => {
  const { lab, board } = env;
  const sys = systemInfo(lab, board);
  const parsed = parseIperf3Args(argv, sys);
  if (parsed.kind === 'exit') return result(parsed.stdout, parsed.stderr, parsed.status);
  const o = parsed.options;
  if (o.role === 's') {
    // iperf_run_server sets the affinity first; real iperf3 then retries (and fails) forever, the lab stops once.
    if (affinityMask(board, o.affinity) === null) return result('', `iperf3: error - ${iperfStrerror('IEAFFINITY', 'EINVAL')}\n`, 1);
    const ok = startServer(lab, { board, port: o.port, json: o.json, oneOff: o.oneOff, daemon: o.daemon, interval: o.interval, unitFormat: o.unitFormat, affinity: o.affinity });
    if (!ok) return result('', `iperf3: error - ${iperfStrerror('IELISTEN', 'EADDRINUSE')}\niperf3: exiting\n`, 1);
    return result(takeServerOutput(board), parsed.warnings, 0);
  }
  const before = o.json ? '' : takeServerOutput(board);
  if (!DOTTED_QUAD.test(o.host)) {
    // netdial's getaddrinfo fails before any socket exists: IECONNECT with gai_strerror (herr).
    const msg = `error - ${IPERF_ERRORS.IECONNECT}: Name or service not known`;
    if (o.json) return result(`${cjsonPrint(buildErrorJson({ version: IPERF_VERSION, systemInfo: sys }, msg))}\n`, parsed.warnings, 1);
    return result(before, `${parsed.warnings}iperf3: ${msg}\n`, 1);
  }
  const outcome = runClient({ lab, board, options: o });
  const warnings = parsed.warnings + outcome.warnings;
  if (outcome.kind === 'hung') {
    const live = o.json || outcome.partial === null ? '' : formatClientProgress(outcome.partial);
    return result(before + live, `${warnings}ntb-bench: iperf3 still had not finished ${outcome.waitedS.toFixed(0)} s (virtual) after it started; the real iperf3 would still be waiting. The model says: ${outcome.why}\n`, 1);
  }
  if (outcome.kind === 'error') {
    const msg = `error - ${iperfStrerror(outcome.code, outcome.errno)}`;
    if (o.json) return result(`${cjsonPrint(buildErrorJson({ version: IPERF_VERSION, systemInfo: sys }, msg))}\n`, warnings, 1);
    // What iperf3 printed live before the error: the connection lines and the intervals so far.
    const live = outcome.partial === null ? '' : formatClientProgress(outcome.partial);
    return result(before + live, `${warnings}iperf3: ${msg}\n`, 1);
  }
  const stdout = o.json ? `${cjsonPrint(buildJson(outcome.result))}\n` : before + formatClientText(outcome.result);
  return result(stdout, warnings, 0);
};
