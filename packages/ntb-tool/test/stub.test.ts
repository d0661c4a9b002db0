/**
 * ntb_tool on a bare ntb-core device with the ops no EPF device has: message registers
 * (`msgN`, `msg_sts`, `msg_inbits`, `msg_outbits`, `msg_mask`, `msg_event`, `peerN/msgN`),
 * db_set / peer doorbell reads and masks, and an outbound-translation window
 * (ntb_peer_mw_set_trans, as IDT's); and tool_probe's failures.
 */
import { createHost, createSimulation, ERRNO, getProfile, type ExecContext } from '@ntbsim/kernel';
import { createNtbDev, type IoWindow, type NtbDev, type NtbDevOps, type NtbMwTrans } from '@ntbsim/ntb-core';
import { describe, expect, it } from 'vitest';
import { createNtbToolClient, ERESTART, type NtbTool } from '../src/index.js';
import { cat, echoRet } from './harness.js';

/** Run `f` for its effect; 0 (an op's success). */
const ok = (f: () => unknown): number => {
  f();
  return 0;
};

/** A device with every optional op, its registers plain fields. */
function stubDevice(options: { ioremapFails?: boolean } = {}) {
  const sim = createSimulation({ seed: 3 });
  const host = createHost(sim, { name: 'h', profile: getProfile('rcar-s4') });
  const st = { db: 0, dbMask: 0, peerDb: 0, peerDbMask: 0, msgSts: 0, msgMask: 0, inMsgs: [0x11, 0x22], outMsgs: [] as [number, number, number][], peerTrans: [] as NtbMwTrans[], cleared: 0 };
  const mem = new Uint8Array(64);
  const io: IoWindow = {
    size: 64,
    memcpyToio: (_ctx: ExecContext, off: number, data: Uint8Array | null) => void (data === null ? undefined : mem.set(data, off)),
    iowrite32: () => undefined,
    ioread32: (_ctx: ExecContext, off: number) => (mem[off] ?? 0) | ((mem[off + 1] ?? 0) << 8) | ((mem[off + 2] ?? 0) << 16) | (((mem[off + 3] ?? 0) << 24) >>> 0),
    barrier: () => undefined,
  };
  const ops: NtbDevOps = {
    portNumber: () => 3,
    peerPortCount: () => 1,
    peerPortNumber: (pidx) => (pidx === 0 ? 7 : -ERRNO.EINVAL),
    peerPortIdx: (port) => (port === 7 ? 0 : -ERRNO.EINVAL),
    linkIsUp: () => ({ peers: 1, speed: 3, width: 4 }),
    linkEnable: (_s, _w, done) => done(0),
    linkDisable: (done) => done(0),
    mwCount: () => 0,
    mwGetAlign: () => -ERRNO.EINVAL,
    peerMwCount: () => 1,
    peerMwGetAddr: () => ({ base: 0x4000_0000, size: 64 }),
    peerMwSetTrans: (t, done) => {
      st.peerTrans.push(t);
      done(0);
    },
    peerMwClearTrans: (_p, _w, done) => {
      st.cleared++;
      done(0);
    },
    dbValidMask: () => 0xffff_ffff,
    dbRead: () => st.db,
    dbSet: (b) => ok(() => {
      st.db = (st.db | b) >>> 0;
    }),
    dbClear: (b) => ok(() => {
      st.db = (st.db & ~b) >>> 0;
    }),
    dbReadMask: () => st.dbMask,
    dbSetMask: (b) => ok(() => {
      st.dbMask |= b;
    }),
    dbClearMask: (b) => ok(() => {
      st.dbMask &= ~b;
    }),
    peerDbSet: (b) => ok(() => {
      st.peerDb |= b;
    }),
    peerDbRead: () => st.peerDb,
    peerDbClear: (b) => ok(() => {
      st.peerDb &= ~b;
    }),
    peerDbReadMask: () => st.peerDbMask,
    peerDbSetMask: (b) => ok(() => {
      st.peerDbMask |= b;
    }),
    peerDbClearMask: (b) => ok(() => {
      st.peerDbMask &= ~b;
    }),
    msgCount: () => 2,
    msgRead: (midx) => ({ pidx: 0, msg: st.inMsgs[midx] ?? 0 }),
    peerMsgWrite: (pidx, midx, msg) => (midx < 2 ? ok(() => st.outMsgs.push([pidx, midx, msg])) : -ERRNO.EINVAL),
    msgInbits: () => 0x3,
    msgOutbits: () => 0x30,
    msgReadSts: () => st.msgSts,
    msgClearSts: (b) => ok(() => {
      st.msgSts &= ~b;
    }),
    msgSetMask: (b) => ok(() => {
      st.msgMask |= b;
    }),
    msgClearMask: (b) => ok(() => {
      st.msgMask &= ~b;
    }),
    allocCoherent: () => null,
    freeCoherent: () => undefined,
    peerMwIoremap: () => (options.ioremapFails === true ? null : io),
  };
  const dev = createNtbDev({ name: '0000:03:00.0', host, ops });
  return { sim, dev, st, mem };
}

