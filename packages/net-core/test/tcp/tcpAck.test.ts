/**
 * When the receiver ACKs (`__tcp_ack_snd_check`, `tcp_cleanup_rbuf`, the delayed-ACK timer,
 * quick-ACK mode) and what the sender's PSH marks (`tcp_push`, `tcp_mark_push`), counted on the
 * wire of scripted transfers, and the window and quick-ACK bookkeeping those decisions read
 * (`tcp_dec_quickack_mode`, `tcp_grow_window`, `__tcp_select_window`, `tcp_rcv_rtt_measure_ts`,
 * `tcp_set_window_clamp`).
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { parseIpv4, TCP_FLAG, type Skb, type TcpSocket } from '../../src/index.js';
import { sendAck } from '../../src/tcp/tcpOutput.js';
import { growWindow, rcvRttMeasureTs, selectWindowRaw, setWindowClamp, winFromSpace } from '../../src/tcp/tcpRcvWnd.js';
import { ACK_SCHED, type TcpSock } from '../../src/tcp/tcpSock.js';
import { acceptOne, connectOnce, makeLab, type Lab } from '../helpers.js';

/** One TCP segment seen on the wire. */
interface Seen {
  readonly fromClient: boolean;
  readonly len: number;
  readonly flags: number;
}

/** A wire tap on the lab's veth (it drops nothing): every TCP segment in order. */
function tap(lab: Lab): Seen[] {
  const seen: Seen[] = [];
  const client = parseIpv4('10.0.0.1');
  const record = (skb: Skb): boolean => {
    if (skb.l4.kind === 'tcp') seen.push({ fromClient: skb.ip.src === client, len: skb.payloadLen, flags: skb.l4.flags });
    return false;
  };
  lab.veth.a.loss = record;
  lab.veth.b.loss = record;
  return seen;
}

/** A client on lab.a connected to a listener on lab.b (`setup` sees the listener first); the accepted socket once there. */
function connectPair(lab: Lab, setup: (listener: TcpSocket) => void = () => undefined): { client: TcpSocket; server: () => TcpSocket | null } {
  const l = lab.sb.tcpSocket();
  setup(l);
  const client = lab.sa.tcpSocket();
  const { server } = acceptOne(lab, 5201, l);
  connectOnce(lab, '10.0.0.2', 5201, client);
  return { client, server };
}

/** The connection's internal state (for the bookkeeping tests). */
function sockOf(s: TcpSocket): TcpSock {
  return (s as unknown as { tp: TcpSock }).tp;
}

/** A writer sending `count` writes of `size` bytes `gapNs` apart, and a reader on lab.b that drains at once or, with `readAfterNs`, only then. */
function loneWrites(lab: Lab, client: TcpSocket, server: TcpSocket, o: { readonly count: number; readonly size: number; readonly gapNs: number; readonly readAfterNs?: number }): void {
  let sent = 0;
  lab.a.createUserTask('w', (ctx: ExecContext): TaskStep => {
    if (sent >= o.count) return 'exit';
    client.send(ctx, o.size);
    sent++;
    return o.gapNs;
  });
  let started = o.readAfterNs === undefined;
  lab.b.createUserTask('r', (ctx: ExecContext, task: Task): TaskStep => {
    if (!started) {
      started = true;
      return o.readAfterNs ?? 0;
    }
    const r = server.recv(ctx, 65536);
    if (!r.ok) server.waitReadable(task);
    return r.ok ? 'run' : 'sleep';
  });
}

