/**
 * The neutral results of one iperf3 test as one side saw it — what iperf3 keeps in
 * `struct iperf_test`, `iperf_stream_result` and `iperf_interval_results` — from which the
 * text and JSON reporters print. Times are whole microseconds relative to the stream's
 * `start_time`, as iperf3's `struct iperf_time` holds them; the reporters derive seconds,
 * rates and sums exactly as iperf_api.c does.
 */
import type { JsonObject } from '../net/cjson.js';

/** Transport protocol of the data streams. */
export type IperfProtocol = 'TCP' | 'UDP';

/** What this side does (iperf3's `test->mode`): SENDER, RECEIVER or BIDIRECTIONAL. */
export type IperfMode = 'sender' | 'receiver' | 'bidir';

/** tcp_info numbers a TCP sender samples at each interval (iperf3 save_tcpinfo). */
export interface TcpIntervalInfo {
  /** Retransmissions during the interval (tcpi_total_retrans delta). */
  readonly retransmits: number;
  /** Congestion window in bytes (tcpi_snd_cwnd × tcpi_snd_mss). */
  readonly sndCwnd: number;
  /** Peer's receive window in bytes (tcpi_snd_wnd). */
  readonly sndWnd: number;
  /** Smoothed RTT (µs). */
  readonly rtt: number;
  /** RTT variance (µs). */
  readonly rttvar: number;
  /** Path MTU (bytes). */
  readonly pmtu: number;
}

/** UDP counters of an interval. */
export interface UdpIntervalInfo {
  /** Datagrams in the interval (sent, or highest sequence advance on the receiver). */
  readonly packets: number;
  /** Datagrams lost in the interval (receiver; sequence gaps). */
  readonly lost: number;
  /** Jitter at the end of the interval (s; receiver). */
  readonly jitter: number;
  /** Out-of-order datagrams in the interval (receiver). */
  readonly outOfOrder: number;
}

/** One stream over one reporting interval (iperf_interval_results). */
export interface IntervalSample {
  /**
   * Interval start, µs after the stream's start — negative for the first interval after a `-O`
   * period: it starts at the previous interval's end, before the start_time the omit timer set
   * (see `intervalStartSecs`).
   */
  readonly start: number;
  /** Interval end, µs after the stream's start. */
  readonly end: number;
  /** Bytes sent (sender) or received (receiver) in the interval. */
  readonly bytes: number;
  /** Whether the interval fell in the `-O` omit period. */
  readonly omitted: boolean;
  /** TCP sender's tcp_info sample, when the sender has retransmit info. */
  readonly tcp: TcpIntervalInfo | null;
  /** UDP counters (UDP tests). */
  readonly udp: UdpIntervalInfo | null;
  /** When the interval was sampled (virtual ns): when the reporter printed it (`--timestamps`). */
  readonly atNs: number;
}

/** One data stream at the end of a test, with the peer's numbers from the results exchange. */
export interface StreamResult {
  /** Socket fd (the report's ID). */
  readonly socket: number;
  /** Whether this side sends on this stream. */
  readonly sender: boolean;
  /** Local address. */
  readonly localHost: string;
  /** Local port. */
  readonly localPort: number;
  /** Remote address. */
  readonly remoteHost: string;
  /** Remote port. */
  readonly remotePort: number;
  /** Interval samples, oldest first (the last one ends at the test's end). */
  readonly intervals: readonly IntervalSample[];
  /** Bytes the sender sent (local count when sending, else the peer's). */
  readonly bytesSent: number;
  /** Bytes the receiver received (local count when receiving, else the peer's; 0 if unknown). */
  readonly bytesReceived: number;
  /** This stream's end_time − start_time on this side (µs). */
  readonly endTime: number;
  /** The peer's stream duration from the results exchange (s), 0 when unknown. */
  readonly peerTime: number;
  /** Retransmissions over the test (the sender's), -1 when unknown. */
  readonly retransmits: number;
  /** Largest congestion window sampled (bytes; where tcp_info is sampled: senders, and every stream of a --bidir side). */
  readonly maxSndCwnd: number;
  /** Largest peer window seen (bytes; as maxSndCwnd). */
  readonly maxSndWnd: number;
  /** Largest sampled RTT (µs; as maxSndCwnd). */
  readonly maxRtt: number;
  /** Smallest sampled RTT (µs; as maxSndCwnd). */
  readonly minRtt: number;
  /** Mean of the sampled RTTs (µs; as maxSndCwnd). */
  readonly meanRtt: number;
  /** This side's packet count: datagrams sent, or the highest sequence received (UDP). */
  readonly packetCount: number;
  /** The peer's packet count from the results exchange (UDP). */
  readonly peerPacketCount: number;
  /** Datagrams lost (the receiver's count; UDP). */
  readonly cntError: number;
  /** Datagrams received out of order (the receiver's count; UDP). */
  readonly outOfOrder: number;
  /** Jitter (s; the receiver's; UDP). */
  readonly jitter: number;
  /** This side's UDP counters when the `-O` period ended (zeros without it); the summary subtracts them. */
  readonly omittedCounts: OmittedCounts;
}

