/**
 * iperf3's human-readable output (src/iperf_locale.c format strings, src/iperf_api.c
 * `iperf_print_intermediate`, `print_interval_results`, `iperf_print_results`, `connect_msg`,
 * `iperf_on_connect`), printed from a `TestResult`. Layout rules mirrored:
 * - the interval header is printed before the first interval of the first stream; later
 *   intervals start with the `- - -` separator only when there is more than one stream;
 * - `[SUM]` lines only with `-P` > 1; sums take their times from the first stream;
 * - TCP senders with tcp_info print `Retr` and `Cwnd`; the summary header has `Retr` when
 *   the sender side has retransmit info (on a `-R` client, learnt in the results exchange —
 *   which the last interval, printed with the summary, already knows);
 * - UDP senders print `Total Datagrams`, receivers jitter and `Lost/Total (%.2g%)`;
 * - `--bidir` tags lines `[TX-C]`/`[RX-C]` (`-S` on the server); the client prints its
 *   sending streams first, the server its receiving streams first;
 * - the summary's times come from the first stream (sender_time / receiver_time);
 * - a server prints only its own side of each summary pair;
 * - intervals shorter than 10% of `-i` that carried no data are not printed;
 * - `-O`: intervals of the omit period end in `(omitted)` (the per-stream lines and the TCP
 *   sender's `[SUM]` after irp->omitted, the other `[SUM]` lines after test->omitting when
 *   printed); the intervals after it restart from 0.00 without a new header (start_time is
 *   reset, and real iperf3's clock has moved on by then: start_time never equals the interval's
 *   start again); the summary excludes the omit period (see `blockTotals`);
 * - `-V` (iperf_on_connect, iperf_on_test_start, iperf_print_results): `Time: …` and the
 *   cookie, MSS and target bitrate around the connecting line, `Starting Test: …` at
 *   TEST_START (and, without interval reports, the omit timer's `Finished omit period,
 *   starting real test`), `Test Complete. Summary Results:` after the summary's separator, after each
 *   block of the summary the CPU line (a sending block) and the congestion controls, and on
 *   a server the `(sender statistics not available)` lines in place of the ones it omits;
 * - `--get-server-output`: the server's output after the client's first summary block;
 * - each line is one iperf_printf call, decorated by `printf.ts` (`--timestamps` with the
 *   time it was printed, `-T` on a client) — the calls are kept apart until then.
 */
import { cFixed, cGeneral, padLeft, padRight } from '../net/cformat.js';
import { cjsonPrint } from '../net/cjson.js';
import { wallClockAt } from '../net/host.js';
import { iperfPrintf, PLAIN_PRINTER, printerOf, rfc1123, type Printer } from './printf.js';
import { intervalSeconds, intervalStartSecs, intervalSum, usToSecs, type IntervalSample, type StreamResult, type TestResult } from './results.js';
import { unitFormat } from './units.js';

/** How a side prints its text report: `-V`, and `--timestamps`' format (a client's `-T` comes with the result). */
export interface TextStyle {
  /** `-V`. */
  readonly verbose: boolean;
  /** `--timestamps`' strftime format, null = none. */
  readonly timestamps: string | null;
}

/** No `-V`, no `--timestamps`. */
export const PLAIN: TextStyle = { verbose: false, timestamps: null };

/** The iperf_printf decoration of `r`'s side: `--timestamps`, and the title on a client only. */
function reportPrinter(r: TestResult, style: TextStyle): Printer {
  return printerOf({ role: r.role, title: r.title, timestamps: style.timestamps });
}

/** Calls printed together, at wall-clock second `secs`. */
interface Section {
  readonly secs: number;
  readonly calls: readonly string[];
}

/** The text of `sections` as `r`'s side prints them. */
function render(r: TestResult, style: TextStyle, sections: readonly Section[]): string {
  const p = reportPrinter(r, style);
  return sections.map((sec) => iperfPrintf(p, sec.secs, sec.calls)).join('');
}

const SEPARATOR = '- - - - - - - - - - - - - - - - - - - - - - - - -\n';

