/**
 * ntb_tool (drivers/ntb/test/ntb_tool.c, version 2.0: the multi-port rework of v4.17) on one NTB
 * device: the kernel's NTB debugging client. It binds a device, registers its context ops
 * (tool_link_event / tool_db_event / tool_msg_event only wake the waiters) and exposes the raw
 * ntb.h API as debugfs files under `ntb_tool/<dev>/` (tool_setup_dbgfs):
 *
 * - top level: `port`, `link` (write only), `db`, `db_valid_mask`, `db_mask`, `db_event`
 *   (write only), `peer_db`, `peer_db_mask`, `spadN` per local scratchpad and, when the device
 *   has message registers, `msgN`, `msg_sts`, `msg_inbits`, `msg_outbits`, `msg_mask` and
 *   `msg_event`;
 * - per peer `peerN/`: `port`, `link`, `link_event`, `mw_transN` per inbound window (`mwN`
 *   appears once it is set up), `peer_mw_transN` per outbound window (`peer_mwN` once
 *   mapped), `spadN` per peer scratchpad and `msgN` per outbound message register.
 *
 * Each file has the kernel handler's parser, output format and return values: tool_fn_read
 * prints `%#llx` (the kernel's `%#x` prints `0x0` for zero) and returns -EINVAL when the device
 * lacks the op; tool_fn_write parses `"%c %lli"` (`s BITS` / `c BITS`, anything else -EINVAL)
 * and calls the device op directly (a missing op is -EINVAL); a file without a read or write
 * handler refuses it with -EINVAL (debugfs: no FMODE_CAN_READ / FMODE_CAN_WRITE). Doorbell bits
 * are the ntb-core contract's 32 bits: a u64 written is cut to its low 32 bits.
 *
 * Blocking writes: `link` and `mw_transN` sleep in the device's link and translation commands
 * (EPF commands), `db_event` / `msg_event` / `peerN/link_event` in wait_event_interruptible until
 * their condition holds (rechecked when the matching context op wakes the queue), ending with
 * -ERESTART when interrupted. Removal (tool_remove) first unlinks the files and waits for the
 * writes in progress (debugfs_remove_recursive), the instance still taking its events, then
 * clears the context, disables the link and frees the windows (tool_clear_mws), each sleeping
 * op in turn.
 *
 * Not modelled: the `0200` mode of `peerN/link` and `peerN/link_event` matters only to a
 * non-root reader (root reads them anyway); a peer window is accessed no further than its
 * mapping (the kernel would fault past it).
 */
import { ERRNO, hashedPointer, kstrtoboolFromUser, kstrtouintFromUser, kstrtoullFromUser, type ExecContext } from '@ntbsim/kernel';
import type { DmaBuffer, IoWindow, NtbCtxOps, NtbDevice, NtbDone } from '@ntbsim/ntb-core';
import { EISDIR, ERESTART, ToolError } from './errors.js';
import { scanAddrSize, scanCmdBits } from './parse.js';
import type { NtbToolClient, ToolDone, ToolIoOptions } from './types.js';

/** kstrtou32_from_user (base 0): the value as a number, or a negative errno. */
function kstrtou32(text: string): number {
  const v = kstrtouintFromUser(text);
  return typeof v === 'bigint' ? Number(v) : v;
}

/** TOOL_BUF_LEN: the buffer of the one-value files (bytes, the terminating NUL included). */
export const TOOL_BUF_LEN = 32;
/** What `read` asks for when not told: `cat`'s read size (bytes). */
const DEFAULT_READ_COUNT = 131_072;

/** A debugfs file of ntb_tool: its mode and handlers (absent: the kernel's NULL fops member). */
interface ToolFile {
  readonly mode: number;
  readonly read?: (pos: number, count: number) => Uint8Array | number;
  readonly write?: (data: Uint8Array, pos: number, done: ToolDone) => number | null;
}

/** An inbound memory window (struct tool_mw of tc->peers[pidx].inmws). */
interface InMw {
  readonly pidx: number;
  readonly widx: number;
  buf: DmaBuffer | null;
  size: number;
}

/** An outbound memory window (struct tool_mw of tc->outmws): shared by the peers, mapped for one. */
interface OutMw {
  readonly widx: number;
  pidx: number;
  io: IoWindow | null;
  mapBase: number;
  trBase: bigint;
  size: number;
}

/** A write sleeping in wait_event_interruptible. */
interface Waiter {
  readonly queue: 'link' | 'db' | 'msg';
  readonly cond: () => boolean;
  readonly done: ToolDone;
  readonly size: number;
}

/** Where the instance is in its life: bound, tool_remove waiting for the writes in progress, tearing down, removed. */
type ToolStage = 'bound' | 'waitWriters' | 'clearing' | 'removed';

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const text = (b: Uint8Array): string => String.fromCharCode(...b);

/** The C string of a write's bytes: up to the first NUL (the kernel's parsers stop there). */
function cString(data: Uint8Array, limit = data.length): string {
  const s = text(data.subarray(0, Math.min(limit, data.length)));
  const nul = s.indexOf('\0');
  return nul < 0 ? s : s.slice(0, nul);
}

