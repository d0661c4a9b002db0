/**
 * iperf3's `-J` output as iperf 3.12 builds it (src/iperf_api.c: `iperf_json_start`,
 * `iperf_on_connect`, the per-stream `sock_bufsize`/`sndbuf_actual`/`rcvbuf_actual` of
 * iperf_tcp.c/iperf_udp.c, `iperf_on_test_start`, `print_interval_results`,
 * `iperf_print_intermediate`, `iperf_print_results`), printed with cJSON's formatter:
 * `start` (connected, version, system_info, timestamp, connecting_to/accepted_connection,
 * cookie, tcp_mss_default, target_bitrate, socket buffers, test_start), `intervals` (per-stream
 * samples and a `sum` — always present in JSON), `end` (per-stream sender/receiver or `udp`
 * objects, `sum_sent`/`sum_received` (+ `sum` for UDP), cpu_utilization_percent, congestion).
 * Interval `seconds` is the C float iperf3 stores; rates are bytes × 8 / that float.
 * `-O`: `test_start.omit`, `"omitted": true` on the omit period's intervals (per stream after
 * irp->omitted; the sums as the text's `[SUM]` lines), and the `end` without the omit period.
 * `-n`/`-k`: `test_start.bytes`/`blocks` (and `duration` 0). iperf_json_finish then adds, after
 * `end` (and an `error`), `title` (`-T`; a server has it from the client) and a client's
 * `--get-server-output` answer, `server_output_json` or `server_output_text`.
 */
import { JsonObject, jsonObject, type JsonValue } from '../net/cjson.js';
import { rfc1123 } from './printf.js';
import { intervalSeconds, intervalStartSecs, intervalSum, usToSecs, type IntervalSample, type StreamResult, type TestResult } from './results.js';
import { blockHasRetransmits, blockTotals, intervalCount, intervalPrinted, streamPackets, streamUdpNet, summaryTimes } from './textReport.js';

function startObject(r: TestResult): JsonObject {
  const s = r.start;
  const start = new JsonObject();
  start.add(
    'connected',
    r.streams.map((sp) =>
      jsonObject([
        ['socket', sp.socket],
        ['local_host', sp.localHost],
        ['local_port', sp.localPort],
        ['remote_host', sp.remoteHost],
        ['remote_port', sp.remotePort],
      ]),
    ),
  );
  start.add('version', s.version).add('system_info', s.systemInfo);
  start.add('timestamp', jsonObject([['time', rfc1123(s.timesecs)], ['timesecs', s.timesecs]]));
  start.add(r.role === 'c' ? 'connecting_to' : 'accepted_connection', jsonObject([['host', s.peerHost], ['port', s.peerPort]]));
  start.add('cookie', s.cookie);
  if (r.protocol === 'TCP') {
    if (s.tcpMss !== 0) start.add('tcp_mss', s.tcpMss);
    else start.add('tcp_mss_default', s.tcpMssDefault);
  }
  start.add('target_bitrate', s.targetBitrate);
  for (const b of s.sockBufs) start.add('sock_bufsize', b.sockBufsize).add('sndbuf_actual', b.sndbufActual).add('rcvbuf_actual', b.rcvbufActual);
  start.add(
    'test_start',
    jsonObject([
      ['protocol', r.protocol],
      ['num_streams', r.numStreams],
      ['blksize', s.blksize],
      ['omit', s.omit],
      ['duration', s.duration],
      ['bytes', s.bytes],
      ['blocks', s.blocks],
      ['reverse', r.reverse ? 1 : 0],
      ['tos', s.tos],
      ['target_bitrate', s.targetBitrate],
    ]),
  );
  return start;
}

function blockOrder(r: TestResult): boolean[] {
  if (r.mode === 'bidir') return r.role === 'c' ? [true, false] : [false, true];
  return [r.mode === 'sender'];
}

function intervalStream(r: TestResult, sp: StreamResult, irp: IntervalSample): JsonObject {
  const secs = intervalSeconds(irp);
  const o = jsonObject([
    ['socket', sp.socket],
    ['start', intervalStartSecs(irp)],
    ['end', usToSecs(irp.end)],
    ['seconds', secs],
    ['bytes', irp.bytes],
    ['bits_per_second', (secs > 0 ? irp.bytes / secs : 0) * 8],
  ]);
  if (r.protocol === 'TCP') {
    if (r.senderHasRetransmits && sp.sender && irp.tcp !== null) {
      const t = irp.tcp;
      o.add('retransmits', t.retransmits).add('snd_cwnd', t.sndCwnd).add('snd_wnd', t.sndWnd).add('rtt', t.rtt).add('rttvar', t.rttvar).add('pmtu', t.pmtu);
    }
  } else {
    const u = irp.udp ?? { packets: 0, lost: 0, jitter: 0, outOfOrder: 0 };
    if (sp.sender) o.add('packets', u.packets);
    else o.add('jitter_ms', u.jitter * 1000).add('lost_packets', u.lost).add('packets', u.packets).add('lost_percent', u.packets > 0 ? (100 * u.lost) / u.packets : 0);
  }
  return o.add('omitted', irp.omitted).add('sender', sp.sender);
}

