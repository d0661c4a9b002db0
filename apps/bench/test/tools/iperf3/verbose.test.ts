import { describe, expect, it } from 'vitest';
import { JsonObject } from '../../../src/tools/net/cjson.js';
import { LAB_EPOCH_SECONDS } from '../../../src/tools/net/host.js';
import type { TestResult } from '../../../src/tools/iperf3/results.js';
import { formatClientText, formatServerText, jsonVerboseText, PLAIN } from '../../../src/tools/iperf3/textReport.js';
import { iv, stream, test } from './samples.js';

const tcp = { retransmits: 0, sndCwnd: 1 << 20, sndWnd: 0, rtt: 0, rttvar: 0, pmtu: 65535 };
const cpu = { hostTotal: 12.34, hostUser: 0, hostSystem: 12.34, remoteTotal: 5.67, remoteUser: 0, remoteSystem: 5.67 };
const cookie = 'abcdefghijklmnopqrstuvwxyz2345672345';

/** A one-stream TCP test of 1 s, as the client (`sender` or `receiver`) or the server saw it. */
function tcpTest(over: Partial<TestResult> & Pick<TestResult, 'mode'>): TestResult {
  const sender = over.mode === 'sender';
  const s = stream({ socket: 5, sender, intervals: [iv(0, 1_000_000, 125e6, { tcp: sender ? tcp : null, atNs: 2e9 })], bytesSent: 125e6, bytesReceived: 124e6, endTime: 1_000_000, peerTime: 1.0 });
  const base = test({ protocol: 'TCP', mode: over.mode, streams: [s] });
  return test({
    protocol: 'TCP',
    streams: [s],
    cpu,
    senderCongestion: 'cubic',
    receiverCongestion: 'reno',
    ...over,
    start: { ...base.start, cookie, tcpMssDefault: 1448, timesecs: 1795311015, duration: 1, blksize: 131072, ...over.start },
  });
}

/** `text`'s lines with `extra` inserted before line `at` of each [at, extra] (indexes of the original lines). */
function insert(text: string, edits: readonly (readonly [number, string])[]): string {
  const lines = text.split(/(?<=\n)/);
  for (const [at, extra] of [...edits].sort((a, b) => b[0] - a[0])) lines.splice(at, 0, extra);
  return lines.join('');
}

const VERBOSE = { verbose: true, timestamps: null } as const;