/** Header lines (report_bw_*header*). */
const HEADERS = {
  bw: '[ ID] Interval           Transfer     Bitrate\n',
  bwBidir: '[ ID][Role] Interval           Transfer     Bitrate\n',
  retrans: '[ ID] Interval           Transfer     Bitrate         Retr\n',
  retransBidir: '[ ID][Role] Interval           Transfer     Bitrate         Retr\n',
  retransCwnd: '[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n',
  retransCwndBidir: '[ ID][Role] Interval           Transfer     Bitrate         Retr  Cwnd\n',
  udp: '[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n',
  udpBidir: '[ ID][Role] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n',
  udpSender: '[ ID] Interval           Transfer     Bitrate         Total Datagrams\n',
} as const;

/** `[%3d]` of a socket fd. */
function id(socket: number): string {
  return `[${padLeft(String(socket), 3)}]`;
}

/** The shared `%s %6.2f-%-6.2f sec  %ss  %ss/sec` part: role tag, times, transfer and rate. */
function head(tag: string, times: { st: number; et: number }, amounts: { bytes: number; rate: number; format: string }): string {
  return `${tag} ${padLeft(cFixed(times.st, 2), 6)}-${padRight(cFixed(times.et, 2), 6)} sec  ${unitFormat(amounts.bytes, 'A')}s  ${unitFormat(amounts.rate, amounts.format)}s/sec`;
}

/** `%.2g%%` of a loss percentage. */
function pct(p: number): string {
  return `${cGeneral(p, 2)}%`;
}

/** The block order of a test: which streams (senders or receivers) each block lists. */
function blocks(r: TestResult): boolean[] {
  if (r.mode === 'bidir') return r.role === 'c' ? [true, false] : [false, true];
  return [r.mode === 'sender'];
}

/** The `[TX-C]`-style role tag of a block (empty outside --bidir). */
function roleTag(r: TestResult, sender: boolean): string {
  return r.mode === 'bidir' ? `[${sender ? 'TX' : 'RX'}-${r.role === 'c' ? 'C' : 'S'}]` : '';
}

/** Whether interval `k` is printed: some stream's interval is ≥ 10% of `-i` or carried data. */
export function intervalPrinted(r: TestResult, k: number): boolean {
  return r.streams.some((s) => {
    const irp = s.intervals[k];
    return irp !== undefined && (usToSecs(irp.end - irp.start) >= r.interval * 0.1 || irp.bytes > 0);
  });
}

/**
 * The interval header print_interval_results prints over interval `k` (the first). Its TCP
 * columns follow sender_has_retransmits as it is when the interval is printed: the last
 * interval (closed by the final stats_callback) is printed by the reporter at DISPLAY_RESULTS,
 * after get_results has taken the sender's flag on a receiving client — so a `-R` client whose
 * only interval is that one (`-i 0`, or `-i` ≥ `-t`) prints `Retr  Cwnd` over plain lines.
 */
function intervalHeader(r: TestResult, k: number): string {
  const bidir = r.mode === 'bidir';
  if (r.protocol === 'TCP') {
    const retr = k === intervalCount(r) - 1 ? r.summarySenderHasRetransmits : r.senderHasRetransmits;
    if (retr) return bidir ? HEADERS.retransCwndBidir : HEADERS.retransCwnd;
    return bidir ? HEADERS.bwBidir : HEADERS.bw;
  }
  if (r.mode === 'sender') return HEADERS.udpSender;
  return r.mode === 'receiver' ? HEADERS.udp : HEADERS.udpBidir;
}

function rateOf(bytes: number, seconds: number): number {
  return seconds > 0 ? bytes / seconds : 0;
}

/** One stream's line of interval `irp` (print_interval_results). */
function streamIntervalLine(r: TestResult, sp: StreamResult, irp: IntervalSample): string {
  const tag = roleTag(r, sp.sender);
  const times = { st: intervalStartSecs(irp), et: usToSecs(irp.end) };
  const line = id(sp.socket) + head(tag, times, { bytes: irp.bytes, rate: rateOf(irp.bytes, intervalSeconds(irp)), format: r.unitFormat });
  const omitted = irp.omitted ? '(omitted)' : '';
  if (r.protocol === 'TCP') {
    if (r.senderHasRetransmits && sp.sender && irp.tcp !== null) {
      return `${line}  ${padLeft(String(irp.tcp.retransmits), 3)}   ${unitFormat(irp.tcp.sndCwnd, 'A')}s       ${omitted}\n`;
    }
    return `${line}                  ${omitted}\n`;
  }
  const udp = irp.udp ?? { packets: 0, lost: 0, jitter: 0, outOfOrder: 0 };
  if (sp.sender) return `${line} ${r.mode === 'bidir' ? ' '.repeat(10) : ''} ${udp.packets}  ${omitted}\n`;
  const lost = udp.packets > 0 ? (100 * udp.lost) / udp.packets : 0;
  return `${line}  ${cFixed(udp.jitter * 1000, 3).padStart(5)} ms  ${udp.lost}/${udp.packets} (${pct(lost)})  ${omitted}\n`;
}