/**
 * What iperf_reset_stats keeps of a stream's UDP counters when the omit period ends
 * (omitted_packet_count, omitted_cnt_error, omitted_outoforder_packets). The model follows the
 * older stored iperf_api.c (~3.9, b132e1ed): its results exchange does not carry the peer's, so
 * iperf_print_results subtracts this side's from the peer's counts too. The post-3.12 one
 * (dfe0ec5e) sends `omitted_packets`/`omitted_errors` and subtracts the peer's own — part of the
 * `-O` rework after 3.12; the lab's 3.12 results message (session.ts `resultsJson`) has no such
 * fields either.
 */
export interface OmittedCounts {
  /** packet_count then: datagrams sent, or the highest sequence received. */
  readonly packets: number;
  /** cnt_error then (a receiver's; 0 on a sender). */
  readonly errors: number;
  /** outoforder_packets then (a receiver's). */
  readonly outOfOrder: number;
}

/** Per-stream socket buffer sizes JSON reports in `start` (iperf 3.12 adds them per stream). */
export interface SockBufInfo {
  /** The `-w` request (bytes, 0 = default). */
  readonly sockBufsize: number;
  /** SO_SNDBUF read back (bytes). */
  readonly sndbufActual: number;
  /** SO_RCVBUF read back (bytes). */
  readonly rcvbufActual: number;
}

/** What iperf3 records at connection time (JSON `start`; text header lines). */
export interface StartInfo {
  /** `version` (PACKAGE_STRING). */
  readonly version: string;
  /** `system_info` (uname). */
  readonly systemInfo: string;
  /** Wall-clock time of the connection (s since the epoch). */
  readonly timesecs: number;
  /** Client: the server it connects to; server: the client's control connection. */
  readonly peerHost: string;
  /** See peerHost: the port. */
  readonly peerPort: number;
  /** The 36-character test cookie. */
  readonly cookie: string;
  /** MSS of the control connection (TCP tests; bytes). */
  readonly tcpMssDefault: number;
  /** `-M` (start `tcp_mss`, and the -V line without `(default)`), 0 = none. */
  readonly tcpMss: number;
  /** Target bitrate (bits/s, 0 = unlimited). */
  readonly targetBitrate: number;
  /** `-S`/`--dscp`'s TOS byte (test_start `tos`), 0 = none. */
  readonly tos: number;
  /** Socket buffers of each stream in creation order. */
  readonly sockBufs: readonly SockBufInfo[];
  /** Block size (bytes). */
  readonly blksize: number;
  /** `-O`: the omit period (s), 0 = none. */
  readonly omit: number;
  /** Test duration (s; 0 for a test ended by `-n` or `-k`). */
  readonly duration: number;
  /** `-n` (bytes; 0 = none; negative: the uint64 wrap of a negative argument). */
  readonly bytes: number;
  /** `-k` (blocks; 0 = none). */
  readonly blocks: number;
}

/** CPU utilisation of both sides over the test (%), as cpu_util() reports it. */
export interface CpuUtilization {
  /** This side, user + system. */
  readonly hostTotal: number;
  /** This side, user. */
  readonly hostUser: number;
  /** This side, system. */
  readonly hostSystem: number;
  /** The peer, user + system. */
  readonly remoteTotal: number;
  /** The peer, user. */
  readonly remoteUser: number;
  /** The peer, system. */
  readonly remoteSystem: number;
}

/**
 * When (virtual ns) a side printed the parts of its report iperf3 prints as the test goes, for
 * `--timestamps` (on_connect's lines take the connection's `timesecs`; each interval its own
 * `atNs`).
 */
export interface ReportClock {
  /** The streams' `[  5] local … connected to …` lines: CREATE_STREAMS on a client, the first accept on a server. */
  readonly streamsNs: number;
  /** TEST_START (on_test_start's `Starting Test`), null before it. */
  readonly startedNs: number | null;
  /** When the result was taken: the summary (and a client's last interval, printed with it). */
  readonly reportNs: number;
}