describe('iperf3 -V, -T and --timestamps in the text report', () => {
  it("-V on a client: on_connect's time, cookie and MSS, `Starting Test`, `Test Complete`, the CPU and congestion lines", () => {
    const r = tcpTest({ mode: 'sender' });
    const plain = formatClientText(r);
    // plain: 0 Connecting, 1 [  5] local, 2 header, 3 interval, 4 separator, 5 summary header, 6 sender, 7 receiver, 8 blank, 9 iperf Done.
    expect(formatClientText(r, VERBOSE)).toBe(
      insert(plain, [
        [0, 'Time: Sun, 22 Nov 2026 01:30:15 GMT\n'],
        [1, `      Cookie: ${cookie}\n      TCP MSS: 1448 (default)\n`],
        [2, 'Starting Test: protocol: TCP, 1 streams, 131072 byte blocks, omitting 0 seconds, 1 second test, tos 0\n'],
        [5, 'Test Complete. Summary Results:\n'],
        [8, 'CPU Utilization: local/sender 12.3% (0.0%u/12.3%s), remote/receiver 5.7% (0.0%u/5.7%s)\nsnd_tcp_congestion cubic\nrcv_tcp_congestion reno\n'],
      ]),
    );
  });

  it("-V on a -R client: the reverse-mode line before the cookie, the target bitrate, no CPU line after a receiving block (the sender's congestion control is the server's)", () => {
    const r = tcpTest({ mode: 'receiver', reverse: true, senderHasRetransmits: false, start: { ...tcpTest({ mode: 'receiver' }).start, targetBitrate: 1048576 } });
    const plain = formatClientText(r);
    // plain: 0 Connecting, 1 Reverse mode, 2 [  5] local, 3 header, 4 interval, 5 separator, 6 summary header, 7 sender, 8 receiver, 9 blank
    expect(formatClientText(r, VERBOSE)).toBe(
      insert(plain, [
        [0, 'Time: Sun, 22 Nov 2026 01:30:15 GMT\n'],
        [2, `      Cookie: ${cookie}\n      TCP MSS: 1448 (default)\n      Target Bitrate: 1048576\n`],
        [3, 'Starting Test: protocol: TCP, 1 streams, 131072 byte blocks, omitting 0 seconds, 1 second test, tos 0\n'],
        [6, 'Test Complete. Summary Results:\n'],
        [9, 'snd_tcp_congestion cubic\nrcv_tcp_congestion reno\n'],
      ]),
    );
  });

  it("-V on a server: `Accepted connection` between `Time:` and the cookie, and `(sender statistics not available)` for the lines it omits, [SUM]'s too", () => {
    const mk = (socket: number) => stream({ socket, sender: false, intervals: [iv(0, 1_000_000, 60e6, { atNs: 2e9 })], bytesReceived: 60e6, endTime: 1_000_000 });
    const base = test({ role: 's', protocol: 'TCP', mode: 'receiver', streams: [mk(5), mk(7)] });
    const r: TestResult = { ...base, senderHasRetransmits: false, summarySenderHasRetransmits: false, receiverCongestion: 'cubic', start: { ...base.start, cookie, timesecs: 1795311015 } };
    const plain = formatServerText(r);
    // plain: 0 Accepted, 1-2 streams, 3 header, 4-6 interval, 7 separator, 8 summary header, 9 [5] receiver, 10 [7] receiver, 11 [SUM] receiver
    expect(formatServerText(r, VERBOSE)).toBe(
      insert(plain, [
        [0, 'Time: Sun, 22 Nov 2026 01:30:15 GMT\n'],
        [1, `      Cookie: ${cookie}\n      TCP MSS: 0 (default)\n`],
        [3, 'Starting Test: protocol: TCP, 2 streams, 0 byte blocks, omitting 0 seconds, 0 second test, tos 0\n'],
        [8, 'Test Complete. Summary Results:\n'],
        [9, '[  5] (sender statistics not available)\n'],
        [10, '[  7] (sender statistics not available)\n'],
        [11, '[SUM] (sender statistics not available)\n'],
        [12, 'rcv_tcp_congestion cubic\n'],
      ]),
    );
  });

  it('--bidir -V: two CPU lines after the sending block; each block its congestion controls; -J prints the first block\'s lines as text', () => {
    const mk = (socket: number, sender: boolean) => stream({ socket, sender, intervals: [iv(0, 1_000_000, 1e6, { tcp: sender ? tcp : null, atNs: 2e9 })], bytesSent: 1e6, bytesReceived: 1e6, endTime: 1_000_000, peerTime: 1 });
    const base = test({ protocol: 'TCP', mode: 'bidir', streams: [mk(5, true), mk(7, false)] });
    // A bidir client: the JSON `end` holds the receiving block's congestion (sender = the peer's).
    const r: TestResult = { ...base, numStreams: 1, cpu, otherSideHasRetransmits: true, senderCongestion: 'reno', receiverCongestion: 'cubic' };
    const tx = 'CPU Utilization: local/sender 12.3% (0.0%u/12.3%s), remote/receiver 5.7% (0.0%u/5.7%s)\nCPU Utilization: local/receiver 12.3% (0.0%u/12.3%s), remote/sender 5.7% (0.0%u/5.7%s)\nsnd_tcp_congestion cubic\nrcv_tcp_congestion reno\n';
    const text = formatClientText(r, VERBOSE);
    expect(text).toContain(`[TX-C]   0.00-1.00   sec   977 KBytes  8.00 Mbits/sec    0             sender\n[  5][TX-C]   0.00-1.00   sec   977 KBytes  8.00 Mbits/sec                  receiver\n${tx}[  7][RX-C]`);
    expect(text).toMatch(/\[RX-C\] .* receiver\nsnd_tcp_congestion reno\nrcv_tcp_congestion cubic\n\niperf Done\.\n$/);
    expect(jsonVerboseText(r, VERBOSE)).toBe(tx);
    expect(jsonVerboseText(r, PLAIN)).toBe('');
    expect(jsonVerboseText(tcpTest({ mode: 'sender' }), VERBOSE)).toBe('');
  });

  it('--get-server-output: the server\'s text (or printed JSON) after the first summary block, one call "\\nServer output:\\n…\\n"', () => {
    const r = tcpTest({ mode: 'sender', serverOutput: { kind: 'text', text: 'line 1\nline 2\n' } });
    const plain = formatClientText({ ...r, serverOutput: null });
    expect(formatClientText(r)).toBe(plain.replace(/receiver\n\niperf Done\.\n$/, 'receiver\n\nServer output:\nline 1\nline 2\n\n\niperf Done.\n'));
    const doc = new JsonObject().add('start', new JsonObject().add('cookie', 'c'));
    const j = tcpTest({ mode: 'sender', serverOutput: { kind: 'json', doc } });
    expect(formatClientText(j)).toBe(plain.replace(/receiver\n\niperf Done\.\n$/, 'receiver\n\nServer JSON output:\n{\n\t"start":\t{\n\t\t"cookie":\t"c"\n\t}\n}\n\niperf Done.\n'));
    // A server never prints it.
    expect(formatServerText({ ...r, role: 's' })).not.toContain('Server output');
  });

  it('-T and --timestamps: each iperf_printf call — not each line — starts with the time it was printed and, on a client, `TITLE:  `', () => {
    const secs = (ns: number): number => LAB_EPOCH_SECONDS + Math.floor(ns / 1e9);
    const r = tcpTest({ mode: 'sender', title: 'lab', clock: { streamsNs: 0.5e9, startedNs: 1.2e9, reportNs: 3.5e9 }, serverOutput: { kind: 'text', text: 'a\nb\n' }, start: { ...tcpTest({ mode: 'sender' }).start, timesecs: LAB_EPOCH_SECONDS } });
    const plain = formatClientText({ ...r, title: null, serverOutput: null }).split(/(?<=\n)/);
    const head = (ns: number): string => `${secs(ns)} lab:  `;
    const stamped = formatClientText(r, { verbose: false, timestamps: '%s ' });
    // The interval was sampled at 2 s, but the client's last interval is printed with the summary (3.5 s).
    const expected = [
      head(0) + plain[0],
      head(0.5e9) + plain[1],
      ...plain.slice(2, 8).map((l) => head(3.5e9) + l),
      `${head(3.5e9)}\nServer output:\na\nb\n\n`,
      head(3.5e9) + plain[8],
      head(3.5e9) + plain[9],
    ].join('');
    expect(stamped).toBe(expected);
    // A server decorates with its time only: the title is the client's.
    expect(formatServerText({ ...r, role: 's', serverOutput: null }, { verbose: false, timestamps: '%s ' }).split('\n')[0]).toBe(`${secs(0)} Accepted connection from 127.0.0.1, port 5201`);
  });

  it("`Starting Test` with -n (%llu: a negative count's uint64 wrap) or -k (%d: its low 32 bits), and -O's `Finished omit period` without interval reports", () => {
    const start = (bytes: number, blocks: number): string => {
      const r = tcpTest({ mode: 'sender' });
      return formatClientText({ ...r, start: { ...r.start, duration: 0, bytes, blocks } }, VERBOSE).split('\n').find((l) => l.startsWith('Starting Test')) ?? '';
    };
    expect(start(10485760, 0)).toBe('Starting Test: protocol: TCP, 1 streams, 131072 byte blocks, omitting 0 seconds, 10485760 bytes to send, tos 0');
    expect(start(-1, 0)).toContain(', 18446744073709551615 bytes to send,');
    expect(start(0, 100)).toContain(', 100 blocks to send,');
    expect(start(0, 5000000000)).toContain(', 705032704 blocks to send,');
    const r = tcpTest({ mode: 'sender', interval: 0 });
    const omit = { ...r, start: { ...r.start, omit: 2 } };
    expect(formatClientText(omit, VERBOSE)).toContain('omitting 2 seconds, 1 second test, tos 0\nFinished omit period, starting real test\n[ ID]');
    expect(formatClientText({ ...omit, interval: 1 }, VERBOSE)).not.toContain('Finished omit period');
    expect(formatClientText({ ...omit, omitting: true }, VERBOSE)).not.toContain('Finished omit period');
  });
});
