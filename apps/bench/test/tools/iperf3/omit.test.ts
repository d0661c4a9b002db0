import { describe, expect, it } from 'vitest';
import { buildJson } from '../../../src/tools/iperf3/jsonReport.js';
import { cjsonPrint } from '../../../src/tools/net/cjson.js';
import { parseIperf3Args, USAGE_SHORT, type ParseOutcome } from '../../../src/tools/iperf3/options.js';
import { paramsJson } from '../../../src/tools/iperf3/session.js';
import { formatClientText, formatInterval, formatSummary, formatTerminatedReport } from '../../../src/tools/iperf3/textReport.js';
import type { TcpIntervalInfo } from '../../../src/tools/iperf3/results.js';
import { iv, stream, test } from './samples.js';

const parse = (line: string): ParseOutcome => parseIperf3Args(['iperf3', ...line.split(' ')], 'Linux ep');
const tcp: TcpIntervalInfo = { retransmits: 0, sndCwnd: 1024 * 1024, sndWnd: 0, rtt: 100, rttvar: 10, pmtu: 1500 };

interface JsonDoc {
  readonly start: { readonly test_start: { readonly omit: number; readonly duration: number } };
  readonly intervals: readonly { readonly streams: readonly { readonly omitted: boolean }[]; readonly sum: { readonly omitted: boolean } }[];
}