/** Interval `k`'s object; `sumOmitted` as in textReport's formatInterval. */
function intervalObject(r: TestResult, k: number, sumOmitted?: boolean): JsonObject {
  const streams: JsonValue[] = [];
  const interval = new JsonObject().add('streams', streams);
  const first = r.streams[0];
  blockOrder(r).forEach((mbs, b) => {
    for (const sp of r.streams) {
      const irp = sp.intervals[k];
      if (sp.sender === mbs && irp !== undefined) streams.push(intervalStream(r, sp, irp));
    }
    const { bytes, retransmits, packets, lost, jitter } = intervalSum(r, k, mbs);
    const firp = first?.intervals[k];
    if (firp === undefined) return;
    const secs = intervalSeconds(firp);
    const omitted = sumOmitted ?? firp.omitted;
    const sum = jsonObject([
      ['start', intervalStartSecs(firp)],
      ['end', usToSecs(firp.end)],
      ['seconds', secs],
      ['bytes', bytes],
      ['bits_per_second', (bytes / secs) * 8],
    ]);
    if (r.protocol === 'TCP') {
      if (r.senderHasRetransmits && mbs) sum.add('retransmits', retransmits).add('omitted', firp.omitted);
      else sum.add('omitted', omitted);
    } else if (mbs) sum.add('packets', packets).add('omitted', omitted);
    else {
      sum.add('jitter_ms', (jitter / r.numStreams) * 1000).add('lost_packets', lost).add('packets', packets);
      sum.add('lost_percent', packets > 0 ? (100 * lost) / packets : 0).add('omitted', omitted);
    }
    sum.add('sender', mbs);
    interval.add(b === 0 ? 'sum' : 'sum_bidir_reverse', sum);
  });
  return interval;
}

function endObject(r: TestResult): JsonObject {
  const streams: JsonValue[] = [];
  const end = new JsonObject().add('streams', streams);
  const { senderTime, receiverTime, endTime } = summaryTimes(r);
  const order = blockOrder(r);
  order.forEach((mbs, b) => {
    const suffix = b === 0 ? '' : '_bidir_reverse';
    const retr = blockHasRetransmits(r, mbs);
    for (const sp of r.streams) {
      if (sp.sender !== mbs) continue;
      const sendRate = senderTime > 0 ? sp.bytesSent / senderTime : 0;
      const { sent: spc, received: rpc } = streamPackets(sp);
      const base = (t: number, seconds: number, bytes: number, rate: number): JsonObject =>
        jsonObject([
          ['socket', sp.socket],
          ['start', 0],
          ['end', t],
          ['seconds', seconds],
          ['bytes', bytes],
          ['bits_per_second', rate * 8],
        ]);
      if (r.protocol === 'TCP') {
        const sender = base(senderTime, senderTime, sp.bytesSent, sendRate);
        if (retr) {
          sender.add('retransmits', sp.retransmits).add('max_snd_cwnd', sp.maxSndCwnd).add('max_snd_wnd', sp.maxSndWnd);
          sender.add('max_rtt', sp.maxRtt).add('min_rtt', sp.minRtt).add('mean_rtt', sp.meanRtt);
        }
        sender.add('sender', mbs);
        const receiver = base(receiverTime, endTime, sp.bytesReceived, receiverTime > 0 ? sp.bytesReceived / receiverTime : 0).add('sender', mbs);
        streams.push(jsonObject([['sender', sender], ['receiver', receiver]]));
        continue;
      }
      const net = streamUdpNet(sp);
      const pc = (spc !== 0 ? spc : rpc) - sp.omittedCounts.packets;
      const udp = base(senderTime, senderTime, sp.bytesSent, sendRate);
      udp.add('jitter_ms', sp.jitter * 1000).add('lost_packets', net.lost).add('packets', pc);
      udp.add('lost_percent', net.sent > 0 ? (100 * net.lost) / net.sent : 0).add('out_of_order', net.outOfOrder).add('sender', mbs);
      streams.push(jsonObject([['udp', udp]]));
    }
    const { sent: totalSent, received: totalReceived, retransmits: totalRetrans, packets: totalPackets, senderPackets, receiverPackets, lost: lostPackets, jitter } = blockTotals(r, mbs);
    const sentRate = senderTime > 0 ? totalSent / senderTime : 0;
    const recvRate = receiverTime > 0 ? totalReceived / receiverTime : 0;
    const sum = (t: number, bytes: number, rate: number): JsonObject =>
      jsonObject([
        ['start', 0],
        ['end', t],
        ['seconds', t],
        ['bytes', bytes],
        ['bits_per_second', rate * 8],
      ]);
    if (r.protocol === 'TCP') {
      const sent = sum(senderTime, totalSent, sentRate);
      if (retr) sent.add('retransmits', totalRetrans);
      end.add(`sum_sent${suffix}`, sent.add('sender', mbs));
      end.add(`sum_received${suffix}`, sum(receiverTime, totalReceived, recvRate).add('sender', mbs));
    } else {
      const avgJitter = (jitter / r.numStreams) * 1000;
      const lostPct = totalPackets > 0 ? (100 * lostPackets) / totalPackets : 0;
      const legacy = sum(receiverTime, totalSent, sentRate);
      legacy.add('jitter_ms', avgJitter).add('lost_packets', lostPackets).add('packets', totalPackets).add('lost_percent', lostPct).add('sender', mbs);
      end.add(`sum${suffix}`, legacy);
      const sent = sum(senderTime, totalSent, sentRate);
      sent.add('jitter_ms', 0).add('lost_packets', 0).add('packets', senderPackets).add('lost_percent', 0).add('sender', true);
      end.add(`sum_sent${suffix}`, sent);
      const received = sum(receiverTime, totalReceived, recvRate);
      received.add('jitter_ms', avgJitter).add('lost_packets', lostPackets).add('packets', receiverPackets).add('lost_percent', lostPct).add('sender', false);
      end.add(`sum_received${suffix}`, received);
    }
  });
  const c = r.cpu;
  end.add(
    'cpu_utilization_percent',
    jsonObject([
      ['host_total', c.hostTotal],
      ['host_user', c.hostUser],
      ['host_system', c.hostSystem],
      ['remote_total', c.remoteTotal],
      ['remote_user', c.remoteUser],
      ['remote_system', c.remoteSystem],
    ]),
  );
  if (r.protocol === 'TCP') {
    if (r.senderCongestion !== null) end.add('sender_tcp_congestion', r.senderCongestion);
    if (r.receiverCongestion !== null) end.add('receiver_tcp_congestion', r.receiverCongestion);
  }
  return end;
}