/** simple_read_from_buffer: bytes [pos, pos + count) of `buf`. */
function readFromBuffer(buf: Uint8Array, pos: number, count: number): Uint8Array {
  if (pos >= buf.length || count <= 0) return new Uint8Array(0);
  return buf.slice(pos, Math.min(buf.length, pos + count));
}

/** The kernel's `%#llx` / `%#x`: `0x` and lowercase hex, `0x0` for zero (lib/vsprintf.c number(): the prefix for base 16 even when zero). */
export function formatHexSpecial(v: number | bigint): string {
  return `0x${v.toString(16)}`;
}

/** `%pa[p]` / `%pad` of a 64-bit kernel: `0x` and 16 hex digits. */
export function formatPhys(v: number | bigint): string {
  return `0x${v.toString(16).padStart(16, '0')}`;
}

/**
 * `%pK` with kptr_restrict 0: `%p`'s hashed id (the kernel's `hashedPointer`); NULL prints as zeros
 * (IS_ERR_OR_NULL).
 */
function pointerK(addr: number | null, key: number): string {
  return addr === null ? '0'.repeat(16) : hashedPointer(addr, key);
}

/** round_up(x, align) for the power-of-two alignments of ntb_mw_get_align (any other: to the next multiple). */
const roundUp = (x: number, align: number): number => (align <= 1 ? x : Math.ceil(x / align) * align);

/** A fake kernel virtual address of a coherent buffer (its DMA address in the linear map), for `%pK`. */
const LINEAR_MAP_OFFSET = 2 ** 47;

/** ntb_tool bound to one NTB device (struct tool_ctx). */
export class NtbTool {
  /** The context ops it registers (tool_ops): each wakes its wait queue. */
  readonly ctxOps: NtbCtxOps;
  private readonly files = new Map<string, ToolFile>();
  private readonly dirs = new Map<string, string[]>([['', []]]);
  private readonly inmws: InMw[][] = [];
  private readonly outmws: OutMw[] = [];
  private waiters: Waiter[] = [];
  /** Writes in progress (blocked in a wait or in a sleeping device op). */
  private active = 0;
  private stage: ToolStage = 'bound';
  private ctxHeld = false;
  private removedWaiters: (() => void)[] = [];
  private syscallEnd = 0;
  private syscalls: ExecContext[] = [];

  /** @internal Use `createNtbToolClient`; tool_probe's state: the peers, windows, scratchpads and message registers counted. */
  constructor(
    /** The NTB device it is bound to. */
    readonly dev: NtbDevice,
    counts: { readonly peers: number; readonly inMws: readonly number[]; readonly outMws: number; readonly spads: number; readonly msgs: number },
  ) {
    this.ctxOps = {
      linkEvent: () => this.wake('link'),
      dbEvent: () => this.wake('db'),
      msgEvent: () => this.wake('msg'),
    };
    for (let widx = 0; widx < counts.outMws; widx++) this.outmws.push({ widx, pidx: -1, io: null, mapBase: 0, trBase: 0n, size: 0 });
    for (let pidx = 0; pidx < counts.peers; pidx++) this.inmws.push(Array.from({ length: counts.inMws[pidx] ?? 0 }, (_, widx) => ({ pidx, widx, buf: null, size: 0 })));
    this.setupDbgfs(counts);
  }

  /** @internal ntb_set_ctx at probe: 0, or -EINVAL when the device already has a context. */
  attach(): number {
    const rc = this.dev.setCtx(this.ctxOps);
    this.ctxHeld = rc === 0;
    return rc;
  }

  // ---------------------------------------------------------------- the file API

  /** The entries of directory `dir` (`''` the device's directory, `peer0`, …), in creation order; null when there is no such directory. */
  list(dir = ''): readonly string[] | null {
    const d = this.dirs.get(dir.replace(/^\/+|\/+$/g, ''));
    return d === undefined ? null : [...d];
  }

  /** The kind of `path`: a file, a directory, or null when it does not exist. */
  kind(path: string): 'file' | 'dir' | null {
    const p = path.replace(/^\/+|\/+$/g, '');
    if (this.files.has(p)) return 'file';
    return this.dirs.has(p) ? 'dir' : null;
  }

  /** The debugfs mode of a file (0o600, or 0o200 for `peerN/link` and `peerN/link_event`); null when it does not exist. */
  mode(path: string): number | null {
    return this.files.get(path.replace(/^\/+|\/+$/g, ''))?.mode ?? null;
  }

  /**
   * read(2) of a file: the bytes its handler returns from `offset` (at most `count`), or a
   * negative errno (-ENOENT: no such file, -EISDIR: a directory, -EINVAL: no read handler or the
   * device lacks the op, the handlers' own errors). Reads never block.
   */
  read(path: string, options: ToolIoOptions = {}): Uint8Array | number {
    const p = path.replace(/^\/+|\/+$/g, '');
    const f = this.files.get(p);
    if (f === undefined) return this.dirs.has(p) ? -EISDIR : -ERRNO.ENOENT;
    if (f.read === undefined) return -ERRNO.EINVAL;
    const pos = options.offset ?? 0;
    if (!Number.isSafeInteger(pos) || pos < 0) return -ERRNO.EINVAL;
    const r = f.read(pos, options.count ?? DEFAULT_READ_COUNT);
    this.endSyscall();
    return r;
  }