/**
 * The lines of interval `k` (iperf_print_intermediate), empty when it is skipped. `sumOmitted`:
 * test->omitting when it is printed, which marks the `[SUM]` lines other than the TCP sender's
 * (default: the interval's own `omitted`, which test->omitting equals when the reporter prints
 * the interval it has just closed).
 */
function intervalCalls(r: TestResult, k: number, sumOmitted?: boolean): string[] {
  const out: string[] = [];
  const first = r.streams[0];
  if (!intervalPrinted(r, k) || first === undefined) return out;
  for (const mbs of blocks(r)) {
    const tag = roleTag(r, mbs);
    for (const sp of r.streams) {
      if (sp.sender !== mbs) continue;
      const irp = sp.intervals[k];
      if (irp === undefined) continue;
      if (sp === first) {
        if (k === 0) out.push(intervalHeader(r, k));
        else if (r.numStreams > 1) out.push(SEPARATOR);
      }
      out.push(streamIntervalLine(r, sp, irp));
    }
    const { bytes, retransmits, packets, lost, jitter } = intervalSum(r, k, mbs);
    const firp = first.intervals[k];
    if (r.numStreams <= 1 || firp === undefined) continue;
    const times = { st: intervalStartSecs(firp), et: usToSecs(firp.end) };
    const sum = `[SUM]${head(tag, times, { bytes, rate: bytes / intervalSeconds(firp), format: r.unitFormat })}`;
    const omitted = (sumOmitted ?? firp.omitted) ? '(omitted)' : '';
    if (r.protocol === 'TCP') {
      if (r.senderHasRetransmits && mbs) out.push(`${sum}  ${padLeft(String(retransmits), 3)}             ${firp.omitted ? '(omitted)' : ''}\n`);
      else out.push(`${sum}                  ${omitted}\n`);
    } else if (mbs) out.push(`${sum} ${r.mode === 'bidir' ? ' '.repeat(10) : ''} ${packets}  ${omitted}\n`);
    else {
      const lostPct = packets > 0 ? (100 * lost) / packets : 0;
      out.push(`${sum}  ${cFixed((jitter / r.numStreams) * 1000, 3).padStart(5)} ms  ${lost}/${packets} (${pct(lostPct)})  ${omitted}\n`);
    }
  }
  return out;
}

/** The lines of interval `k` as one text (no `-T`/`--timestamps`); `sumOmitted` as for intervalCalls. */
export function formatInterval(r: TestResult, k: number, sumOmitted?: boolean): string {
  return intervalCalls(r, k, sumOmitted).join('');
}

/** sender_time and receiver_time of the summary (taken from the first stream, as iperf3 does). */
export function summaryTimes(r: TestResult): { endTime: number; senderTime: number; receiverTime: number } {
  const first = r.streams[0];
  if (first === undefined) return { endTime: 0, senderTime: 0, receiverTime: 0 };
  const endTime = usToSecs(first.endTime);
  if (first.sender) return { endTime, senderTime: endTime, receiverTime: first.peerTime === 0 ? endTime : first.peerTime };
  return { endTime, receiverTime: endTime, senderTime: first.peerTime === 0 ? endTime : first.peerTime };
}

/** Whether the summary block of senders (`mbs`) or receivers has retransmit info. */
export function blockHasRetransmits(r: TestResult, mbs: boolean): boolean {
  if (r.mode === 'bidir') return mbs ? r.summarySenderHasRetransmits : r.otherSideHasRetransmits;
  return r.summarySenderHasRetransmits;
}

/** A stream's datagram counts as sender and as receiver: its own count and the peer's, by its role. */
export function streamPackets(sp: StreamResult): { readonly sent: number; readonly received: number } {
  return sp.sender ? { sent: sp.packetCount, received: sp.peerPacketCount } : { sent: sp.peerPacketCount, received: sp.packetCount };
}

