import { describe, expect, it } from 'vitest';
import { formatClientText, formatInterval, formatSummary, formatTerminatedReport } from '../../../src/tools/iperf3/textReport.js';
import type { StreamResult } from '../../../src/tools/iperf3/results.js';
import { iv, sample, stream, test } from './samples.js';

const MiB = 1024 * 1024;
const tcpInfo = (cwnd: number): { retransmits: number; sndCwnd: number; sndWnd: number; rtt: number; rttvar: number; pmtu: number } => ({
  retransmits: 0,
  sndCwnd: cwnd * 1024,
  sndWnd: 0,
  rtt: 0,
  rttvar: 0,
  pmtu: 65535,
});

describe('iperf3 text report', () => {
  it('prints the -P 4 TCP layout of iperf3-tcp-P4.txt', () => {
    const cwnds = [
      [639, 639, 639],
      [639, 767, 639],
      [767, 767, 639],
      [639, 639, 639],
    ];
    const second = [959.96e6, 959.96e6, 959.96e6, 959.37e6];
    const ports = [55036, 55048, 55054, 55062];
    const streams: StreamResult[] = [5, 7, 9, 12].map((socket, i) =>
      stream({
        socket,
        sender: true,
        localPort: ports[i] ?? 0,
        remotePort: 5311,
        intervals: [
          iv(0, 1_000_000, 930 * MiB, { tcp: tcpInfo(cwnds[i]?.[0] ?? 0) }),
          iv(1_000_000, 2_000_000, second[i] ?? 0, { tcp: tcpInfo(cwnds[i]?.[1] ?? 0) }),
          iv(2_000_000, 3_000_000, i === 3 ? 942.4e6 : 941.5e6, { tcp: tcpInfo(cwnds[i]?.[2] ?? 0) }),
        ],
        bytesSent: 2876.6e6,
        bytesReceived: 2873.5e6,
        endTime: 3_000_000,
        peerTime: 3.0,
      }),
    );
    const r = test({ protocol: 'TCP', mode: 'sender', streams, start: { ...test({ protocol: 'TCP', mode: 'sender', streams }).start, peerPort: 5311 } });
    expect(formatClientText(r)).toBe(sample('iperf3-tcp-P4.txt'));
  });

  it('prints the -u -b 0 -P 4 layout of iperf3-udp-P4.txt', () => {
    const ports = [33614, 45748, 34430, 52394];
    const jitters = [0.0049e-3, 0.0058e-3, 0.0043e-3, 0.0068e-3];
    const lost = [1364, 1364, 1369, 1373];
    const udp = (packets: number): { packets: number; lost: number; jitter: number; outOfOrder: number } => ({ packets, lost: 0, jitter: 0, outOfOrder: 0 });
    const streams = [5, 7, 9, 12].map((socket, i) =>
      stream({
        socket,
        sender: true,
        localPort: ports[i] ?? 0,
        remotePort: 5313,
        intervals: [
          iv(0, 1_000_000, 30990 * 32000, { udp: udp(30990) }),
          iv(1_000_000, 2_000_300, 30960 * 32000, { udp: udp(30960) }),
          iv(2_000_300, 3_000_000, 31130 * 32000, { udp: udp(31130) }),
        ],
        bytesSent: 93080 * 32000,
        bytesReceived: (93080 - 1364) * 32000,
        endTime: 3_000_000,
        peerTime: 3.0003,
        packetCount: 93080,
        peerPacketCount: 93080,
        cntError: lost[i] ?? 0,
        jitter: jitters[i] ?? 0,
      }),
    );
    const base = test({ protocol: 'UDP', mode: 'sender', streams });
    expect(formatClientText({ ...base, start: { ...base.start, peerPort: 5313 } })).toBe(sample('iperf3-udp-P4.txt'));
  });

  it('prints the -R layout of iperf3-tcp-R.txt (no Retr while receiving, Retr in the summary)', () => {
    const s = stream({
      socket: 5,
      sender: false,
      localPort: 60066,
      remotePort: 5315,
      intervals: [iv(0, 1_000_000, 3.2862e9), iv(1_000_000, 2_000_000, 3.778e9)],
      bytesSent: 7.065e9,
      bytesReceived: 7.0642e9,
      endTime: 2_000_000,
      peerTime: 2.0,
    });
    const base = test({ protocol: 'TCP', mode: 'receiver', reverse: true, streams: [s], senderHasRetransmits: false, summarySenderHasRetransmits: true });
    expect(formatClientText({ ...base, start: { ...base.start, peerPort: 5315 } })).toBe(sample('iperf3-tcp-R.txt'));
  });

  it('prints the --bidir layout of iperf3-tcp-bidir.txt', () => {
    const tx = stream({
      socket: 5,
      sender: true,
      localPort: 34358,
      remotePort: 5316,
      intervals: [iv(0, 1_000_000, 2.06e9, { tcp: tcpInfo(1023) }), iv(1_000_000, 2_000_000, 1.258e9, { tcp: tcpInfo(1023) })],
      bytesSent: 3.325e9,
      bytesReceived: 3.324e9,
      endTime: 2_000_000,
      peerTime: 2.0,
    });
    const rx = stream({
      socket: 7,
      sender: false,
      localPort: 34368,
      remotePort: 5316,
      intervals: [iv(0, 1_000_000, 1.2035e9), iv(1_000_000, 2_000_000, 2.19e9)],
      bytesSent: 3.402e9,
      bytesReceived: 3.396e9,
      endTime: 2_000_000,
      peerTime: 2.0,
    });
    const base = test({ protocol: 'TCP', mode: 'bidir', streams: [tx, rx], numStreams: 1, otherSideHasRetransmits: true });
    expect(formatClientText({ ...base, start: { ...base.start, peerPort: 5316 } })).toBe(sample('iperf3-tcp-bidir.txt'));
  });

  it('a -R client heads an interval printed with the summary by get_results\' sender_has_retransmits: Retr and Cwnd over plain lines when it is the only one (print_interval_results after iperf_client_end)', () => {
    const rx = (intervals: ReturnType<typeof iv>[]): StreamResult => stream({ socket: 5, sender: false, intervals, bytesSent: 3e8, bytesReceived: 3e8, endTime: 1_000_000, peerTime: 1.0 });
    const only = test({ protocol: 'TCP', mode: 'receiver', reverse: true, senderHasRetransmits: false, summarySenderHasRetransmits: true, streams: [rx([iv(0, 1_000_000, 3e8)])] });
    expect(formatInterval(only, 0)).toBe('[ ID] Interval           Transfer     Bitrate         Retr  Cwnd\n[  5]   0.00-1.00   sec   286 MBytes  2.40 Gbits/sec                  \n');
    const two = test({ protocol: 'TCP', mode: 'receiver', reverse: true, senderHasRetransmits: false, summarySenderHasRetransmits: true, streams: [rx([iv(0, 1_000_000, 3e8), iv(1_000_000, 2_000_000, 3e8)])] });
    expect(formatInterval(two, 0).split('\n')[0]).toBe('[ ID] Interval           Transfer     Bitrate');
    const noExchange = { ...only, summarySenderHasRetransmits: false };
    expect(formatInterval(noExchange, 0).split('\n')[0]).toBe('[ ID] Interval           Transfer     Bitrate');
  });

  it('a reporter run with no new stats (the peer terminated) prints the last interval again, then the summary; the 10 % rule still skips an empty sliver', () => {
    const mk = (last: number): ReturnType<typeof test> =>
      test({ protocol: 'TCP', mode: 'receiver', reverse: true, senderHasRetransmits: false, streams: [stream({ socket: 5, sender: false, intervals: [iv(0, 1_000_000, 3e8), iv(1_000_000, 1_000_000 + last, last === 50_000 ? 0 : 2e8)], bytesReceived: 5e8, endTime: 1_000_000 + last })] });
    const r = mk(400_000);
    expect(formatTerminatedReport(r)).toBe(`${formatInterval(r, 1)}${formatSummary(r)}`);
    expect(formatInterval(r, 1)).toMatch(/^\[ {2}5\] {3}1\.00-1\.40 {3}sec /);
    const sliver = mk(50_000);
    expect(formatTerminatedReport(sliver)).toBe(formatSummary(sliver));
  });
});
