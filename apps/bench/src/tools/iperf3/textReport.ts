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
 *   start again); the summary excludes the omit period (see `blockTotals`).
 */
import { cFixed, cGeneral, padLeft, padRight } from '../net/cformat.js';
import { intervalSeconds, intervalStartSecs, usToSecs, type IntervalSample, type StreamResult, type TestResult } from './results.js';
import { unitFormat } from './units.js';

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
export function formatInterval(r: TestResult, k: number, sumOmitted?: boolean): string {
  if (!intervalPrinted(r, k)) return '';
  const first = r.streams[0];
  if (first === undefined) return '';
  let out = '';
  for (const mbs of blocks(r)) {
    const tag = roleTag(r, mbs);
    let bytes = 0;
    let retransmits = 0;
    let packets = 0;
    let lost = 0;
    let jitter = 0;
    for (const sp of r.streams) {
      if (sp.sender !== mbs) continue;
      const irp = sp.intervals[k];
      if (irp === undefined) continue;
      if (sp === first) {
        if (k === 0) out += intervalHeader(r, k);
        else if (r.numStreams > 1) out += SEPARATOR;
      }
      out += streamIntervalLine(r, sp, irp);
      bytes += irp.bytes;
      if (irp.tcp !== null) retransmits += irp.tcp.retransmits;
      if (irp.udp !== null) {
        packets += irp.udp.packets;
        lost += irp.udp.lost;
        jitter += irp.udp.jitter;
      }
    }
    const firp = first.intervals[k];
    if (r.numStreams <= 1 || firp === undefined) continue;
    const times = { st: intervalStartSecs(firp), et: usToSecs(firp.end) };
    const sum = `[SUM]${head(tag, times, { bytes, rate: bytes / intervalSeconds(firp), format: r.unitFormat })}`;
    const omitted = (sumOmitted ?? firp.omitted) ? '(omitted)' : '';
    if (r.protocol === 'TCP') {
      if (r.senderHasRetransmits && mbs) out += `${sum}  ${padLeft(String(retransmits), 3)}             ${firp.omitted ? '(omitted)' : ''}\n`;
      else out += `${sum}                  ${omitted}\n`;
    } else if (mbs) out += `${sum} ${r.mode === 'bidir' ? ' '.repeat(10) : ''} ${packets}  ${omitted}\n`;
    else {
      const lostPct = packets > 0 ? (100 * lost) / packets : 0;
      out += `${sum}  ${cFixed((jitter / r.numStreams) * 1000, 3).padStart(5)} ms  ${lost}/${packets} (${pct(lostPct)})  ${omitted}\n`;
    }
  }
  return out;
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

/** The final summary: separator, header, per-stream sender/receiver lines and sums (iperf_print_results). */
export function formatSummary(r: TestResult): string {
  const bidir = r.mode === 'bidir';
  let out = SEPARATOR;
  if (r.protocol === 'TCP') {
    if (r.summarySenderHasRetransmits || r.otherSideHasRetransmits) out += bidir ? HEADERS.retransBidir : HEADERS.retrans;
    else out += bidir ? HEADERS.bwBidir : HEADERS.bw;
  } else out += bidir ? HEADERS.udpBidir : HEADERS.udp;
  const { senderTime, receiverTime, endTime } = summaryTimes(r);
  const server = r.role === 's';
  for (const mbs of blocks(r)) {
    const tag = roleTag(r, mbs);
    const retr = blockHasRetransmits(r, mbs);
    const sendTimes = { st: 0, et: senderTime };
    const recvTimes = { st: 0, et: receiverTime };
    for (const sp of r.streams) {
      if (sp.sender !== mbs) continue;
      const { sent: spc, received: rpc, lost, outOfOrder } = streamUdpNet(sp);
      const sendLine = id(sp.socket) + head(tag, sendTimes, { bytes: sp.bytesSent, rate: rateOf(sp.bytesSent, senderTime), format: r.unitFormat });
      const recvLine = id(sp.socket) + head(tag, recvTimes, { bytes: sp.bytesReceived, rate: rateOf(sp.bytesReceived, receiverTime), format: r.unitFormat });
      if (r.protocol === 'TCP') {
        if (!(server && !sp.sender)) out += retr ? `${sendLine}  ${padLeft(String(sp.retransmits), 3)}             sender\n` : `${sendLine}                  sender\n`;
        if (!(server && sp.sender)) out += `${recvLine}                  receiver\n`;
        continue;
      }
      if (!(server && !sp.sender)) out += `${sendLine}  ${cFixed(0, 3).padStart(5)} ms  0/${spc} (${pct(0)})  sender\n`;
      if (outOfOrder > 0) out += `[SUM]${tag} ${cFixed(0, 1).padStart(4)}-${cFixed(senderTime, 1).padStart(4)} sec  ${outOfOrder} datagrams received out-of-order\n`;
      const lostPct = rpc > 0 ? (100 * lost) / rpc : 0;
      if (!(server && sp.sender)) out += `${recvLine}  ${cFixed(sp.jitter * 1000, 3).padStart(5)} ms  ${lost}/${rpc} (${pct(lostPct)})  receiver\n`;
    }
    const { sent: totalSent, received: totalReceived, retransmits: totalRetrans, packets: totalPackets, senderPackets, receiverPackets, lost: lostPackets, jitter } = blockTotals(r, mbs);
    if (r.numStreams <= 1) continue;
    const sumSent = `[SUM]${head(tag, sendTimes, { bytes: totalSent, rate: rateOf(totalSent, senderTime), format: r.unitFormat })}`;
    const sumRecv = `[SUM]${head(tag, recvTimes, { bytes: totalReceived, rate: rateOf(totalReceived, receiverTime), format: r.unitFormat })}`;
    if (r.protocol === 'TCP') {
      if (!(server && !mbs)) out += retr ? `${sumSent}  ${padLeft(String(totalRetrans), 3)}             sender\n` : `${sumSent}                  sender\n`;
      if (!(server && mbs)) out += `${sumRecv}                  receiver\n`;
      continue;
    }
    const lostPct = totalPackets > 0 ? (100 * lostPackets) / totalPackets : 0;
    if (!(server && !mbs)) out += `${sumSent}  ${cFixed(0, 3).padStart(5)} ms  0/${senderPackets} (${pct(0)})  sender\n`;
    if (!(server && mbs)) {
      const recvRate = endTime > 0 ? rateOf(totalReceived, receiverTime) : 0;
      const line = `[SUM]${head(tag, recvTimes, { bytes: totalReceived, rate: recvRate, format: r.unitFormat })}`;
      out += `${line}  ${cFixed((jitter / r.numStreams) * 1000, 3).padStart(5)} ms  ${lostPackets}/${receiverPackets} (${pct(lostPct)})  receiver\n`;
    }
  }
  return out;
}

/** The `[  5] local … connected to …` lines (connect_msg). */
export function formatConnected(r: TestResult): string {
  return r.streams.map((s) => `${id(s.socket)} local ${s.localHost} port ${s.localPort} connected to ${s.remoteHost} port ${s.remotePort}\n`).join('');
}

/** Every interval's lines (what the reporter printed during the test). */
export function formatIntervals(r: TestResult): string {
  const n = intervalCount(r);
  let out = '';
  for (let k = 0; k < n; k++) out += formatInterval(r, k);
  return out;
}

/** A client's complete text output: connection lines, intervals, summary and `iperf Done.`. */
export function formatClientText(r: TestResult): string {
  return `${formatClientProgress(r)}${formatSummary(r)}\niperf Done.\n`;
}

/** The lines iperf_on_connect prints on a client once the parameters are exchanged: `Connecting to host …` (and the reverse-mode line with `-R`). */
export function formatConnecting(host: string, port: number, reverse: boolean): string {
  return `Connecting to host ${host}, port ${port}\n${reverse ? `Reverse mode, remote host ${host} is sending\n` : ''}`;
}

/** What a client prints before its summary: the connecting lines, the streams and the intervals (all a test that fails midway has printed). */
export function formatClientProgress(r: TestResult): string {
  return `${formatConnecting(r.start.peerHost, r.start.peerPort, r.reverse)}${formatConnected(r)}${formatIntervals(r)}`;
}

/** What a server prints of a test before its summary: the accepted connection, the streams and the intervals. */
export function formatServerProgress(r: TestResult): string {
  return `Accepted connection from ${r.start.peerHost}, port ${r.start.peerPort}\n${formatConnected(r)}${formatIntervals(r)}`;
}

/** A server's text for one test: accepted connection, stream lines, intervals and its summary. */
export function formatServerText(r: TestResult): string {
  return `${formatServerProgress(r)}${formatSummary(r)}`;
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
export function formatTerminatedReport(r: TestResult): string {
  const n = intervalCount(r);
  return `${n > 0 ? formatInterval(r, n - 1, r.omitting) : ''}${formatSummary(r)}`;
}

/** The banner a server prints each time it starts listening (iperf_server_listen). */
export function serverBanner(port: number, testNumber: number): string {
  const rule = '-----------------------------------------------------------\n';
  return `${rule}Server listening on ${port} (test #${testNumber})\n${rule}`;
}