/**
 * A stream's UDP numbers in the summary, net of the omit period as iperf_print_results takes
 * them in the older stored iperf_api.c (~3.9, b132e1ed), followed here (see `OmittedCounts`; the
 * post-3.12 dfe0ec5e subtracts the peer's own omitted counts from the peer's): this side's
 * omitted_packet_count off both the sender's and the receiver's count, omitted_cnt_error off the
 * lost datagrams, omitted_outoforder_packets off the out-of-order ones. Without `-O` the plain
 * counts.
 */
export function streamUdpNet(sp: StreamResult): { readonly sent: number; readonly received: number; readonly lost: number; readonly outOfOrder: number } {
  const o = sp.omittedCounts;
  const { sent, received } = streamPackets(sp);
  return { sent: sent - o.packets, received: received - o.packets, lost: sp.cntError - o.errors, outOfOrder: sp.outOfOrder - o.outOfOrder };
}

/** The sums over one block's streams (senders when `mbs`, else receivers) that the summary's `[SUM]` lines and `sum_*` objects show. */
export interface BlockTotals {
  /** Bytes sent. */
  readonly sent: number;
  /** Bytes received. */
  readonly received: number;
  /** TCP retransmits (counted only where the block has retransmit info). */
  readonly retransmits: number;
  /** UDP datagrams, per stream the sender's count, else the receiver's. */
  readonly packets: number;
  /** UDP datagrams the senders counted. */
  readonly senderPackets: number;
  /** UDP datagrams the receivers counted. */
  readonly receiverPackets: number;
  /** UDP datagrams lost (the receivers' sequence gaps). */
  readonly lost: number;
  /** Sum of the streams' jitter (s); the summary shows it divided by the stream count. */
  readonly jitter: number;
}

/** The totals of the streams of block `mbs` (iperf_print_results' accumulation). */
export function blockTotals(r: TestResult, mbs: boolean): BlockTotals {
  const retr = blockHasRetransmits(r, mbs);
  const t = { sent: 0, received: 0, retransmits: 0, packets: 0, senderPackets: 0, receiverPackets: 0, lost: 0, jitter: 0 };
  for (const sp of r.streams) {
    if (sp.sender !== mbs) continue;
    t.sent += sp.bytesSent;
    t.received += sp.bytesReceived;
    if (r.protocol === 'TCP') {
      if (retr) t.retransmits += sp.retransmits;
      continue;
    }
    const pc = streamPackets(sp);
    const net = streamUdpNet(sp);
    t.packets += (pc.sent !== 0 ? pc.sent : pc.received) - sp.omittedCounts.packets;
    t.senderPackets += net.sent;
    t.receiverPackets += net.received;
    t.lost += net.lost;
    t.jitter += sp.jitter;
  }
  return t;
}

/** `(sender statistics not available)` and its receiver twin: what a verbose server prints for the lines it omits. */
function notAvailable(idField: string, side: 'sender' | 'receiver'): string {
  return `[${padLeft(idField, 3)}] (${side} statistics not available)\n`;
}

/** `%.1f` of a CPU percentage. */
function pct1(x: number): string {
  return cFixed(x, 1);
}

/** report_cpu: this side as `local/ROLE`, the peer as `remote/ROLE`. */
function cpuLine(r: TestResult, roles: { readonly local: string; readonly remote: string }): string {
  const c = r.cpu;
  return `CPU Utilization: local/${roles.local} ${pct1(c.hostTotal)}% (${pct1(c.hostUser)}%u/${pct1(c.hostSystem)}%s), remote/${roles.remote} ${pct1(c.remoteTotal)}% (${pct1(c.remoteUser)}%u/${pct1(c.remoteSystem)}%s)\n`;
}

/** Whether the summary's last block (the one the JSON `end` describes) holds the sending streams. */
function upperBlockSends(r: TestResult): boolean {
  return r.mode === 'bidir' ? r.role === 's' : r.mode === 'sender';
}

/**
 * The `-V` lines iperf_print_results prints after summary block `mbs`: the CPU line after a
 * block of sending streams (two with `--bidir`), then the congestion control of the block's
 * sender (this side's congestion_used for a sending block, else the peer's) and receiver.
 */
function verboseBlockCalls(r: TestResult, mbs: boolean): string[] {
  const out: string[] = [];
  if (mbs) {
    out.push(cpuLine(r, { local: 'sender', remote: 'receiver' }));
    if (r.mode === 'bidir') out.push(cpuLine(r, { local: 'receiver', remote: 'sender' }));
  }
  if (r.protocol !== 'TCP') return out;
  const upper = mbs === upperBlockSends(r);
  const snd = upper ? r.senderCongestion : r.receiverCongestion;
  const rcv = upper ? r.receiverCongestion : r.senderCongestion;
  if (snd !== null) out.push(`snd_tcp_congestion ${snd}\n`);
  if (rcv !== null) out.push(`rcv_tcp_congestion ${rcv}\n`);
  return out;
}