/** The server's output of a test that the client asked for with `--get-server-output` (send_results). */
export type ServerOutput = { readonly kind: 'text'; readonly text: string } | { readonly kind: 'json'; readonly doc: JsonObject };

/** One side's complete results of one test. */
export interface TestResult {
  /** 'c' on the client, 's' on the server. */
  readonly role: 'c' | 's';
  /** Protocol. */
  readonly protocol: IperfProtocol;
  /** This side's mode. */
  readonly mode: IperfMode;
  /** Whether the test ran with `-R`. */
  readonly reverse: boolean;
  /** `-P`. */
  readonly numStreams: number;
  /** Stats/report interval (s, 0 = none). */
  readonly interval: number;
  /** `-f` unit format ('a' = adaptive bits). */
  readonly unitFormat: string;
  /** sender_has_retransmits while the intervals were printed (the last one is printed with the summary, under summarySenderHasRetransmits). */
  readonly senderHasRetransmits: boolean;
  /** sender_has_retransmits when the summary was printed (after the results exchange on the client). */
  readonly summarySenderHasRetransmits: boolean;
  /** other_side_has_retransmits when the summary was printed (bidir). */
  readonly otherSideHasRetransmits: boolean;
  /** Streams in creation order (the first one gives the summary's times). */
  readonly streams: readonly StreamResult[];
  /**
   * test->omitting when the result was taken: the `-O` period had not ended. A reporter run with
   * no new interval (CLIENT_TERMINATE / SERVER_TERMINATE) marks the sums of the interval it
   * prints again with it; every other interval's sums were printed while it still equalled the
   * interval's own `omitted`.
   */
  readonly omitting: boolean;
  /** Connection-time information. */
  readonly start: StartInfo;
  /** CPU utilisation. */
  readonly cpu: CpuUtilization;
  /** Congestion control of the sender side (TCP), or null. */
  readonly senderCongestion: string | null;
  /** Congestion control of the receiver side (TCP), or null. */
  readonly receiverCongestion: string | null;
  /** `-T` of the test (the server has it from the parameters), null = none. */
  readonly title: string | null;
  /** When its parts were printed. */
  readonly clock: ReportClock;
  /** What the server sent with `--get-server-output` (client), else null. */
  readonly serverOutput: ServerOutput | null;
}

/** iperf_time_in_secs of a µs count: whole seconds plus µs / 1e6, as the C double sum. */
export function usToSecs(us: number): number {
  const secs = Math.floor(us / 1e6);
  return secs + (us - secs * 1e6) / 1000000.0;
}

/**
 * The `start` an interval prints: iperf_time_diff(start_time, interval_start_time), which is the
 * absolute difference — after a `-O` period whose end is not on an interval boundary (`-O 1 -i
 * 0.3`), the first interval starts before the new start_time and prints that gap (`0.10-0.30`).
 */
export function intervalStartSecs(s: IntervalSample): number {
  return usToSecs(Math.abs(s.start));
}

/** An interval's duration as iperf3 stores it (a C float). */
export function intervalSeconds(s: IntervalSample): number {
  return Math.fround(usToSecs(s.end - s.start));
}

/** The [SUM] of interval `k` over the streams whose role is `sender` (iperf_print_intermediate's totals). */
export interface IntervalSum {
  /** Bytes moved. */
  readonly bytes: number;
  /** TCP retransmits. */
  readonly retransmits: number;
  /** UDP datagrams. */
  readonly packets: number;
  /** UDP datagrams lost. */
  readonly lost: number;
  /** UDP jitter (s), summed over the streams (the report divides by their number). */
  readonly jitter: number;
}

/** Interval `k`'s totals over the streams whose `sender` is `sender` (the text and JSON [SUM] both come from it). */
export function intervalSum(r: TestResult, k: number, sender: boolean): IntervalSum {
  let bytes = 0;
  let retransmits = 0;
  let packets = 0;
  let lost = 0;
  let jitter = 0;
  for (const sp of r.streams) {
    const irp = sp.intervals[k];
    if (sp.sender !== sender || irp === undefined) continue;
    bytes += irp.bytes;
    if (irp.tcp !== null) retransmits += irp.tcp.retransmits;
    if (irp.udp !== null) {
      packets += irp.udp.packets;
      lost += irp.udp.lost;
      jitter += irp.udp.jitter;
    }
  }
  return { bytes, retransmits, packets, lost, jitter };
}