function bind(dev: NtbDev): NtbTool {
  const client = createNtbToolClient();
  expect(client.probe(dev)).toBe(0);
  const tool = client.instances.get(dev.name);
  if (tool === undefined) throw new Error('not bound');
  return tool;
}

describe('a device with message registers and every doorbell op', () => {
  it('has the msg files (tool_setup_dbgfs order) and no scratchpad files (spad_count 0)', () => {
    const { dev } = stubDevice();
    const tool = bind(dev);
    expect(tool.list()).toEqual(['port', 'link', 'db', 'db_valid_mask', 'db_mask', 'db_event', 'peer_db', 'peer_db_mask', 'msg0', 'msg1', 'msg_sts', 'msg_inbits', 'msg_outbits', 'msg_mask', 'msg_event', 'peer0']);
    expect(tool.list('peer0')).toEqual(['port', 'link', 'link_event', 'peer_mw_trans0', 'msg0', 'msg1']);
    expect([cat(tool, 'port'), cat(tool, 'peer0/port')]).toEqual(['3\n', '7\n']);
  });

  it('msgN reads "0x%08x<-%d"; peerN/msgN writes ntb_peer_msg_write (kstrtou32); msg_sts clears only (s is EINVAL); the bit files read %#llx; msg_mask is write only', () => {
    const { sim, dev, st } = stubDevice();
    const tool = bind(dev);
    expect([cat(tool, 'msg0'), cat(tool, 'msg1')]).toEqual(['0x00000011<-0\n', '0x00000022<-0\n']);
    expect(echoRet(sim, tool, 'peer0/msg1', '0x01020304')).toBe(11);
    expect(st.outMsgs).toEqual([[0, 1, 0x01020304]]);
    expect(echoRet(sim, tool, 'peer0/msg0', '0x100000000')).toBe(-ERRNO.ERANGE);
    expect(cat(tool, 'peer0/msg0')).toBe(-ERRNO.EINVAL);
    st.msgSts = 0x5;
    expect(cat(tool, 'msg_sts')).toBe('0x5\n');
    expect(echoRet(sim, tool, 'msg_sts', 's 2')).toBe(-ERRNO.EINVAL);
    expect(echoRet(sim, tool, 'msg_sts', 'c 1')).toBe(4);
    expect(cat(tool, 'msg_sts')).toBe('0x4\n');
    expect([cat(tool, 'msg_inbits'), cat(tool, 'msg_outbits')]).toEqual(['0x3\n', '0x30\n']);
    expect(echoRet(sim, tool, 'msg_mask', 's 0xf')).toBe(6);
    expect(echoRet(sim, tool, 'msg_mask', 'c 0x3')).toBe(6);
    expect(st.msgMask).toBe(0xc);
    expect(cat(tool, 'msg_mask')).toBe(-ERRNO.EINVAL);
  });

  it('msg_event blocks until msg_read_sts equals the value, rechecked at each message event (tool_msg_event)', () => {
    const { sim, dev, st } = stubDevice();
    const tool = bind(dev);
    const seen: number[] = [];
    expect(tool.write('msg_event', '0x2\n', (r) => seen.push(r))).toBeNull();
    st.msgSts = 0x2;
    sim.run({ until: sim.now + 1000 });
    expect(seen).toEqual([]);
    dev.msgEvent();
    sim.run({ until: sim.now + 1000 });
    expect(seen).toEqual([4]);
    expect(tool.write('msg_event', '0\n', (r) => seen.push(r))).toBeNull();
    expect(tool.interrupt()).toBe(1);
    sim.run({ until: sim.now + 1000 });
    expect(seen).toEqual([4, -ERESTART]);
  });

  it('db s/c call db_set / db_clear; db_mask, peer_db and peer_db_mask read and write through their ops; values print as u32 %#llx', () => {
    const { sim, dev, st } = stubDevice();
    const tool = bind(dev);
    expect(echoRet(sim, tool, 'db', 's 0x80000001')).toBe(13);
    expect(cat(tool, 'db')).toBe('0x80000001\n');
    expect(echoRet(sim, tool, 'db_mask', 's 6')).toBe(4);
    expect(cat(tool, 'db_mask')).toBe('0x6\n');
    expect(echoRet(sim, tool, 'peer_db', 's 0x30')).toBe(7);
    expect(echoRet(sim, tool, 'peer_db', 'c 0x10')).toBe(7);
    expect(cat(tool, 'peer_db')).toBe('0x20\n');
    expect(echoRet(sim, tool, 'peer_db_mask', 's 9')).toBe(4);
    expect(echoRet(sim, tool, 'peer_db_mask', 'c 1')).toBe(4);
    expect(cat(tool, 'peer_db_mask')).toBe('0x8\n');
    expect(cat(tool, 'db_valid_mask')).toBe('0xffffffff\n');
    // A u64 is cut to the contract's 32 bits.
    expect(echoRet(sim, tool, 'db', 'c 0x100000001')).toBe(14);
    expect(st.db).toBe(0x8000_0000);
  });

  it('db_event is not woken by a local `s` (no doorbell event): the condition is only rechecked when the ISR wakes the queue', () => {
    const { sim, dev } = stubDevice();
    const tool = bind(dev);
    const seen: number[] = [];
    expect(tool.write('db_event', '4\n', (r) => seen.push(r))).toBeNull();
    expect(echoRet(sim, tool, 'db', 's 4')).toBe(4);
    sim.run({ until: sim.now + 1000 });
    expect(seen).toEqual([]);
    dev.dbEvent(0, dev.host.syscallContext());
    sim.run({ until: sim.now + 1000 });
    expect(seen).toEqual([2]);
  });
});