  /** `cat FILE`: the whole text of a read; throws ToolError with the errno of a refused one. */
  readText(path: string): string {
    const r = this.read(path);
    if (typeof r === 'number') throw new ToolError(errnoCode(r), `read ${path}: ${errnoCode(r)}`);
    return text(r);
  }

  /**
   * write(2) of `data` (a string is its Latin-1 bytes; `echo X >` writes `X\n`) at `offset`:
   * the handler's return — the bytes written or a negative errno (-ENOENT, -EISDIR, -EINVAL
   * for bad syntax or a missing device op, -ERANGE, the device's errors) — when it returns at
   * once; null when the write blocks (it sleeps in a device op or waits for a condition):
   * `done(ret)` is then called, in a later event, when it returns.
   */
  write(path: string, data: string | Uint8Array, done: ToolDone, options: ToolIoOptions = {}): number | null {
    const p = path.replace(/^\/+|\/+$/g, '');
    const f = this.files.get(p);
    if (f === undefined) return this.dirs.has(p) ? -EISDIR : -ERRNO.ENOENT;
    if (f.write === undefined) return -ERRNO.EINVAL;
    const pos = options.offset ?? 0;
    if (!Number.isSafeInteger(pos) || pos < 0) return -ERRNO.EINVAL;
    const r = f.write(typeof data === 'string' ? latin1(data) : data, pos, done);
    this.endSyscall();
    return r;
  }