/** Reporter-level tests of `-O`; the lab runs are in lab.test.ts. */
describe('iperf3 -O (omit the first N seconds), as 3.12 does', () => {
  it('parses -O with atoi and refuses what iperf_parse_arguments refuses (IEOMIT above 60 or below 0, client only)', () => {
    const omit = (line: string): number => {
      const r = parse(line);
      if (r.kind !== 'run') throw new Error(r.stderr);
      return r.options.omit;
    };
    expect(omit('-c h')).toBe(0);
    expect(omit('-c h -O 2')).toBe(2);
    expect(omit('-c h --omit=60')).toBe(60);
    expect(omit('-c h -O2.5')).toBe(2);
    expect(omit('-c h -O abc')).toBe(0);
    const err = (msg: string): ParseOutcome => ({ kind: 'exit', stdout: '', stderr: `iperf3: parameter error - ${msg}\n\n${USAGE_SHORT}`, status: 1 });
    for (const bad of ['-c h -O 61', '-c h -O -1', '-c h --omit 1000', '-s -O 61']) expect(parse(bad)).toEqual(err('bogus value for --omit'));
    expect(parse('-s -O 2')).toEqual(err('some option you are trying to set is client only'));
  });

  it('sends the omit in the parameters (send_parameters)', () => {
    const p = { protocol: 'TCP', numStreams: 1, blksize: 131072, socketBufsize: 0, rate: 0, duration: 3, reverse: false, bidir: false, zerocopy: false, noDelay: false, congestion: null, tos: 0, mss: 0, interval: 1, serverAffinity: -1, cookie: 'c', bytes: 0, blocks: 0, burst: 0, title: null, getServerOutput: false } as const;
    expect(paramsJson({ ...p, omit: 2 })).toBe('{"tcp":true,"omit":2,"time":3,"parallel":1,"len":131072,"pacing_timer":1000,"client_version":"3.12"}');
    expect(paramsJson({ ...p, omit: 0 })).toContain('"omit":0,');
  });

  it('text: the omit period\'s intervals end in (omitted) — [SUM] lines too — then the intervals restart at 0.00 without a new header', () => {
    const mk = (socket: number) =>
      stream({
        socket,
        sender: true,
        intervals: [iv(0, 1_000_000, 125e6, { omitted: true, tcp }), iv(0, 1_000_000, 125e6, { tcp }), iv(1_000_000, 2_000_000, 125e6, { tcp })],
        bytesSent: 250e6,
        bytesReceived: 250e6,
        endTime: 2_000_000,
        peerTime: 2.0,
      });
    const one = test({ protocol: 'TCP', mode: 'sender', streams: [mk(5)] });
    expect(formatClientText(one)).toBe(
      'Connecting to host 127.0.0.1, port 5201\n' +
        '[  5] local 127.0.0.1 port 40000 connected to 127.0.0.1 port 5201\n' +
        '[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n' +
        '[  5]   0.00-1.00   sec   119 MBytes  1.00 Gbits/sec    0   1.00 MBytes       (omitted)\n' +
        '[  5]   0.00-1.00   sec   119 MBytes  1.00 Gbits/sec    0   1.00 MBytes       \n' +
        '[  5]   1.00-2.00   sec   119 MBytes  1.00 Gbits/sec    0   1.00 MBytes       \n' +
        '- - - - - - - - - - - - - - - - - - - - - - - - -\n' +
        '[ ID] Interval           Transfer     Bitrate         Retr\n' +
        '[  5]   0.00-2.00   sec   238 MBytes  1.00 Gbits/sec    0             sender\n' +
        '[  5]   0.00-2.00   sec   238 MBytes  1.00 Gbits/sec                  receiver\n' +
        '\niperf Done.\n',
    );
    const two = test({ protocol: 'TCP', mode: 'sender', streams: [mk(5), mk(7)] });
    expect(formatInterval(two, 0).split('\n').slice(-2)).toEqual(['[SUM]   0.00-1.00   sec   238 MBytes  2.00 Gbits/sec    0             (omitted)', '']);
    expect(formatInterval(two, 1).startsWith('- - - - - - - - - - - - - - - - - - - - - - - - -\n[  5]   0.00-1.00')).toBe(true);
    // Without tcp_info (a -R client), the [SUM] line follows test->omitting (report_sum_bw_format).
    const rx = test({ protocol: 'TCP', mode: 'receiver', reverse: true, streams: [mk(5), mk(7)].map((s) => ({ ...s, sender: false })) });
    expect(formatInterval(rx, 0).split('\n').at(-2)).toBe('[SUM]   0.00-1.00   sec   238 MBytes  2.00 Gbits/sec                  (omitted)');
    expect(formatInterval(rx, 1).split('\n').at(-2)).toBe('[SUM]   0.00-1.00   sec   238 MBytes  2.00 Gbits/sec                  ');
  });

  it('text: an omit period that ends between interval reports (-O 1 -i 0.3) starts the next interval at the last one\'s end, printed as its distance from the new start_time', () => {
    const s = stream({ socket: 5, sender: true, intervals: [iv(600_000, 900_000, 3e7, { omitted: true, tcp }), iv(-100_000, 300_000, 3e7, { tcp })], bytesSent: 3e7, endTime: 300_000 });
    const r = test({ protocol: 'TCP', mode: 'sender', interval: 0.3, streams: [s] });
    // interval_start_time is the omitted interval's end (0.90 s), start_time the omit timer's 1.00 s:
    // iperf_time_diff's absolute 0.10 s; the rate is over the whole 0.40 s since that end.
    expect(formatInterval(r, 1)).toBe('[  5]   0.10-0.30   sec  28.6 MBytes   600 Mbits/sec    0   1.00 MBytes       \n');
    const j = JSON.parse(cjsonPrint(buildJson(r))) as JsonDoc;
    expect(j.intervals[1]?.streams[0]).toMatchObject({ start: 0.1, end: 0.3, seconds: 0.4000000059604645 });
  });

  it('a reporter run with no new interval (the peer terminated) marks the repeated [SUM] after test->omitting then', () => {
    const mk = (socket: number) => stream({ socket, sender: false, intervals: [iv(0, 1_000_000, 1e8, { omitted: true })], bytesReceived: 0, endTime: 1_000_000 });
    const r = test({ protocol: 'TCP', mode: 'receiver', reverse: true, senderHasRetransmits: false, summarySenderHasRetransmits: false, streams: [mk(5), mk(7)] });
    expect(formatTerminatedReport({ ...r, omitting: true })).toContain('[SUM]   0.00-1.00   sec   191 MBytes  1.60 Gbits/sec                  (omitted)\n');
    expect(formatTerminatedReport(r)).toContain('[SUM]   0.00-1.00   sec   191 MBytes  1.60 Gbits/sec                  \n');
    expect(formatTerminatedReport(r)).toContain('[  5]   0.00-1.00   sec  95.4 MBytes   800 Mbits/sec                  (omitted)\n');
    const j = JSON.parse(cjsonPrint(buildJson(r, { repeatLast: true }))) as JsonDoc;
    expect(j.intervals.map((i) => i.sum.omitted)).toEqual([true, false]);
  });

  it('UDP summary: the datagrams, losses and out-of-order ones of the omit period are left out (this side\'s omitted_* off both counts, as 3.12)', () => {
    const rcv = stream({
      socket: 5,
      sender: false,
      intervals: [iv(0, 1_000_000, 382 * 32768, { omitted: true, udp: { packets: 382, lost: 2, jitter: 1e-5, outOfOrder: 1 } }), iv(0, 1_000_000, 380 * 32768, { udp: { packets: 383, lost: 3, jitter: 2e-5, outOfOrder: 0 } })],
      bytesSent: 383 * 32768,
      bytesReceived: 380 * 32768,
      endTime: 1_000_000,
      peerTime: 1.0,
      packetCount: 765,
      peerPacketCount: 765,
      cntError: 5,
      outOfOrder: 1,
      jitter: 2e-5,
      omittedCounts: { packets: 382, errors: 2, outOfOrder: 1 },
    });
    const r = test({ protocol: 'UDP', mode: 'receiver', reverse: true, streams: [rcv] });
    expect(formatSummary(r)).toBe(
      '- - - - - - - - - - - - - - - - - - - - - - - - -\n' +
        '[ ID] Interval           Transfer     Bitrate         Jitter    Lost/Total Datagrams\n' +
        '[  5]   0.00-1.00   sec  12.0 MBytes   100 Mbits/sec  0.000 ms  0/383 (0%)  sender\n' +
        '[  5]   0.00-1.00   sec  11.9 MBytes  99.6 Mbits/sec  0.020 ms  3/383 (0.78%)  receiver\n',
    );
    const j = JSON.parse(cjsonPrint(buildJson(r))) as { end: { streams: { udp: Record<string, number> }[]; sum: Record<string, number>; sum_received: Record<string, number> } };
    expect(j.end.streams[0]?.udp).toMatchObject({ lost_packets: 3, packets: 383, out_of_order: 0 });
    expect(j.end.sum).toMatchObject({ lost_packets: 3, packets: 383 });
    expect(j.end.sum_received).toMatchObject({ lost_packets: 3, packets: 383 });
  });

  it('-J: test_start.omit, "omitted" on the omit period\'s intervals and sums', () => {
    const s = stream({ socket: 5, sender: true, intervals: [iv(0, 1_000_000, 1e8, { omitted: true, tcp }), iv(0, 1_000_000, 1e8, { tcp })], bytesSent: 1e8, endTime: 1_000_000 });
    const base = test({ protocol: 'TCP', mode: 'sender', streams: [s] });
    const j = JSON.parse(cjsonPrint(buildJson({ ...base, start: { ...base.start, omit: 1, duration: 1 } }))) as JsonDoc;
    expect(j.start.test_start).toMatchObject({ omit: 1, duration: 1 });
    expect(j.intervals.map((i) => [i.streams[0]?.omitted, i.sum.omitted])).toEqual([
      [true, true],
      [false, false],
    ]);
  });
});
