/**
 * Verified traffic for fault scenarios: a TCP byte stream between the lab's boards whose bytes
 * encode their own stream offset (so a lost, duplicated, reordered or corrupted byte is found
 * at the first wrong offset), with a timeline of delivery for resume-latency checks. Needs the
 * lab in functional payload mode for the bytes to be real.
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import type { TcpSocket, UdpSocket } from '@ntbsim/net-core';
import { peerBoard, type BoardName, type Lab } from '../lab/lab.js';

/** The byte at stream offset `i`: a 32-bit mix of the word index, byte `i & 3` of it. */
export function streamByte(i: number): number {
  const w = Math.imul((i >>> 2) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  return (w >>> ((i & 3) * 8)) & 0xff;
}

/** The stream pattern for offsets [off, off + len). */
export function streamBytes(off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = streamByte(off + i);
  return b;
}

/** Options of `startStream`. */
export interface StreamOptions {
  /** Board that writes. */
  readonly from: BoardName;
  /** Bytes to send. */
  readonly bytes: number;
  /** Bytes per write. Default 64 KiB. */
  readonly writeSize?: number;
  /** TCP port. Default 5301. */
  readonly port?: number;
}

/** A running verified stream (live fields). */
export interface StreamState {
  /** Bytes the writer handed to TCP. */
  sent: number;
  /** Bytes the reader got. */
  received: number;
  /** Stream offset of the first byte that differed from what was sent, or -1. */
  firstBadOffset: number;
  /** Virtual time the reader saw end of stream (ns), or -1. */
  doneAt: number;
  /** Virtual time the connection was established at the writer (ns), or -1. */
  connectedAt: number;
  /** A socket error either side saw, or null. */
  error: string | null;
  /** (time, received) after every read, for resume-latency checks. */
  readonly timeline: { readonly t: number; readonly bytes: number }[];
  /** The writer's socket, once created. */
  client: TcpSocket | null;
  /** The reader's socket, once accepted. */
  server: TcpSocket | null;
}

/** Start a verified TCP stream from `o.from` to the other board; drive it with `lab.sim.run`. */
export function startStream(lab: Lab, o: StreamOptions): StreamState {
  const src = lab.boards[o.from];
  const dst = lab.boards[peerBoard(o.from)];
  const port = o.port ?? 5301;
  const writeSize = o.writeSize ?? 65536;
  const st: StreamState = { sent: 0, received: 0, firstBadOffset: -1, doneAt: -1, connectedAt: -1, error: null, timeline: [], client: null, server: null };
  const listener = dst.stack.tcpSocket();
  listener.setReuseAddr(true);
  const br = listener.bind(port);
  if (!br.ok) throw new Error(`stream: bind ${port}: ${br.errno}`);
  listener.listen(4);
  let conn: TcpSocket | null = null;
  dst.host.createUserTask(`fault-reader:${port}`, (ctx: ExecContext, task: Task): TaskStep => {
    if (conn === null) {
      const a = listener.accept();
      if (!a.ok) {
        listener.waitReadable(task);
        return 'sleep';
      }
      conn = a.sock;
      st.server = conn;
      listener.close(ctx);
    }
    const r = conn.recv(ctx, 262144);
    if (!r.ok) {
      if (r.errno === 'EAGAIN') {
        conn.waitReadable(task);
        return 'sleep';
      }
      st.error = `reader: ${r.errno}`;
      return 'exit';
    }
    if (r.bytes === 0) {
      st.doneAt = ctx.time;
      conn.close(ctx);
      return 'exit';
    }
    if (st.firstBadOffset < 0) {
      if (r.data === null) st.firstBadOffset = st.received;
      else {
        for (let i = 0; i < r.bytes; i++) {
          if (r.data[i] !== streamByte(st.received + i)) {
            st.firstBadOffset = st.received + i;
            break;
          }
        }
      }
    }
    st.received += r.bytes;
    st.timeline.push({ t: ctx.time, bytes: st.received });
    return 'run';
  });
  const client = src.stack.tcpSocket();
  st.client = client;
  let connecting = true;
  src.host.createUserTask(`fault-writer:${port}`, (ctx: ExecContext, task: Task): TaskStep => {
    if (connecting) {
      const r = client.connect(ctx, { addr: dst.ip, port });
      if (!r.ok && r.errno !== 'EISCONN') {
        if (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY' || r.errno === 'EAGAIN') {
          client.waitWritable(task);
          return 'sleep';
        }
        st.error = `connect: ${r.errno}`;
        return 'exit';
      }
      connecting = false;
      st.connectedAt = ctx.time;
    }
    if (st.sent >= o.bytes) {
      client.shutdown(ctx, 'wr');
      return 'exit';
    }
    const n = Math.min(writeSize, o.bytes - st.sent);
    const w = client.send(ctx, streamBytes(st.sent, n));
    if (!w.ok) {
      if (w.errno === 'EAGAIN') {
        client.waitWritable(task);
        return 'sleep';
      }
      st.error = `writer: ${w.errno}`;
      return 'exit';
    }
    st.sent += w.bytes;
    return 'run';
  });
  return st;
}

/** Time (ns) from `t0` until the reader next got bytes, or null if it never did. */
export function resumeAfter(st: StreamState, t0: number): number | null {
  const before = st.timeline.filter((p) => p.t <= t0).at(-1)?.bytes ?? 0;
  const next = st.timeline.find((p) => p.t > t0 && p.bytes > before);
  return next === undefined ? null : next.t - t0;
}

/** Bytes of the header every verified datagram starts with: flow, sequence, length, CRC32. */
export const DGRAM_HEADER_BYTES = 16;

const CRC_TABLE = ((): Uint32Array => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = (c & 1) !== 0 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 (IEEE 802.3, reflected, as zlib's crc32) of `b` with the 4 bytes at `skip` read as zero. */
export function crc32(b: Uint8Array, skip = -1): number {
  let c = 0xffffffff;
  for (let i = 0; i < b.length; i++) {
    const v = i >= skip && i < skip + 4 ? 0 : (b[i] as number);
    c = (CRC_TABLE[(c ^ v) & 0xff] as number) ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

/**
 * Verified datagram `seq` of flow `flow`, `size` bytes (≥ DGRAM_HEADER_BYTES): flow, seq and
 * size as little-endian u32, then the CRC-32 of the whole datagram (its own field as zero),
 * then the stream pattern at offset `seq × size` (so the body differs per datagram).
 */
export function datagramBytes(flow: number, seq: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  v.setUint32(0, flow, true);
  v.setUint32(4, seq, true);
  v.setUint32(8, size, true);
  for (let i = DGRAM_HEADER_BYTES; i < size; i++) b[i] = streamByte(seq * size + i) ^ (flow & 0xff);
  v.setUint32(12, crc32(b, 12), true);
  return b;
}

/** What a receiver makes of one datagram of flow `flow`: its sequence number, or why it is corrupt. */
export function checkDatagram(flow: number, size: number, data: Uint8Array | null): { readonly seq: number } | { readonly corrupt: string } {
  if (data === null) return { corrupt: 'no payload bytes (timing mode)' };
  if (data.length !== size) return { corrupt: `length ${data.length}, sent ${size}` };
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint32(12, true) !== crc32(data, 12)) return { corrupt: 'CRC-32 mismatch' };
  if (v.getUint32(0, true) !== flow) return { corrupt: `flow ${v.getUint32(0, true)} on flow ${flow}'s socket` };
  if (v.getUint32(8, true) !== size) return { corrupt: `length field ${v.getUint32(8, true)}` };
  return { seq: v.getUint32(4, true) };
}

/** Options of `startDatagrams`. */
export interface DatagramOptions {
  /** Board that sends. */
  readonly from: BoardName;
  /** Concurrent flows: one connected UDP socket and one sender task per flow, on ports port..port+flows-1. */
  readonly flows: number;
  /** Most datagrams each flow sends (accepted by send()). */
  readonly datagrams: number;
  /** Stop sending this long after the start (ns), even short of `datagrams`. Default: no limit. */
  readonly stopAfterNs?: number;
  /** Datagram payload size (bytes, ≥ DGRAM_HEADER_BYTES). */
  readonly size: number;
  /** First UDP port. Default 5401. */
  readonly port?: number;
  /** Pause between a flow's datagrams (ns); 0 floods: send until EAGAIN, sleep until writable. Default 0. */
  readonly intervalNs?: number;
  /** SO_SNDBUF of each sender (bytes, as setsockopt; doubled by the kernel). Default: net.core.wmem_default. */
  readonly sndbuf?: number;
  /** SO_RCVBUF of each receiver (bytes, as setsockopt; doubled). Default: net.core.rmem_default. */
  readonly rcvbuf?: number;
}

/** One verified flow's live state. */
export interface FlowState {
  /** Datagrams the sender's send() accepted. */
  sent: number;
  /** Distinct datagrams received intact. */
  received: number;
  /** Datagrams received a second time. */
  duplicates: number;
  /** Datagrams whose length, CRC, flow or sequence number was wrong. */
  corrupt: number;
  /** Datagrams received after one with a higher sequence number. */
  reordered: number;
  /** Highest sequence number received, or -1. */
  highest: number;
  /** Why the first corrupt datagram was judged so, or null. */
  firstCorrupt: string | null;
  /** Virtual time the sender finished (ns), or -1. */
  sentAt: number;
  /** One bit per sequence number received. */
  readonly seen: Uint8Array;
}

/** Running verified UDP flows (live fields). */
export interface DatagramState {
  /** The options. */
  readonly options: DatagramOptions;
  /** Per flow. */
  readonly flows: FlowState[];
  /** A socket error a task saw, or null. */
  error: string | null;
  /** (time, datagrams received over all flows) after every read, for resume-latency checks. */
  readonly timeline: { readonly t: number; readonly bytes: number }[];
  /** The senders' sockets. */
  readonly senders: UdpSocket[];
  /** The receivers' sockets. */
  readonly receivers: UdpSocket[];
}

/** Totals over the flows of `st`: sent, received, lost (sent − received), duplicates, corrupt, reordered. */
export function datagramTotals(st: DatagramState): { sent: number; received: number; lost: number; duplicates: number; corrupt: number; reordered: number } {
  const sum = (f: (x: FlowState) => number): number => st.flows.reduce((n, x) => n + f(x), 0);
  const sent = sum((x) => x.sent);
  const received = sum((x) => x.received);
  return { sent, received, lost: sent - received, duplicates: sum((x) => x.duplicates), corrupt: sum((x) => x.corrupt), reordered: sum((x) => x.reordered) };
}

/** Virtual time every sender of `st` finished (ns), or -1 while one still sends. */
export function datagramsSentAt(st: DatagramState): number {
  return st.flows.every((f) => f.sentAt >= 0) ? Math.max(...st.flows.map((f) => f.sentAt)) : -1;
}

/**
 * Start `o.flows` verified UDP flows from `o.from` to the other board (drive them with
 * `lab.sim.run`). Each receiver checks every datagram (length, CRC-32, flow, sequence) and
 * counts duplicates, corruption and reordering; what was sent but never received is lost.
 * Needs functional payload mode.
 */
export function startDatagrams(lab: Lab, o: DatagramOptions): DatagramState {
  if (!Number.isInteger(o.size) || o.size < DGRAM_HEADER_BYTES) throw new Error(`datagrams: size ${o.size}: allowed an integer ≥ ${DGRAM_HEADER_BYTES}`);
  const src = lab.boards[o.from];
  const dst = lab.boards[peerBoard(o.from)];
  const base = o.port ?? 5401;
  const interval = o.intervalNs ?? 0;
  const stopAt = o.stopAfterNs === undefined ? Infinity : lab.sim.now + o.stopAfterNs;
  const st: DatagramState = { options: o, flows: [], error: null, timeline: [], senders: [], receivers: [] };
  let total = 0;
  for (let f = 0; f < o.flows; f++) {
    const flow: FlowState = { sent: 0, received: 0, duplicates: 0, corrupt: 0, reordered: 0, highest: -1, firstCorrupt: null, sentAt: -1, seen: new Uint8Array(Math.ceil(o.datagrams / 8)) };
    st.flows.push(flow);
    const rx = dst.stack.udpSocket();
    if (o.rcvbuf !== undefined) rx.setRcvbuf(o.rcvbuf);
    const br = rx.bind(base + f);
    if (!br.ok) throw new Error(`datagrams: bind ${base + f}: ${br.errno}`);
    st.receivers.push(rx);
    dst.host.createUserTask(`fault-udp-reader:${base + f}`, (ctx: ExecContext, task: Task): TaskStep => {
      const r = rx.recv(ctx, o.size + 1);
      if (!r.ok) {
        if (r.errno === 'EAGAIN') {
          rx.waitReadable(task);
          return 'sleep';
        }
        st.error = `udp reader ${base + f}: ${r.errno}`;
        return 'exit';
      }
      const c = checkDatagram(f, o.size, r.data);
      if ('corrupt' in c || c.seq >= o.datagrams) {
        flow.corrupt++;
        flow.firstCorrupt ??= 'corrupt' in c ? c.corrupt : `sequence ${c.seq} ≥ ${o.datagrams} sent`;
        return 'run';
      }
      const byte = c.seq >>> 3;
      const bit = 1 << (c.seq & 7);
      if (((flow.seen[byte] as number) & bit) !== 0) {
        flow.duplicates++;
        return 'run';
      }
      flow.seen[byte] = (flow.seen[byte] as number) | bit;
      if (c.seq < flow.highest) flow.reordered++;
      flow.highest = Math.max(flow.highest, c.seq);
      flow.received++;
      st.timeline.push({ t: ctx.time, bytes: ++total });
      return 'run';
    });
    const tx = src.stack.udpSocket();
    if (o.sndbuf !== undefined) tx.setSndbuf(o.sndbuf);
    const cr = tx.connect({ addr: dst.ip, port: base + f });
    if (!cr.ok) throw new Error(`datagrams: connect ${dst.ip}:${base + f}: ${cr.errno}`);
    st.senders.push(tx);
    src.host.createUserTask(`fault-udp-writer:${base + f}`, (ctx: ExecContext, task: Task): TaskStep => {
      if (flow.sent >= o.datagrams || ctx.time >= stopAt) {
        flow.sentAt = ctx.time;
        return 'exit';
      }
      const w = tx.send(ctx, datagramBytes(f, flow.sent, o.size));
      if (!w.ok) {
        if (w.errno === 'EAGAIN') {
          tx.waitWritable(task);
          return 'sleep';
        }
        st.error = `udp writer ${base + f}: ${w.errno}`;
        flow.sentAt = ctx.time;
        return 'exit';
      }
      flow.sent++;
      return interval > 0 ? interval : 'run';
    });
  }
  return st;
}