/** What a client prints of `--get-server-output`'s answer: the server's text, or its JSON document printed. */
function serverOutputCall(r: TestResult): string | null {
  const o = r.role === 'c' ? r.serverOutput : null;
  if (o === null) return null;
  return o.kind === 'text' ? `\nServer output:\n${o.text}\n` : `\nServer JSON output:\n${cjsonPrint(o.doc)}\n`;
}

/** One summary block's stream lines and sums (its `[SUM]` lines with `-P` > 1). */
function summaryBlockCalls(r: TestResult, mbs: boolean, verbose: boolean): string[] {
  const out: string[] = [];
  const { senderTime, receiverTime, endTime } = summaryTimes(r);
  const server = r.role === 's';
  const tag = roleTag(r, mbs);
  const retr = blockHasRetransmits(r, mbs);
  const sendTimes = { st: 0, et: senderTime };
  const recvTimes = { st: 0, et: receiverTime };
  // A server omits the other side's lines; with -V it says so in their place.
  const omitted = (idField: string, side: 'sender' | 'receiver'): void => {
    if (verbose) out.push(notAvailable(idField, side));
  };
  for (const sp of r.streams) {
    if (sp.sender !== mbs) continue;
    const { sent: spc, received: rpc, lost, outOfOrder } = streamUdpNet(sp);
    const sendLine = id(sp.socket) + head(tag, sendTimes, { bytes: sp.bytesSent, rate: rateOf(sp.bytesSent, senderTime), format: r.unitFormat });
    const recvLine = id(sp.socket) + head(tag, recvTimes, { bytes: sp.bytesReceived, rate: rateOf(sp.bytesReceived, receiverTime), format: r.unitFormat });
    const sock = String(sp.socket);
    if (server && !sp.sender) omitted(sock, 'sender');
    else if (r.protocol !== 'TCP') out.push(`${sendLine}  ${cFixed(0, 3).padStart(5)} ms  0/${spc} (${pct(0)})  sender\n`);
    else out.push(retr ? `${sendLine}  ${padLeft(String(sp.retransmits), 3)}             sender\n` : `${sendLine}                  sender\n`);
    if (r.protocol !== 'TCP' && outOfOrder > 0) out.push(`[SUM]${tag} ${cFixed(0, 1).padStart(4)}-${cFixed(senderTime, 1).padStart(4)} sec  ${outOfOrder} datagrams received out-of-order\n`);
    const lostPct = rpc > 0 ? (100 * lost) / rpc : 0;
    if (server && sp.sender) omitted(sock, 'receiver');
    else if (r.protocol !== 'TCP') out.push(`${recvLine}  ${cFixed(sp.jitter * 1000, 3).padStart(5)} ms  ${lost}/${rpc} (${pct(lostPct)})  receiver\n`);
    else out.push(`${recvLine}                  receiver\n`);
  }
  if (r.numStreams <= 1) return out;
  const { sent: totalSent, received: totalReceived, retransmits: totalRetrans, packets: totalPackets, senderPackets, receiverPackets, lost: lostPackets, jitter } = blockTotals(r, mbs);
  const sumSent = `[SUM]${head(tag, sendTimes, { bytes: totalSent, rate: rateOf(totalSent, senderTime), format: r.unitFormat })}`;
  const sumRecv = `[SUM]${head(tag, recvTimes, { bytes: totalReceived, rate: rateOf(totalReceived, receiverTime), format: r.unitFormat })}`;
  if (r.protocol === 'TCP') {
    if (server && !mbs) omitted('SUM', 'sender');
    else out.push(retr ? `${sumSent}  ${padLeft(String(totalRetrans), 3)}             sender\n` : `${sumSent}                  sender\n`);
    if (server && mbs) omitted('SUM', 'receiver');
    else out.push(`${sumRecv}                  receiver\n`);
    return out;
  }
  // A server's UDP sums: only its own, without a word for the other.
  const lostPct = totalPackets > 0 ? (100 * lostPackets) / totalPackets : 0;
  if (!(server && !mbs)) out.push(`${sumSent}  ${cFixed(0, 3).padStart(5)} ms  0/${senderPackets} (${pct(0)})  sender\n`);
  if (!(server && mbs)) {
    const recvRate = endTime > 0 ? rateOf(totalReceived, receiverTime) : 0;
    const line = `[SUM]${head(tag, recvTimes, { bytes: totalReceived, rate: recvRate, format: r.unitFormat })}`;
    out.push(`${line}  ${cFixed((jitter / r.numStreams) * 1000, 3).padStart(5)} ms  ${lostPackets}/${receiverPackets} (${pct(lostPct)})  receiver\n`);
  }
  return out;
}

