/**
 * iperf3's control connection (src/iperf_api.c `iperf_set_send_state`, `JSON_write`,
 * `JSON_read`; src/iperf_client_api.c, src/iperf_server_api.c): a real TCP connection between
 * the client and the server's listening port. Its messages travel as bytes of their real sizes
 * — one byte per state change (PARAM_EXCHANGE, CREATE_STREAMS, TEST_START, TEST_RUNNING,
 * TEST_END, EXCHANGE_RESULTS, DISPLAY_RESULTS, IPERF_DONE, ACCESS_DENIED, SERVER_ERROR, and the
 * CLIENT_TERMINATE / SERVER_TERMINATE a side interrupted by a signal writes), the
 * 37-byte cookie, and the 4-byte length plus JSON text of the parameters and results — so
 * their delivery takes the model's time; the decoded content rides beside the bytes in a
 * per-connection queue (it is not serialised byte for byte). Each side reads whatever has
 * arrived and takes the messages whose bytes are complete.
 */
import type { ExecContext, Task } from '@ntbsim/kernel';
import type { NetErrno, TcpSocket } from '@ntbsim/net-core';
import type { Lab } from '../../lab/lab.js';
import type { DatagramLog } from './streams.js';

/** iperf3's cookie length (COOKIE_SIZE: 36 characters and a NUL). */
export const COOKIE_SIZE = 37;

/** A control message: its kind, its size on the wire and its decoded content. */
export type CtrlMsg =
  | {
      readonly kind: 'cookie' | 'PARAM_EXCHANGE' | 'CREATE_STREAMS' | 'TEST_START' | 'TEST_RUNNING' | 'TEST_END' | 'EXCHANGE_RESULTS' | 'DISPLAY_RESULTS' | 'IPERF_DONE' | 'ACCESS_DENIED' | 'CLIENT_TERMINATE' | 'SERVER_TERMINATE';
      readonly bytes: number;
    }
  | { readonly kind: 'params' | 'results'; readonly bytes: number; readonly payload: unknown }
  | { readonly kind: 'SERVER_ERROR'; readonly bytes: number; readonly payload: unknown };

/** A one-byte state message. */
export function stateMsg(kind: Exclude<CtrlMsg['kind'], 'params' | 'results' | 'SERVER_ERROR' | 'cookie'>): CtrlMsg {
  return { kind, bytes: 1 };
}

/** A JSON message (4-byte length + the text iperf3 would write), `text` being its cJSON_PrintUnformatted form. */
export function jsonMsg(kind: 'params' | 'results', text: string, payload: unknown): CtrlMsg {
  return { kind, bytes: 4 + text.length, payload };
}

/** What the client tells the server about one of its data streams (the stream's cookie, in effect). */
export interface StreamIntro {
  /** Creation index on the client. */
  readonly index: number;
  /** The UDP header log the client's and server's ends share (UDP only). */
  readonly log: DatagramLog | null;
}

/** Both directions of one control connection, and the client's stream introductions. */
export class ControlChannel {
  /** Messages client → server, oldest first. */
  readonly toServer: CtrlMsg[] = [];
  /** Messages server → client, oldest first. */
  readonly toClient: CtrlMsg[] = [];
  /** The client's data streams by their local port. */
  readonly streams = new Map<number, StreamIntro>();
  /** The server has ended this test (IPERF_DONE taken, or it gave up on it). */
  serverDone = false;
  /** The client's command waits for `serverDone` (the server stops the lab's run when it is). */
  clientLingering = false;
}

const channels = new WeakMap<Lab, Map<string, ControlChannel>>();
const streamOwners = new WeakMap<Lab, Map<string, ControlChannel>>();

function table<T>(m: WeakMap<Lab, Map<string, T>>, lab: Lab): Map<string, T> {
  let t = m.get(lab);
  if (t === undefined) {
    t = new Map();
    m.set(lab, t);
  }
  return t;
}

/** Register the channel of a client control connection from `addr:port`. */
export function registerChannel(lab: Lab, addr: string, port: number, ch: ControlChannel): void {
  table(channels, lab).set(`${addr}:${port}`, ch);
}

/** The channel of a control connection from `addr:port`, or undefined (and forget it). */
export function takeChannel(lab: Lab, addr: string, port: number): ControlChannel | undefined {
  const t = table(channels, lab);
  const ch = t.get(`${addr}:${port}`);
  t.delete(`${addr}:${port}`);
  return ch;
}

/** Register a client data stream from `addr:port` as part of `ch`. */
export function registerStream(lab: Lab, addr: string, port: number, ch: ControlChannel): void {
  table(streamOwners, lab).set(`${addr}:${port}`, ch);
}

/** The channel a data connection from `addr:port` belongs to (and forget it), or undefined. */
export function takeStreamOwner(lab: Lab, addr: string, port: number): ControlChannel | undefined {
  const t = table(streamOwners, lab);
  const ch = t.get(`${addr}:${port}`);
  t.delete(`${addr}:${port}`);
  return ch;
}

/** One end of a control connection: writes this side's messages, reads the other side's. */
export class ControlEnd {
  private pendingOut = 0;
  private rxBytes = 0;
  /** The peer closed the connection (EOF or error). */
  closed = false;
  /** Why the last read failed, when it was an error rather than EOF (ECONNRESET for a peer's RST). */
  error: NetErrno | null = null;

  constructor(
    /** The TCP socket. */
    readonly sock: TcpSocket,
    private readonly out: CtrlMsg[],
    private readonly inbox: CtrlMsg[],
  ) {}

  /** Queue `msg` and write its bytes (what the send buffer takes now; the rest on later flushes). */
  send(ctx: ExecContext, msg: CtrlMsg): void {
    this.out.push(msg);
    this.pendingOut += msg.bytes;
    this.flush(ctx);
  }

  /** Write what is still pending. */
  flush(ctx: ExecContext): void {
    while (this.pendingOut > 0 && !this.sock.closed) {
      const r = this.sock.send(ctx, this.pendingOut);
      if (!r.ok || r.bytes === 0) return;
      this.pendingOut -= r.bytes;
    }
  }

  /** Read what arrived; the messages now complete, oldest first. */
  receive(ctx: ExecContext): CtrlMsg[] {
    const got: CtrlMsg[] = [];
    if (this.sock.closed) return got;
    for (;;) {
      const r = this.sock.recv(ctx, 65536);
      if (!r.ok) {
        if (r.errno !== 'EAGAIN') {
          this.closed = true;
          this.error = r.errno;
        }
        break;
      }
      if (r.bytes === 0) {
        this.closed = true;
        break;
      }
      this.rxBytes += r.bytes;
    }
    for (let m = this.inbox[0]; m !== undefined && m.bytes <= this.rxBytes; m = this.inbox[0]) {
      this.inbox.shift();
      this.rxBytes -= m.bytes;
      got.push(m);
    }
    return got;
  }

  /** Sleep `task` until something arrives (or, with bytes pending, until it can write). */
  wait(task: Task): void {
    if (this.sock.closed) return;
    this.sock.waitReadable(task);
    if (this.pendingOut > 0) this.sock.waitWritable(task);
  }

  /** Close the connection. */
  close(ctx?: ExecContext): void {
    this.sock.close(ctx);
  }
}