describe('receiver ACKs of lone full-sized segments', () => {
  // 1448 bytes fill one segment on a 1500-byte MTU with timestamps. Each write ends with
  // tcp_push, so its one full-sized segment carries PSH. The first data segment opens 16 quick
  // ACKs (tcp_incr_quickack: rcv_wnd / (2 * rcv_mss), at most TCP_MAX_QUICKACKS).
  const count = 40;
  const quick = 16;

  /** An idle connection on a 1500-byte MTU, then `count` lone 1448-byte writes 100 ms apart; the wire from the first of them. */
  function loneFullSegments(readAfterNs?: number): { lab: Lab; seen: Seen[]; s: TcpSocket; from: number } {
    const lab = makeLab({ veth: { mtu: 1500, latencyNs: 10_000 } });
    const seen = tap(lab);
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 0.1e9 });
    const s = server() as TcpSocket;
    const from = seen.length;
    loneWrites(lab, client, s, readAfterNs === undefined ? { count, size: 1448, gapNs: 100_000_000 } : { count, size: 1448, gapNs: 100_000_000, readAfterNs });
    return { lab, seen, s, from };
  }

  it('ACKs a full-sized PSH segment from the read that drains it, never from the delayed-ACK timer', () => {
    const { lab, seen, s, from } = loneFullSegments();
    lab.sim.run({ until: 5e9 });
    expect(s.tcpInfo().bytesReceived).toBe(count * 1448);
    const wire = seen.slice(from);
    const data = wire.filter((x) => x.fromClient && x.len > 0);
    expect(data).toHaveLength(count);
    expect(data.every((x) => x.len === 1448 && (x.flags & TCP_FLAG.PSH) !== 0)).toBe(true);
    // One ACK per segment, each before the next segment: the quick ACKs, then tcp_cleanup_rbuf's
    // (ICSK_ACK_PUSHED from tcp_measure_rcv_mss, the receive queue emptied by the read).
    const acks = wire.filter((x) => !x.fromClient);
    expect(acks).toHaveLength(count);
    for (let i = 0; i < wire.length; i += 2) {
      expect(wire[i]?.fromClient).toBe(true);
      expect(wire[i + 1]?.fromClient).toBe(false);
    }
    expect(lab.sb.tcpExt.DelayedACKs).toBe(0);
  });

  it('leaves a full-sized PSH segment the reader does not drain to the 40 ms delayed-ACK timer, after the quick ACKs', () => {
    const { lab, seen, s, from } = loneFullSegments(4.5e9);
    lab.sim.run({ until: 4.4e9 });
    expect(seen.slice(from).filter((x) => !x.fromClient)).toHaveLength(count);
    // Besides the 16 quick ACKs, tcp_grow_window raises rcv_ssthresh on the first four segments
    // (until the unread data closes the room under tcp_space) and each time makes
    // icsk_ack.quick odd again (quick |= 1: 16 becomes 17), so those four quick ACKs spend
    // nothing of the budget: 20 quick ACKs, then the timer's.
    expect(lab.sb.tcpExt.DelayedACKs).toBe(count - quick - 4);
    // The timer missed the sender each time: ato doubled up to the RTO bound.
    expect(s.tcpInfo().ato).toBeGreaterThanOrEqual(40_000);
    lab.sim.run({ until: 5e9 });
    expect(s.tcpInfo().bytesReceived).toBe(count * 1448);
  });
});

describe('sender PSH (tcp_push, tcp_mark_push)', () => {
  it('marks the end of each write, not a full skb tcp_push_one sends while the write goes on', () => {
    // A 65510-byte MTU: the size goal is one MSS (65458), as on ntb0. Four writes of 65480 bytes
    // in one go: each leaves a short tail that the next write fills (its first bytes take the
    // tail's PSH away), so the four full segments carry none and the 88-byte tail of the last
    // write does.
    const lab = makeLab({ veth: { mtu: 65510, maxMtu: 65535, rateBps: 10e9, latencyNs: 20_000 } });
    const seen = tap(lab);
    const { client, server } = connectPair(lab, (l) => l.setRcvbuf(8 << 20));
    lab.sim.run({ until: 0.1e9 });
    const s = server() as TcpSocket;
    let step = 0;
    lab.a.createUserTask('w', (ctx: ExecContext): TaskStep => {
      if (step === 0) {
        // Warm-up: its ACK brings the scaled window, past which max_window / 2 no longer forces a push.
        client.send(ctx, 100);
        step++;
        return 50_000_000;
      }
      for (let i = 0; i < 4; i++) expect(client.send(ctx, 65480)).toEqual({ ok: true, bytes: 65480 });
      return 'exit';
    });
    lab.b.createUserTask('r', (ctx: ExecContext, task: Task): TaskStep => {
      const r = s.recv(ctx, 1 << 20);
      if (!r.ok) s.waitReadable(task);
      return r.ok ? 'run' : 'sleep';
    });
    lab.sim.run({ until: 1e9 });
    expect(s.tcpInfo().bytesReceived).toBe(100 + 4 * 65480);
    const data = seen.filter((x) => x.fromClient && x.len > 0).map((x) => [x.len, (x.flags & TCP_FLAG.PSH) !== 0]);
    expect(data).toEqual([
      [100, true],
      [65458, false],
      [65458, false],
      [65458, false],
      [65458, false],
      [88, true],
    ]);
  });
});