/**
 * The final summary (iperf_print_results): separator, header, then per block its stream
 * lines and sums, with `-V` its CPU and congestion lines, and after the first block a
 * client's `--get-server-output` answer.
 */
function summaryCalls(r: TestResult, verbose: boolean): string[] {
  const bidir = r.mode === 'bidir';
  const out = [SEPARATOR];
  if (verbose) out.push('Test Complete. Summary Results:\n');
  if (r.protocol === 'TCP') {
    if (r.summarySenderHasRetransmits || r.otherSideHasRetransmits) out.push(bidir ? HEADERS.retransBidir : HEADERS.retrans);
    else out.push(bidir ? HEADERS.bwBidir : HEADERS.bw);
  } else out.push(bidir ? HEADERS.udpBidir : HEADERS.udp);
  let serverOutput = serverOutputCall(r);
  for (const mbs of blocks(r)) {
    out.push(...summaryBlockCalls(r, mbs, verbose));
    if (verbose) out.push(...verboseBlockCalls(r, mbs));
    if (serverOutput !== null) out.push(serverOutput);
    serverOutput = null;
  }
  return out;
}

/** The final summary as `r`'s side prints it at the result's time (iperf_print_results). */
export function formatSummary(r: TestResult, style: TextStyle = PLAIN): string {
  return render(r, style, [{ secs: wallClockAt(r.clock.reportNs), calls: summaryCalls(r, style.verbose) }]);
}

/**
 * What `-V -J` still prints as text: iperf_print_results writes the JSON `end` for the last
 * block only, and for the others (the first one of a `--bidir` test) prints the verbose lines.
 */
export function jsonVerboseText(r: TestResult, style: TextStyle): string {
  if (!style.verbose) return '';
  const calls = blocks(r).slice(0, -1).flatMap((mbs) => verboseBlockCalls(r, mbs));
  return render(r, style, [{ secs: wallClockAt(r.clock.reportNs), calls }]);
}

/** The `[  5] local … connected to …` lines (connect_msg). */
function connectedCalls(r: TestResult): string[] {
  return r.streams.map((s) => `${id(s.socket)} local ${s.localHost} port ${s.localPort} connected to ${s.remoteHost} port ${s.remotePort}\n`);
}

/**
 * iperf_on_connect's lines: `Connecting to host …` (and the reverse-mode line) on a client,
 * `Accepted connection from …` on a server; with `-V`, `Time: …` before them, and after them
 * the cookie, the control connection's MSS (TCP) and the target bitrate (when set).
 */
function onConnectCalls(r: TestResult, verbose: boolean): string[] {
  const s = r.start;
  const out: string[] = [];
  if (verbose) out.push(`Time: ${rfc1123(s.timesecs)}\n`);
  if (r.role === 's') out.push(`Accepted connection from ${s.peerHost}, port ${s.peerPort}\n`);
  else {
    out.push(`Connecting to host ${s.peerHost}, port ${s.peerPort}\n`);
    if (r.reverse) out.push(`Reverse mode, remote host ${s.peerHost} is sending\n`);
  }
  if (!verbose) return out;
  out.push(`      Cookie: ${s.cookie}\n`);
  if (r.protocol === 'TCP') out.push(s.tcpMss !== 0 ? `      TCP MSS: ${s.tcpMss}\n` : `      TCP MSS: ${s.tcpMssDefault} (default)\n`);
  if (s.targetBitrate !== 0) out.push(`      Target Bitrate: ${s.targetBitrate}\n`);
  return out;
}

/**
 * on_test_start's `-V` line (test_start_time, test_start_bytes or test_start_blocks). The
 * bytes are `%llu` of the uint64 (a negative `-n` shows its wrap), the blocks `%d` of it (its
 * low 32 bits as an int).
 */