  /** A signal to the writers blocked in wait_event_interruptible: each ends with -ERESTART. Returns how many there were. */
  interrupt(): number {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) this.finish(w.done, -ERESTART);
    return ws.length;
  }

  /** Writes in progress: blocked in a wait or sleeping in a device op. */
  get pendingWrites(): number {
    return this.active;
  }

  /** Whether tool_remove has started and not yet returned (`rmmod` would still be blocked). */
  get removing(): boolean {
    return this.stage === 'waitWriters' || this.stage === 'clearing';
  }

  /** Run `fn` once tool_remove has returned (at once if it has). */
  whenRemoved(fn: () => void): void {
    if (this.stage === 'removed') fn();
    else this.removedWaiters.push(fn);
  }

  // ---------------------------------------------------------------- events and waits

  /** wake_up of a wait queue: its waiters recheck their conditions (in an event at the current instant, where the woken task runs). */
  private wake(queue: Waiter['queue']): void {
    if (!this.waiters.some((w) => w.queue === queue)) return;
    const sim = this.dev.host.sim;
    sim.at(sim.now, () => {
      const ready = this.waiters.filter((w) => w.queue === queue && w.cond());
      if (ready.length === 0) return;
      this.waiters = this.waiters.filter((w) => !ready.includes(w));
      for (const w of ready) this.finish(w.done, w.size);
    });
  }

  /** wait_event_interruptible(queue, cond): `size` at once when `cond` holds, else null and `done` later. */
  private waitEvent(w: Waiter): number | null {
    if (w.cond()) return w.size;
    this.active++;
    this.waiters.push(w);
    return null;
  }

  /** A blocked write returns `ret` (in its own event); a removal waiting for the writers goes on when none is left. */
  private finish(done: ToolDone, ret: number): void {
    const sim = this.dev.host.sim;
    sim.at(sim.now, () => {
      this.active--;
      done(ret);
      if (this.stage === 'waitWriters' && this.active === 0) this.clear();
    });
  }

  /**
   * A write that may sleep in device ops: `start(end)` runs them and calls `end(ret)`. When every
   * op returned at once (no sleep: an op the device lacks, vNTB's no-op commands are deferred and
   * do sleep) the write returns `ret`; otherwise null, and `done(ret)` later.
   */
  private sleeping(done: ToolDone, start: (end: (ret: number) => void) => void): number | null {
    let inline = true;
    let ret: number | null = null;
    this.active++;
    start((v) => {
      if (inline) ret = v;
      else this.finish(done, v);
    });
    inline = false;
    if (ret === null) return null;
    this.active--;
    return ret;
  }

  // ---------------------------------------------------------------- debugfs

  private addFile(path: string, file: ToolFile): void {
    const slash = path.lastIndexOf('/');
    const dir = slash < 0 ? '' : path.slice(0, slash);
    this.files.set(path, file);
    this.dirs.get(dir)?.push(path.slice(slash + 1));
  }

  private removeFile(path: string): void {
    if (!this.files.delete(path)) return;
    const slash = path.lastIndexOf('/');
    const entries = this.dirs.get(slash < 0 ? '' : path.slice(0, slash));
    const i = entries?.indexOf(path.slice(slash + 1)) ?? -1;
    if (i >= 0) entries?.splice(i, 1);
  }

  private addDir(path: string): void {
    this.dirs.set(path, []);
    this.dirs.get('')?.push(path);
  }

  /** A one-value file's read (scnprintf into TOOL_BUF_LEN bytes, simple_read_from_buffer). */
  private static valueRead(value: () => string | number): NonNullable<ToolFile['read']> {
    return (pos, count) => {
      const v = value();
      if (typeof v === 'number') return v;
      return readFromBuffer(latin1(v.slice(0, TOOL_BUF_LEN - 1)), pos, count);
    };
  }

  /** tool_fn_read: -EINVAL without the op; `%#llx\n` scnprintf'd into min(count, TOOL_BUF_LEN) bytes. */
  private fnRead(op: (() => number) | undefined): NonNullable<ToolFile['read']> {
    return (pos, count) => {
      if (op === undefined) return -ERRNO.EINVAL;
      const bufSize = Math.min(count, TOOL_BUF_LEN);
      const s = `${formatHexSpecial(op() >>> 0)}\n`.slice(0, Math.max(0, bufSize - 1));
      return readFromBuffer(latin1(s), pos, count);
    };
  }

  /** tool_fn_write: `sscanf("%c %lli")` — `s` calls `set`, `c` calls `clear` (-EINVAL without it); any other input -EINVAL; else the op's error or the size. */
  private fnWrite(set: ((bits: number) => number) | undefined, clear: ((bits: number) => number) | undefined): NonNullable<ToolFile['write']> {
    return (data) => {
      const r = scanCmdBits(cString(data));
      if (r === null) return -ERRNO.EINVAL;
      const fn = r.cmd === 's' ? set : r.cmd === 'c' ? clear : undefined;
      if (fn === undefined) return -ERRNO.EINVAL;
      const rc = fn(Number(BigInt.asUintN(32, r.bits)));
      return rc !== 0 ? rc : data.length;
    };
  }

  /**
   * The process context of a file operation: the syscall of the reading or writing command,
   * starting where the previous operation's syscall ended (a command's syscalls are sequential,
   * so a read is ordered behind the MMIO of the write before it).
   */
  private ctx(): ExecContext {
    const c = this.dev.host.syscallContext();
    if (this.syscallEnd > c.time) c.charge(this.syscallEnd - c.time);
    this.syscalls.push(c);
    return c;
  }

  /** The end of the file operation that just returned: the latest time its contexts reached. */
  private endSyscall(): void {
    for (const c of this.syscalls) this.syscallEnd = Math.max(this.syscallEnd, c.time);
    this.syscalls = [];
  }

  /**
   * Virtual time (ns) at which the last file operation's syscall ended: its MMIO round trips
   * over the link (a peer scratchpad read, a peer window read) take time the caller's process
   * spends in the kernel. A caller stepping the simulation (the lab's shell) lets time run to it.
   */
  get busyUntil(): number {
    return this.syscallEnd;
  }

  /** tool_setup_dbgfs: the files, in the kernel's creation order. */
  private setupDbgfs(counts: { readonly peers: number; readonly spads: number; readonly msgs: number }): void {
    const dev = this.dev;
    const ops = dev.ops;
    this.addFile('port', { mode: 0o600, read: NtbTool.valueRead(() => `${dev.portNumber()}\n`) });
    this.addFile('link', { mode: 0o600, write: (data, _pos, done) => this.linkWrite(data, done) });
    this.addFile('db', { mode: 0o600, read: this.fnRead(() => ops.dbRead()), write: this.fnWrite(ops.dbSet?.bind(ops), (b) => ops.dbClear(b)) });
    this.addFile('db_valid_mask', { mode: 0o600, read: this.fnRead(() => ops.dbValidMask()) });
    this.addFile('db_mask', { mode: 0o600, read: this.fnRead(ops.dbReadMask?.bind(ops)), write: this.fnWrite((b) => ops.dbSetMask(b), (b) => ops.dbClearMask(b)) });
    this.addFile('db_event', {
      mode: 0o600,
      write: (data, _pos, done) => {
        const val = kstrtoullFromUser(cString(data));
        if (typeof val === 'number') return val;
        return this.waitEvent({ queue: 'db', cond: () => BigInt(ops.dbRead() >>> 0) === val, done, size: data.length });
      },
    });
    const peerDbSet = (bits: number): number => ops.peerDbSet(bits, this.ctx());
    this.addFile('peer_db', { mode: 0o600, read: this.fnRead(ops.peerDbRead?.bind(ops)), write: this.fnWrite(peerDbSet, ops.peerDbClear?.bind(ops)) });
    this.addFile('peer_db_mask', { mode: 0o600, read: this.fnRead(ops.peerDbReadMask?.bind(ops)), write: this.fnWrite(ops.peerDbSetMask?.bind(ops), ops.peerDbClearMask?.bind(ops)) });
    for (let sidx = 0; sidx < counts.spads; sidx++) this.addFile(`spad${sidx}`, this.spadFile(sidx, -1));
    if (counts.msgs > 0) this.setupMsgFiles(counts.msgs);
    for (let pidx = 0; pidx < counts.peers; pidx++) {
      const dir = `peer${pidx}`;
      this.addDir(dir);
      this.addFile(`${dir}/port`, { mode: 0o600, read: NtbTool.valueRead(() => `${dev.peerPortNumber(pidx)}\n`) });
      // tool_peer_link_read: "Y\n" or "N\n" and the terminating NUL, 3 bytes.
      this.addFile(`${dir}/link`, { mode: 0o200, read: (pos, count) => readFromBuffer(latin1(`${this.peerLinkUp(pidx) ? 'Y' : 'N'}\n\0`), pos, count) });
      this.addFile(`${dir}/link_event`, {
        mode: 0o200,
        write: (data, _pos, done) => {
          const val = kstrtoboolFromUser(cString(data));
          if (typeof val === 'number') return val;
          return this.waitEvent({ queue: 'link', cond: () => this.peerLinkUp(pidx) === val, done, size: data.length });
        },
      });
      for (const inmw of this.inmws[pidx] ?? []) this.addFile(`${dir}/mw_trans${inmw.widx}`, this.mwTransFile(inmw));
      for (const outmw of this.outmws) this.addFile(`${dir}/peer_mw_trans${outmw.widx}`, this.peerMwTransFile(pidx, outmw));
      for (let sidx = 0; sidx < counts.spads; sidx++) this.addFile(`${dir}/spad${sidx}`, this.spadFile(sidx, pidx));
      for (let midx = 0; midx < counts.msgs; midx++) {
        this.addFile(`${dir}/msg${midx}`, {
          mode: 0o600,
          write: (data) => {
            const val = kstrtou32(cString(data));
            if (val < 0) return val;
            const rc = ops.peerMsgWrite?.(pidx, midx, val) ?? -ERRNO.EINVAL;
            return rc !== 0 ? rc : data.length;
          },
        });
      }
    }
  }

  /** The message register files (tool_init_msgs / tool_setup_dbgfs): `msgN`, `msg_sts`, `msg_inbits`, `msg_outbits`, `msg_mask`, `msg_event`. */
  private setupMsgFiles(count: number): void {
    const ops = this.dev.ops;
    for (let midx = 0; midx < count; midx++) {
      // tool_inmsg_read: "0x%08x<-%d\n", the value and the peer index it came from.
      this.addFile(`msg${midx}`, {
        mode: 0o600,
        read: NtbTool.valueRead(() => {
          const m = ops.msgRead?.(midx) ?? { pidx: -1, msg: 0xffff_ffff };
          return `0x${(m.msg >>> 0).toString(16).padStart(8, '0')}<-${m.pidx}\n`;
        }),
      });
    }
    this.addFile('msg_sts', { mode: 0o600, read: this.fnRead(ops.msgReadSts?.bind(ops)), write: this.fnWrite(undefined, ops.msgClearSts?.bind(ops)) });
    this.addFile('msg_inbits', { mode: 0o600, read: this.fnRead(ops.msgInbits?.bind(ops)) });
    this.addFile('msg_outbits', { mode: 0o600, read: this.fnRead(ops.msgOutbits?.bind(ops)) });
    this.addFile('msg_mask', { mode: 0o600, write: this.fnWrite(ops.msgSetMask?.bind(ops), ops.msgClearMask?.bind(ops)) });
    this.addFile('msg_event', {
      mode: 0o600,
      write: (data, _pos, done) => {
        const val = kstrtoullFromUser(cString(data));
        if (typeof val === 'number') return val;
        return this.waitEvent({ queue: 'msg', cond: () => BigInt((ops.msgReadSts?.() ?? 0) >>> 0) === val, done, size: data.length });
      },
    });
  }

  /** Whether the link to peer `pidx` is up (ntb_link_is_up & BIT(pidx)). */
  private peerLinkUp(pidx: number): boolean {
    return ((this.dev.ops.linkIsUp().peers >>> pidx) & 1) === 1;
  }

  /** tool_link_write: kstrtobool, then ntb_link_enable(AUTO, AUTO) or ntb_link_disable (both may sleep); their error or the size. */
  private linkWrite(data: Uint8Array, done: ToolDone): number | null {
    const val = kstrtoboolFromUser(cString(data));
    if (typeof val === 'number') return val;
    return this.sleeping(done, (end) => {
      const after: NtbDone = (rc) => end(rc !== 0 ? rc : data.length);
      if (val) this.dev.ops.linkEnable('auto', 'auto', after);
      else this.dev.ops.linkDisable(after);
    });
  }

  /** A scratchpad file: local (`pidx` -1, tool_spad_read/write) or peer `pidx`'s (tool_peer_spad_read/write); `%#x\n`, kstrtou32. */
  private spadFile(sidx: number, pidx: number): ToolFile {
    const dev = this.dev;
    const local = pidx < 0;
    return {
      mode: 0o600,
      read: NtbTool.valueRead(() => {
        if (local ? dev.ops.spadRead === undefined : dev.ops.peerSpadRead === undefined) return -ERRNO.EINVAL;
        const v = local ? dev.spadRead(sidx, this.ctx()) : dev.peerSpadRead(pidx, sidx, this.ctx());
        return `${formatHexSpecial(v >>> 0)}\n`;
      }),
      write: (data) => {
        if (local ? dev.ops.spadWrite === undefined : dev.ops.peerSpadWrite === undefined) return -ERRNO.EINVAL;
        const val = kstrtou32(cString(data));
        if (val < 0) return val;
        const rc = local ? dev.spadWrite(sidx, val, this.ctx()) : dev.peerSpadWrite(pidx, sidx, val, this.ctx());
        return rc !== 0 ? rc : data.length;
      },
    };
  }

  // ---------------------------------------------------------------- inbound windows

  /** ntb_mw_get_align: -ENOTCONN unless the link to `pidx` is up (ntb.h), then the driver's op. */
  private mwGetAlign(pidx: number, widx: number): ReturnType<NtbDevice['ops']['mwGetAlign']> {
    if (!this.peerLinkUp(pidx)) return -ERRNO.ENOTCONN;
    return this.dev.ops.mwGetAlign(pidx, widx);
  }

  /** `peerN/mw_transN`: tool_mw_trans_read (the window's settings) and tool_mw_trans_write (kstrtouint: free, then set up a buffer of that size when not 0). */
  private mwTransFile(inmw: InMw): ToolFile {
    return {
      mode: 0o600,
      read: (pos, count) => {
        const align = this.mwGetAlign(inmw.pidx, inmw.widx);
        if (typeof align === 'number') return align;
        const key = this.dev.host.sim.seed;
        const s =
          `Inbound MW     \t${inmw.widx}\n` +
          `Port           \t${this.dev.peerPortNumber(inmw.pidx)} (${inmw.pidx})\n` +
          `Window Address \t0x${pointerK(inmw.buf === null ? null : inmw.buf.dmaAddr + LINEAR_MAP_OFFSET, key)}\n` +
          `DMA Address    \t${formatPhys(inmw.buf?.dmaAddr ?? 0)}\n` +
          `Window Size    \t${formatPhys(inmw.size)}\n` +
          `Alignment      \t${formatPhys(align.addrAlign)}\n` +
          `Size Alignment \t${formatPhys(align.sizeAlign)}\n` +
          `Size Max       \t${formatPhys(align.sizeMax)}\n`;
        return readFromBuffer(latin1(s.slice(0, Math.min(count, 512) - 1)), pos, count);
      },
      write: (data, _pos, done) => {
        const val = kstrtou32(cString(data));
        if (val < 0) return val;
        return this.sleeping(done, (end) =>
          this.freeMw(inmw, () => {
            if (val === 0) end(data.length);
            else this.setupMw(inmw, val, (rc) => end(rc !== 0 ? rc : data.length));
          }),
        );
      },
    };
  }

  /** tool_setup_mw: the size clamped to `size_max` and rounded up to both alignments, a coherent buffer, ntb_mw_set_trans (may sleep), then the `mwN` file. */
  private setupMw(inmw: InMw, reqSize: number, done: NtbDone): void {
    if (inmw.buf !== null) return done(0);
    const align = this.mwGetAlign(inmw.pidx, inmw.widx);
    if (typeof align === 'number') return done(align);
    const size = roundUp(roundUp(Math.min(reqSize, align.sizeMax), align.addrAlign), align.sizeAlign);
    const buf = size > 0 ? this.dev.ops.allocCoherent(size, align.addrAlign) : null;
    if (buf === null) return done(-ERRNO.ENOMEM);
    if (align.addrAlign > 0 && buf.dmaAddr % align.addrAlign !== 0) {
      this.dev.ops.freeCoherent(buf);
      return done(-ERRNO.ENOMEM);
    }
    inmw.buf = buf;
    inmw.size = size;
    this.dev.mwSetTrans({ pidx: inmw.pidx, widx: inmw.widx, addr: buf.dmaAddr, size }, (rc) => {
      if (rc !== 0) {
        this.dev.ops.freeCoherent(buf);
        inmw.buf = null;
        inmw.size = 0;
        return done(rc);
      }
      this.addFile(`peer${inmw.pidx}/mw${inmw.widx}`, this.mwFile(inmw));
      done(0);
    });
  }

  /** tool_free_mw: the `mwN` file removed; a set-up window's translation cleared (ntb_mw_clear_trans, may sleep) and its buffer freed. */
  private freeMw(inmw: InMw, done: () => void): void {
    this.removeFile(`peer${inmw.pidx}/mw${inmw.widx}`);
    const buf = inmw.buf;
    inmw.buf = null;
    inmw.size = 0;
    if (buf === null) return done();
    this.dev.mwClearTrans(inmw.pidx, inmw.widx, () => {
      this.dev.ops.freeCoherent(buf);
      done();
    });
  }

  /** `peerN/mwN`: tool_mw_read / tool_mw_write, simple_read_from_buffer / simple_write_to_buffer over the inbound buffer (-ENXIO once freed). */
  private mwFile(inmw: InMw): ToolFile {
    return {
      mode: 0o600,
      read: (pos, count) => (inmw.buf === null ? -ERRNO.ENXIO : readFromBuffer(inmw.buf.bytes.subarray(0, inmw.size), pos, count)),
      write: (data, pos) => {
        if (inmw.buf === null) return -ERRNO.ENXIO;
        if (pos >= inmw.size || data.length === 0) return 0;
        const n = Math.min(data.length, inmw.size - pos);
        inmw.buf.bytes.set(data.subarray(0, n), pos);
        return n;
      },
    };
  }

  // ---------------------------------------------------------------- outbound windows

  /** ntb_peer_mw_set_trans: the driver's op, or 0 at once without it (inbound-translation devices such as ntb_hw_epf). */
  private peerMwSetTrans(trans: { readonly pidx: number; readonly widx: number; readonly addr: bigint; readonly size: number }, done: NtbDone): void {
    const ops = this.dev.ops;
    if (ops.peerMwSetTrans === undefined) return done(0);
    ops.peerMwSetTrans({ ...trans, addr: Number(trans.addr) }, done);
  }

  /** ntb_peer_mw_clear_trans: the driver's op, or ntb_peer_mw_set_trans(0, 0). */
  private peerMwClearTrans(pidx: number, widx: number, done: NtbDone): void {
    const ops = this.dev.ops;
    if (ops.peerMwClearTrans === undefined) return this.peerMwSetTrans({ pidx, widx, addr: 0n, size: 0 }, done);
    ops.peerMwClearTrans(pidx, widx, done);
  }

  /** `peerN/peer_mw_transN`: tool_peer_mw_trans_read (the window's settings) and tool_peer_mw_trans_write (`ADDR:SIZE`: free, then map when SIZE is not 0). */
  private peerMwTransFile(pidx: number, outmw: OutMw): ToolFile {
    return {
      mode: 0o600,
      read: (pos, count) => {
        const map = this.dev.ops.peerMwGetAddr(outmw.widx);
        if (typeof map === 'number') return map;
        const key = this.dev.host.sim.seed;
        const attached = outmw.io !== null ? `${this.dev.peerPortNumber(outmw.pidx)} (${outmw.pidx})` : '-1 (-1)';
        const s =
          `Outbound MW:        \t${outmw.widx}\n` +
          `Port attached       \t${attached}\n` +
          `Virtual address     \t0x${pointerK(outmw.io === null ? null : outmw.mapBase, key)}\n` +
          `Phys Address        \t${formatPhys(map.base)}\n` +
          `Mapping Size        \t${formatPhys(map.size)}\n` +
          `Translation Address \t0x${outmw.trBase.toString(16).padStart(16, '0')}\n` +
          `Window Size         \t${formatPhys(outmw.size)}\n`;
        return readFromBuffer(latin1(s.slice(0, Math.min(count, 512) - 1)), pos, count);
      },
      write: (data, _pos, done) => {
        // copy_from_user of at most TOOL_BUF_LEN - 1 bytes, then sscanf("%lli:%zi").
        const r = scanAddrSize(cString(data, TOOL_BUF_LEN - 1));
        if (r === null) return -ERRNO.EINVAL;
        return this.sleeping(done, (end) =>
          this.freePeerMw(outmw, () => {
            if (r.size === 0n) end(data.length);
            else this.setupPeerMw({ pidx, outmw, addr: r.addr, size: Number(r.size) }, (rc) => end(rc !== 0 ? rc : data.length));
          }),
        );
      },
    };
  }

  /** tool_setup_peer_mw: ntb_peer_mw_get_addr, ntb_peer_mw_set_trans (may sleep), ioremap_wc (-EFAULT), then the `peer_mwN` file. */
  private setupPeerMw(req: { readonly pidx: number; readonly outmw: OutMw; readonly addr: bigint; readonly size: number }, done: NtbDone): void {
    const { pidx, outmw } = req;
    if (outmw.io !== null) return done(0);
    const map = this.dev.ops.peerMwGetAddr(outmw.widx);
    if (typeof map === 'number') return done(map);
    this.peerMwSetTrans({ pidx, widx: outmw.widx, addr: req.addr, size: req.size }, (rc) => {
      if (rc !== 0) return done(rc);
      const io = this.dev.ops.peerMwIoremap(outmw.widx);
      if (io === null) return this.peerMwClearTrans(pidx, outmw.widx, () => done(-ERRNO.EFAULT));
      outmw.io = io;
      outmw.mapBase = map.base;
      outmw.trBase = BigInt.asUintN(64, req.addr);
      outmw.size = req.size;
      outmw.pidx = pidx;
      this.addFile(`peer${pidx}/peer_mw${outmw.widx}`, this.peerMwFile(outmw));
      done(0);
    });
  }

  /** tool_free_peer_mw: the `peer_mwN` file removed; a mapped window unmapped and its translation cleared (may sleep). */
  private freePeerMw(outmw: OutMw, done: () => void): void {
    if (outmw.pidx >= 0) this.removeFile(`peer${outmw.pidx}/peer_mw${outmw.widx}`);
    const mapped = outmw.io !== null;
    const pidx = outmw.pidx;
    outmw.io = null;
    outmw.mapBase = 0;
    outmw.trBase = 0n;
    outmw.size = 0;
    outmw.pidx = -1;
    if (!mapped) return done();
    this.peerMwClearTrans(pidx, outmw.widx, () => done());
  }

  /**
   * `peerN/peer_mwN`: tool_peer_mw_read (memcpy_fromio: non-posted reads over the link, 32 bits
   * at a time here) and tool_peer_mw_write (memcpy_toio through the write-combined mapping:
   * posted, the bytes land in the peer's memory later); bounded by the size written to
   * `peer_mw_transN` and by the mapping; -EIO once unmapped.
   */
  private peerMwFile(outmw: OutMw): ToolFile {
    const limit = (io: IoWindow): number => Math.min(outmw.size, io.size);
    return {
      mode: 0o600,
      read: (pos, count) => {
        const io = outmw.io;
        if (io === null) return -ERRNO.EIO;
        const size = limit(io);
        if (pos >= size || count <= 0) return new Uint8Array(0);
        const n = Math.min(count, size - pos);
        const ctx = this.ctx();
        const out = new Uint8Array(n);
        const first = pos - (pos % 4);
        for (let off = first; off < pos + n; off += 4) {
          const word = off + 4 <= io.size ? io.ioread32(ctx, off) : 0;
          for (let b = 0; b < 4; b++) {
            const at = off + b - pos;
            if (at >= 0 && at < n) out[at] = (word >>> (8 * b)) & 0xff;
          }
        }
        return out;
      },
      write: (data, pos) => {
        const io = outmw.io;
        if (io === null) return -ERRNO.EIO;
        const size = limit(io);
        if (pos >= size || data.length === 0) return 0;
        const n = Math.min(data.length, size - pos);
        io.memcpyToio(this.ctx(), pos, data.slice(0, n), n);
        return n;
      },
    };
  }

  // ---------------------------------------------------------------- removal

  /**
   * @internal tool_remove. debugfs_remove_recursive waits for the writes in progress: until they
   * end (their condition holds, their device op returns, or the writer is signalled) the
   * instance keeps its context (the bus clears it when this returns: it is set again at once).
   * Then `clear`.
   */
  remove(): void {
    if (this.stage !== 'bound') return;
    // debugfs_remove_recursive unlinks the files first (no new open), then drains their users.
    for (const p of [...this.files.keys()]) this.removeFile(p);
    this.ctxHeld = false;
    if (this.active === 0) {
      this.clear();
      return;
    }
    this.stage = 'waitWriters';
    const sim = this.dev.host.sim;
    sim.at(sim.now, () => {
      if (this.stage === 'waitWriters') this.ctxHeld = this.dev.setCtx(this.ctxOps) === 0;
    });
  }

  /** The rest of tool_remove: the files gone, tool_clear_ntb (ntb_clear_ctx, ntb_link_disable), tool_clear_mws (outbound, then inbound windows), each sleeping op in turn. */
  private clear(): void {
    this.stage = 'clearing';
    if (this.ctxHeld) this.dev.clearCtx();
    this.ctxHeld = false;
    const steps: ((next: () => void) => void)[] = [
      (next) => this.dev.ops.linkDisable(() => next()),
      ...this.outmws.map((o) => (next: () => void) => this.freePeerMw(o, next)),
      ...this.inmws.flat().map((m) => (next: () => void) => this.freeMw(m, next)),
    ];
    const run = (i: number): void => {
      const step = steps[i];
      if (step !== undefined) {
        step(() => run(i + 1));
        return;
      }
      this.stage = 'removed';
      for (const fn of this.removedWaiters.splice(0)) fn();
    };
    run(0);
  }
}