/** iperf_json_finish's additions: `title`, then a client's `--get-server-output` answer. */
function finish(doc: JsonObject, r: { readonly title: string | null; readonly serverOutput?: TestResult['serverOutput'] }): JsonObject {
  if (r.title !== null) doc.add('title', r.title);
  const o = r.serverOutput ?? null;
  if (o !== null) doc.add(o.kind === 'json' ? 'server_output_json' : 'server_output_text', o.kind === 'json' ? o.doc : o.text);
  return doc;
}

/**
 * The `-J` document of a test (iperf_json_finish). `repeatLast`: the reporter ran once more
 * with no new interval (the peer's CLIENT_TERMINATE or SERVER_TERMINATE), so the last interval
 * is in `intervals` twice, as iperf_print_intermediate appends it again; `error`: the message
 * iperf_err or iperf_errexit adds after `end`; `finished: false`: the document as it is before
 * iperf_json_finish (what a server sends as `server_output_json`).
 */
export function buildJson(r: TestResult, opts: { readonly repeatLast?: boolean; readonly error?: string; readonly finished?: boolean } = {}): JsonObject {
  const n = intervalCount(r);
  const intervals: JsonValue[] = [];
  for (let k = 0; k < n; k++) if (intervalPrinted(r, k)) intervals.push(intervalObject(r, k));
  if (opts.repeatLast === true && n > 0 && intervalPrinted(r, n - 1)) intervals.push(intervalObject(r, n - 1, r.omitting));
  const doc = jsonObject([
    ['start', startObject(r)],
    ['intervals', intervals],
    ['end', endObject(r)],
  ]);
  if (opts.error !== undefined) doc.add('error', opts.error);
  return opts.finished === false ? doc : finish(doc, { title: r.title, serverOutput: r.role === 'c' ? r.serverOutput : null });
}

/** The `-J` document of a test that failed before it ran: what was recorded, plus `error` (and `-T`'s title). */
export function buildErrorJson(info: { readonly version: string; readonly systemInfo: string; readonly title: string | null }, error: string): JsonObject {
  const doc = jsonObject([
    ['start', jsonObject([['connected', []], ['version', info.version], ['system_info', info.systemInfo]])],
    ['intervals', []],
    ['end', new JsonObject()],
    ['error', error],
  ]);
  return finish(doc, info);
}
