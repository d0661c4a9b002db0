/**
 * Verified traffic for fault scenarios: a TCP byte stream between the lab's boards whose bytes
 * encode their own stream offset (so a lost, duplicated, reordered or corrupted byte is found
 * at the first wrong offset), with a timeline of delivery for resume-latency checks. Needs the
 * lab in functional payload mode for the bytes to be real.
 */
import type { ExecContext, Task, TaskStep } from '@ntbsim/kernel';
import type { TcpSocket } from '@ntbsim/net-core';
import type { BoardName, Lab } from '../lab/lab.js';

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
  const dst = lab.boards[o.from === 'rc' ? 'ep' : 'rc'];
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
