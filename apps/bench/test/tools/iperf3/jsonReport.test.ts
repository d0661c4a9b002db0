import { describe, expect, it } from 'vitest';
import { cjsonPrint } from '../../../src/tools/net/cjson.js';
import { buildErrorJson, buildJson } from '../../../src/tools/iperf3/jsonReport.js';
import { rfc1123 } from '../../../src/tools/iperf3/printf.js';
import type { IntervalSample, StreamResult } from '../../../src/tools/iperf3/results.js';
import { sample, stream, test } from './samples.js';

type J = Record<string, unknown>;
const obj = (v: unknown): J => v as J;
const arr = (v: unknown): J[] => v as J[];
const num = (v: unknown): number => v as number;
const us = (s: unknown): number => Math.round(num(s) * 1e6);

/** A double x/1000 whose × 1000 gives back exactly `ms` (iperf3 stores jitter in s, prints ms). */
function secondsOf(ms: number): number {
  const base = ms / 1000;
  for (const d of [0, 1, -1, 2, -2, 3, -3]) {
    const c = base + d * Number.EPSILON * base;
    if (c * 1000 === ms) return c;
  }
  throw new Error(`no exact double for ${ms}`);
}

function fromSample(name: string, protocol: 'TCP' | 'UDP'): ReturnType<typeof test> {
  const j = obj(JSON.parse(sample(name)));
  const start = obj(j.start);
  const end = obj(j.end);
  const connected = arr(start.connected);
  const intervals = arr(j.intervals).map((i) => arr(obj(i).streams));
  const ends = arr(end.streams);
  const streams: StreamResult[] = connected.map((c, n) => {
    const ivs: IntervalSample[] = intervals.map((streamsOfInterval) => {
      const s = obj(streamsOfInterval[n]);
      return {
        start: us(s.start),
        end: us(s.end),
        bytes: num(s.bytes),
        omitted: false,
        tcp: protocol === 'TCP' ? { retransmits: num(s.retransmits), sndCwnd: num(s.snd_cwnd), sndWnd: num(s.snd_wnd), rtt: num(s.rtt), rttvar: num(s.rttvar), pmtu: num(s.pmtu) } : null,
        udp: protocol === 'UDP' ? { packets: num(s.packets), lost: 0, jitter: 0, outOfOrder: 0 } : null,
        atNs: 0,
      };
    });
    const e = obj(ends[n]);
    const base = { socket: num(c.socket), sender: true, localHost: c.local_host as string, localPort: num(c.local_port), remoteHost: c.remote_host as string, remotePort: num(c.remote_port), intervals: ivs };
    if (protocol === 'TCP') {
      const snd = obj(e.sender);
      const rcv = obj(e.receiver);
      return stream({
        ...base,
        bytesSent: num(snd.bytes),
        bytesReceived: num(rcv.bytes),
        endTime: us(snd.end),
        peerTime: num(rcv.end),
        retransmits: num(snd.retransmits),
        maxSndCwnd: num(snd.max_snd_cwnd),
        maxSndWnd: num(snd.max_snd_wnd),
        maxRtt: num(snd.max_rtt),
        minRtt: num(snd.min_rtt),
        meanRtt: num(snd.mean_rtt),
      });
    }
    const u = obj(e.udp);
    const received = obj(end.sum_received);
    return stream({
      ...base,
      bytesSent: num(u.bytes),
      bytesReceived: num(received.bytes) / connected.length,
      endTime: us(u.end),
      peerTime: num(received.end),
      packetCount: num(u.packets),
      peerPacketCount: num(received.packets) / connected.length,
      cntError: num(u.lost_packets),
      jitter: secondsOf(num(u.jitter_ms)),
    });
  });
  const cpu = obj(end.cpu_utilization_percent);
  const ts = obj(start.timestamp);
  const to = obj(start.connecting_to);
  const ts0 = obj(start.test_start);
  const base = test({ protocol, mode: 'sender', streams });
  return {
    ...base,
    start: {
      ...base.start,
      systemInfo: start.system_info as string,
      timesecs: num(ts.timesecs),
      peerHost: to.host as string,
      peerPort: num(to.port),
      cookie: start.cookie as string,
      tcpMssDefault: protocol === 'TCP' ? num(start.tcp_mss_default) : 0,
      targetBitrate: num(start.target_bitrate),
      sockBufs: connected.map(() => ({ sockBufsize: num(start.sock_bufsize), sndbufActual: num(start.sndbuf_actual), rcvbufActual: num(start.rcvbuf_actual) })),
      blksize: num(ts0.blksize),
      duration: num(ts0.duration),
    },
    cpu: { hostTotal: num(cpu.host_total), hostUser: num(cpu.host_user), hostSystem: num(cpu.host_system), remoteTotal: num(cpu.remote_total), remoteUser: num(cpu.remote_user), remoteSystem: num(cpu.remote_system) },
    senderCongestion: protocol === 'TCP' ? (end.sender_tcp_congestion as string) : null,
    receiverCongestion: protocol === 'TCP' ? (end.receiver_tcp_congestion as string) : null,
  };
}