describe('an outbound-translation window (ntb_peer_mw_set_trans)', () => {
  it('peer_mw_trans passes ADDR:SIZE to the op and maps the window; peer_mw writes and reads through it; SIZE 0 clears the translation', () => {
    const { sim, dev, st, mem } = stubDevice();
    const tool = bind(dev);
    expect(echoRet(sim, tool, 'peer0/peer_mw_trans0', '0xADD0BA5E:32')).toBe(14);
    expect(st.peerTrans).toEqual([{ pidx: 0, widx: 0, addr: 0xadd0ba5e, size: 32 }]);
    expect(cat(tool, 'peer0/peer_mw_trans0')).toMatch(/Port attached {7}\t7 \(0\)\n.*Phys Address {8}\t0x0000000040000000\nMapping Size {8}\t0x0000000000000040\nTranslation Address \t0x00000000add0ba5e\nWindow Size {9}\t0x0000000000000020\n$/s);
    expect(echoRet(sim, tool, 'peer0/peer_mw0', 'olleH')).toBe(6);
    expect(String.fromCharCode(...mem.subarray(0, 6))).toBe('olleH\n');
    expect(tool.read('peer0/peer_mw0', { offset: 1, count: 3 })).toEqual(Uint8Array.from('lle', (c) => c.charCodeAt(0)));
    // Re-writing frees the old mapping first (tool_free_peer_mw), then maps again.
    expect(echoRet(sim, tool, 'peer0/peer_mw_trans0', '0x1000:16')).toBe(10);
    expect(st.cleared).toBe(1);
    expect(echoRet(sim, tool, 'peer0/peer_mw_trans0', '0:0')).toBe(4);
    expect(st.cleared).toBe(2);
    expect(tool.list('peer0')).not.toContain('peer_mw0');
  });

  it('an ioremap_wc that fails is EFAULT, the translation cleared again', () => {
    const { sim, dev, st } = stubDevice({ ioremapFails: true });
    const tool = bind(dev);
    expect(echoRet(sim, tool, 'peer0/peer_mw_trans0', '0x1000:16')).toBe(-ERRNO.EFAULT);
    expect([st.peerTrans.length, st.cleared]).toEqual([1, 1]);
    expect(tool.list('peer0')).not.toContain('peer_mw0');
  });
});

describe('tool_probe', () => {
  it('fails with -EINVAL when the device already has a context (ntb_set_ctx), and binds nothing', () => {
    const { dev } = stubDevice();
    expect(dev.setCtx({})).toBe(0);
    const client = createNtbToolClient();
    expect(client.probe(dev)).toBe(-ERRNO.EINVAL);
    expect(client.instances.size).toBe(0);
  });

  it('fails with -ENOMEM on a negative count (devm_kcalloc of a huge size)', () => {
    const { dev } = stubDevice();
    const bad = createNtbDev({ name: 'x', host: dev.host, ops: { ...dev.ops, peerMwCount: () => -ERRNO.EINVAL } });
    expect(createNtbToolClient().probe(bad)).toBe(-ERRNO.ENOMEM);
  });
});