/** The errno name of a negative return (ERESTART included). */
function errnoCode(rc: number): ToolError['code'] {
  if (rc === -ERESTART) return 'ERESTART';
  if (rc === -EISDIR) return 'EISDIR';
  const name = (Object.keys(ERRNO) as (keyof typeof ERRNO)[]).find((k) => ERRNO[k] === -rc);
  return name ?? 'EINVAL';
}

/**
 * The ntb_tool client (tool_init: `ntb_register_client(&tool_client)`). Its probe (tool_probe)
 * counts the peers (ntb_peer_port_count), the inbound windows per peer (ntb_mw_count), the
 * outbound windows (ntb_peer_mw_count), the scratchpads (ntb_spad_count) and the message
 * registers (ntb_msg_count, 0 without the ops), sets its context (-EINVAL when the device has
 * one) and creates the debugfs files; it does not enable the link (`echo Y > link` does).
 * A negative count fails the probe with -ENOMEM (devm_kcalloc of a huge count).
 */
export function createNtbToolClient(): NtbToolClient {
  const instances = new Map<string, NtbTool>();
  return {
    name: 'ntb_tool',
    instances,
    probe(dev: NtbDevice): number {
      const ops = dev.ops;
      const peers = dev.peerPortCount();
      const outMws = ops.peerMwCount();
      const inMws = Array.from({ length: Math.max(0, peers) }, (_, pidx) => ops.mwCount(pidx));
      const spads = dev.spadCount();
      const msgs = ops.msgCount?.() ?? 0;
      if ([peers, outMws, spads, msgs, ...inMws].some((n) => !Number.isInteger(n) || n < 0)) return -ERRNO.ENOMEM;
      const tool = new NtbTool(dev, { peers, inMws, outMws, spads, msgs });
      const rc = tool.attach();
      if (rc !== 0) return rc;
      instances.set(dev.name, tool);
      return 0;
    },
    remove(dev: NtbDevice): void {
      instances.get(dev.name)?.remove();
      instances.delete(dev.name);
    },
  };
}