describe('iperf3 JSON report', () => {
  it('prints the TCP -P 4 document of iperf3-tcp-P4.json byte for byte', () => {
    expect(`${cjsonPrint(buildJson(fromSample('iperf3-tcp-P4.json', 'TCP')))}\n`).toBe(sample('iperf3-tcp-P4.json'));
  });

  it('prints the UDP -P 4 document of iperf3-udp-P4.json byte for byte', () => {
    expect(`${cjsonPrint(buildJson(fromSample('iperf3-udp-P4.json', 'UDP')))}\n`).toBe(sample('iperf3-udp-P4.json'));
  });

  it('formats the timestamp as iperf3 does', () => {
    expect(rfc1123(1795311015)).toBe('Sun, 22 Nov 2026 01:30:15 GMT');
  });

  it('reports an error in the JSON document', () => {
    const text = cjsonPrint(buildErrorJson({ version: 'iperf 3.12', systemInfo: 'Linux rc', title: null }, 'boom'));
    expect(text).toBe('{\n\t"start":\t{\n\t\t"connected":\t[],\n\t\t"version":\t"iperf 3.12",\n\t\t"system_info":\t"Linux rc"\n\t},\n\t"intervals":\t[],\n\t"end":\t{\n\t},\n\t"error":\t"boom"\n}');
  });

  it('repeats the last interval for a reporter run with no new stats (CLIENT_TERMINATE / SERVER_TERMINATE) and puts `error` after `end`', () => {
    const r = fromSample('iperf3-tcp-P4.json', 'TCP');
    const plain = JSON.parse(cjsonPrint(buildJson(r))) as { intervals: unknown[] };
    const doc = JSON.parse(cjsonPrint(buildJson(r, { repeatLast: true, error: 'the client has terminated' }))) as { intervals: unknown[]; error: string };
    expect(doc.intervals).toHaveLength(plain.intervals.length + 1);
    expect(doc.intervals.at(-1)).toEqual(doc.intervals.at(-2));
    expect(Object.keys(doc)).toEqual(['start', 'intervals', 'end', 'error']);
    expect(doc.error).toBe('the client has terminated');
  });

  it("iperf_json_finish: `title` after `end` (and `error`), then a client's --get-server-output answer; a server's document for --get-server-output is the one before it", () => {
    const r = { ...fromSample('iperf3-tcp-P4.json', 'TCP'), title: 'lab 1' };
    const keys = (d: ReturnType<typeof buildJson>): string[] => d.entries.map(([k]) => k);
    expect(keys(buildJson(r))).toEqual(['start', 'intervals', 'end', 'title']);
    expect(keys(buildJson(r, { error: 'boom' }))).toEqual(['start', 'intervals', 'end', 'error', 'title']);
    const text = buildJson({ ...r, serverOutput: { kind: 'text', text: 'Accepted connection …\n' } });
    expect(keys(text)).toEqual(['start', 'intervals', 'end', 'title', 'server_output_text']);
    expect(text.get('server_output_text')).toBe('Accepted connection …\n');
    const serverDoc = buildJson({ ...r, role: 's' }, { finished: false });
    expect(keys(serverDoc)).toEqual(['start', 'intervals', 'end']);
    const withJson = buildJson({ ...r, title: null, serverOutput: { kind: 'json', doc: serverDoc } });
    expect(keys(withJson)).toEqual(['start', 'intervals', 'end', 'server_output_json']);
    expect(withJson.get('server_output_json')).toBe(serverDoc);
    // A server keeps the client's title for its own document, and never embeds server output.
    expect(keys(buildJson({ ...r, role: 's', serverOutput: { kind: 'text', text: 'x' } }))).toEqual(['start', 'intervals', 'end', 'title']);
    expect(cjsonPrint(buildErrorJson({ version: 'iperf 3.12', systemInfo: 'Linux rc', title: 't' }, 'boom'))).toMatch(/\t"error":\t"boom",\n\t"title":\t"t"\n}$/);
  });

  it("test_start carries -n and -k (and the duration 0 they leave)", () => {
    const r = fromSample('iperf3-tcp-P4.json', 'TCP');
    const doc = JSON.parse(cjsonPrint(buildJson({ ...r, start: { ...r.start, duration: 0, bytes: 10485760, blocks: 0 } }))) as { start: { test_start: J } };
    expect(doc.start.test_start).toMatchObject({ duration: 0, bytes: 10485760, blocks: 0 });
    const k = JSON.parse(cjsonPrint(buildJson({ ...r, start: { ...r.start, duration: 0, bytes: 0, blocks: 80 } }))) as { start: { test_start: J } };
    expect(k.start.test_start).toMatchObject({ duration: 0, bytes: 0, blocks: 80 });
  });
});