describe('ACK bookkeeping', () => {
  /** An established pair on a 1500-byte MTU, idle; the server's connection state. */
  function established(): { lab: Lab; tp: TcpSock } {
    const lab = makeLab({ veth: { mtu: 1500, latencyNs: 10_000 } });
    const { server } = connectPair(lab, (l) => l.setRcvbuf(1 << 20));
    lab.sim.run({ until: 0.1e9 });
    return { lab, tp: sockOf(server() as TcpSocket) };
  }

  it('spends a quick ACK only on an ACK of new data (tcp_dec_quickack_mode), not on a window update or duplicate', () => {
    const { lab, tp } = established();
    let quickAfterUpdate = -1;
    let quickAfterData = -1;
    lab.b.createUserTask('ack', (ctx: ExecContext): TaskStep => {
      tp.quick = 3;
      tp.ackPending = 0;
      sendAck(tp, ctx);
      quickAfterUpdate = tp.quick;
      tp.ackPending = ACK_SCHED;
      sendAck(tp, ctx);
      quickAfterData = tp.quick;
      return 'exit';
    });
    lab.sim.run({ until: 0.2e9 });
    expect([quickAfterUpdate, quickAfterData]).toEqual([3, 2]);
  });

  it('adds one quick ACK when tcp_grow_window raises rcv_ssthresh (icsk_ack.quick |= 1)', () => {
    const { tp } = established();
    tp.rcvSsthresh = 4 * tp.advmss;
    const skb = { payloadLen: tp.advmss, truesize: 2 * tp.advmss } as Skb;
    const after = [0, 1, 2, 16].map((q) => {
      tp.quick = q;
      const before = tp.rcvSsthresh;
      growWindow(tp, skb);
      expect(tp.rcvSsthresh).toBeGreaterThan(before);
      return tp.quick;
    });
    expect(after).toEqual([1, 1, 3, 17]);
  });

  it('rounds the free space down to the window scale only when it falls under half the space, else aligns the window up', () => {
    const { tp } = established();
    const unit = 2 ** tp.rcvWscale;
    expect(unit).toBeGreaterThan(1);
    tp.rcvSsthresh = tp.windowClamp;
    const full = Math.min(tp.windowClamp, winFromSpace(tp, tp.sk.rcvbuf));
    // Free space between half the space and rcv_ssthresh, not on a scale unit: the window is it, aligned up.
    let rmem = 10 * tp.advmss;
    while (winFromSpace(tp, tp.sk.rcvbuf - rmem) % unit === 0) rmem++;
    tp.rmemAlloc = rmem;
    const free = winFromSpace(tp, tp.sk.rcvbuf - rmem);
    expect(free).toBeGreaterThanOrEqual(full / 2);
    expect(free).toBeLessThan(tp.rcvSsthresh);
    expect(selectWindowRaw(tp)).toBe(Math.ceil(free / unit) * unit);
    // Under half the space it is rounded down (and aligning it up then changes nothing).
    rmem = Math.ceil(tp.sk.rcvbuf * 0.6);
    while (winFromSpace(tp, tp.sk.rcvbuf - rmem) % unit === 0) rmem++;
    tp.rmemAlloc = rmem;
    const low = winFromSpace(tp, tp.sk.rcvbuf - rmem);
    expect(low).toBeLessThan(full / 2);
    expect(selectWindowRaw(tp)).toBe(Math.floor(low / unit) * unit);
    tp.rmemAlloc = 0;
  });

  it('skips a receiver RTT sample under the timestamp clock resolution (tcp_rtt_tsopt_us with min_delta 0)', () => {
    const { lab, tp } = established();
    lab.b.createUserTask('rtt', (ctx: ExecContext): TaskStep => {
      const before = tp.rcvRttUs;
      tp.sawTsecr = (Math.floor(ctx.time / 1e6) + tp.tsOffset) >>> 0;
      tp.rcvRttLastTsecr = tp.sawTsecr - 1;
      rcvRttMeasureTs(tp, tp.rcvMss, ctx);
      expect(tp.rcvRttUs).toBe(before);
      return 'exit';
    });
    lab.sim.run({ until: 0.2e9 });
  });

  it('moves rcv_ssthresh with the window clamp (tcp_set_window_clamp)', () => {
    const { tp } = established();
    tp.rcvSsthresh = 100_000;
    tp.rcvWnd = 80_000;
    setWindowClamp(tp, 50_000);
    expect([tp.windowClamp, tp.rcvSsthresh]).toEqual([50_000, 50_000]);
    setWindowClamp(tp, 200_000);
    expect([tp.windowClamp, tp.rcvSsthresh]).toEqual([200_000, 80_000]);
  });

  it('raises rcv_ssthresh to the offered window when the first segment\'s scaling ratio raises the clamp (tcp_measure_rcv_mss)', () => {
    // Default buffers on a 1500-byte MTU: the clamp starts from the 50 % default ratio (64088
    // bytes, one advmss under the full space) and rcv_ssthresh with it, under the 65160-byte
    // window offered; 1448 bytes in a 2304-byte skb make the ratio 160 and the clamp 81920, and
    // rcv_ssthresh rises to the window (65160) before tcp_grow_window adds 2 * advmss.
    const lab = makeLab({ veth: { mtu: 1500, latencyNs: 10_000 } });
    const { client, server } = connectPair(lab);
    lab.sim.run({ until: 0.1e9 });
    const tp = sockOf(server() as TcpSocket);
    expect([tp.windowClamp, tp.rcvSsthresh, tp.rcvWnd]).toEqual([64088, 64088, 65160]);
    lab.a.createUserTask('w', (ctx: ExecContext): TaskStep => {
      client.send(ctx, 1448);
      return 'exit';
    });
    lab.sim.run({ until: 0.2e9 });
    expect([tp.scalingRatio, tp.windowClamp, tp.rcvSsthresh]).toEqual([160, 81920, 65160 + 2 * tp.advmss]);
  });
});