function startCalls(r: TestResult): string[] {
  const s = r.start;
  const head = `Starting Test: protocol: ${r.protocol}, ${r.numStreams} streams, ${s.blksize} byte blocks, omitting ${s.omit} seconds, `;
  let end: string;
  if (s.bytes !== 0) end = `${BigInt.asUintN(64, BigInt(s.bytes))} bytes to send`;
  else if (s.blocks !== 0) end = `${s.blocks | 0} blocks to send`;
  else end = `${s.duration} second test`;
  return [`${head}${end}, tos ${s.tos}\n`];
}

/**
 * The sections a side prints as the test goes: on_connect's lines at the connection's time,
 * the streams', `-V`'s `Starting Test` at TEST_START, each interval when sampled — except,
 * with `lastAtReport`, the last one, which a client's reporter prints with the summary.
 */
function progressSections(r: TestResult, style: TextStyle, lastAtReport = false): Section[] {
  const sections: Section[] = [
    { secs: r.start.timesecs, calls: onConnectCalls(r, style.verbose) },
    { secs: wallClockAt(r.clock.streamsNs), calls: connectedCalls(r) },
  ];
  const started = r.clock.startedNs;
  if (started !== null && style.verbose) {
    sections.push({ secs: wallClockAt(started), calls: startCalls(r) });
    // The omit timer's report_omit_done, printed only without interval reports (-i 0).
    if (r.start.omit > 0 && !r.omitting && r.interval === 0) sections.push({ secs: wallClockAt(started + r.start.omit * 1e9), calls: ['Finished omit period, starting real test\n'] });
  }
  const n = intervalCount(r);
  for (let k = 0; k < n; k++) {
    const at = lastAtReport && k === n - 1 ? r.clock.reportNs : (r.streams[0]?.intervals[k]?.atNs ?? r.clock.reportNs);
    sections.push({ secs: wallClockAt(at), calls: intervalCalls(r, k) });
  }
  return sections;
}

/** A client's complete text output: connection lines, intervals, summary and `iperf Done.`. */
export function formatClientText(r: TestResult, style: TextStyle = PLAIN): string {
  const done: Section = { secs: wallClockAt(r.clock.reportNs), calls: [...summaryCalls(r, style.verbose), '\n', 'iperf Done.\n'] };
  return render(r, style, [...progressSections(r, style, true), done]);
}

/** What a client prints before its summary: the connecting lines, the streams and the intervals (all a test that fails midway has printed). */
export function formatClientProgress(r: TestResult, style: TextStyle = PLAIN): string {
  return render(r, style, progressSections(r, style));
}

/** What a server prints of a test before its summary: the accepted connection, the streams and the intervals. */
export function formatServerProgress(r: TestResult, style: TextStyle = PLAIN): string {
  return render(r, style, progressSections(r, style));
}

/** A server's text for one test: accepted connection, stream lines, intervals and its summary. */
export function formatServerText(r: TestResult, style: TextStyle = PLAIN): string {
  return formatServerProgress(r, style) + formatSummary(r, style);
}

/** How many intervals the streams of `r` have sampled (the longest stream's count). */
export function intervalCount(r: TestResult): number {
  return Math.max(0, ...r.streams.map((s) => s.intervals.length));
}

/**
 * What iperf_reporter_callback prints at DISPLAY_RESULTS when no stats_callback has closed a
 * new interval — on the peer's CLIENT_TERMINATE or SERVER_TERMINATE: iperf_print_intermediate
 * prints the last interval again (unless the 10 % rule skips it; its `[SUM]` lines marked after
 * test->omitting now), then the summary.
 */
export function formatTerminatedReport(r: TestResult, style: TextStyle = PLAIN): string {
  const n = intervalCount(r);
  const calls = [...(n > 0 ? intervalCalls(r, n - 1, r.omitting) : []), ...summaryCalls(r, style.verbose)];
  return render(r, style, [{ secs: wallClockAt(r.clock.reportNs), calls }]);
}

/** The banner a server prints each time it starts listening (iperf_server_listen), decorated by `p` at wall-clock second `secs`. */
export function serverBanner(port: number, testNumber: number, p: Printer = PLAIN_PRINTER, secs = 0): string {
  const rule = '-----------------------------------------------------------\n';
  return iperfPrintf(p, secs, [rule, `Server listening on ${port} (test #${testNumber})\n`, rule]);
}
