/**
 * ntb_tool over two hosts joined by the EPF hardware (ntb_hw_epf on the RC, pci-epf-vntb on the
 * EP): its files, link up and down from both sides, doorbells in both EPF doorbell modes,
 * scratchpads, memory windows end to end, the blocking writes, removal and every error path.
 */
import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { EISDIR, ERESTART, ToolError } from '../src/index.js';
import { cat, echo, echoRet, linkUp, runFor, toolRig } from './harness.js';

const EINVAL = -ERRNO.EINVAL;

describe('probe and the debugfs tree', () => {
  it('creates the kernel files: no msg* (EPF has no message registers), one peer, one window each way, a spadN per scratchpad on both levels', () => {
    const { tool } = toolRig();
    expect(tool.rc.list()).toEqual(['port', 'link', 'db', 'db_valid_mask', 'db_mask', 'db_event', 'peer_db', 'peer_db_mask', 'spad0', 'spad1', 'spad2', 'spad3', 'peer0']);
    expect(tool.ep.list('peer0')).toEqual(['port', 'link', 'link_event', 'mw_trans0', 'peer_mw_trans0', 'spad0', 'spad1', 'spad2', 'spad3']);
    expect(tool.rc.list('peer1')).toBeNull();
    expect([tool.rc.kind('peer0'), tool.rc.kind('/peer0/link/'), tool.rc.kind('msg0')]).toEqual(['dir', 'file', null]);
    expect([tool.rc.mode('link'), tool.rc.mode('peer0/link'), tool.rc.mode('peer0/link_event'), tool.rc.mode('nope')]).toEqual([0o600, 0o200, 0o200, null]);
  });

  it('ports: both EPF devices report port 0 and peer port 0 (no port ops, NTB_TOPO_NONE)', () => {
    const { tool } = toolRig();
    for (const t of [tool.rc, tool.ep]) expect([cat(t, 'port'), cat(t, 'peer0/port')]).toEqual(['0\n', '0\n']);
  });

  it('does not enable the link at probe: peer0/link reads "N\\n" and its NUL (3 bytes, tool_peer_link_read)', () => {
    const { tool } = toolRig();
    expect(cat(tool.rc, 'peer0/link')).toBe('N\n\0');
    expect(cat(tool.ep, 'peer0/link')).toBe('N\n\0');
  });
});

describe('link', () => {
  it('echo Y > link on the RC sleeps in LINK_UP (an EPF command) and brings both sides up; echo N takes both down', () => {
    const rig = toolRig();
    const up = echo(rig.sim, rig.tool.rc, 'link', 'Y');
    expect(up.blocked).toBe(true);
    expect(up.ret).toBe(2);
    expect(up.elapsedNs).toBeGreaterThan(0);
    expect(up.elapsedNs).toBeLessThan(1_000_000_000);
    expect([cat(rig.tool.rc, 'peer0/link'), cat(rig.tool.ep, 'peer0/link')]).toEqual(['Y\n\0', 'Y\n\0']);
    expect(echo(rig.sim, rig.tool.rc, 'link', 'N').ret).toBe(2);
    expect([cat(rig.tool.rc, 'peer0/link'), cat(rig.tool.ep, 'peer0/link')]).toEqual(['N\n\0', 'N\n\0']);
  });

  it('the EP (pci-epf-vntb) link enable and disable are no-ops: its echo returns but only the host moves the link', () => {
    const rig = toolRig();
    expect(echo(rig.sim, rig.tool.ep, 'link', 'Y').ret).toBe(2);
    expect(cat(rig.tool.rc, 'peer0/link')).toBe('N\n\0');
    linkUp(rig);
    expect(echo(rig.sim, rig.tool.ep, 'link', 'N').ret).toBe(2);
    expect([cat(rig.tool.rc, 'peer0/link'), cat(rig.tool.ep, 'peer0/link')]).toEqual(['Y\n\0', 'Y\n\0']);
  });

  it('takes kstrtobool: y/t/1/on enable, n/f/0/off disable, anything else EINVAL; link has no read handler (EINVAL)', () => {
    const rig = toolRig();
    for (const v of ['yes', 'T', '1', 'on']) expect(echo(rig.sim, rig.tool.rc, 'link', v).ret).toBe(v.length + 1);
    expect(cat(rig.tool.rc, 'peer0/link')).toBe('Y\n\0');
    for (const v of ['no', 'F', '0', 'off']) expect(echo(rig.sim, rig.tool.rc, 'link', v).ret).toBe(v.length + 1);
    expect(cat(rig.tool.rc, 'peer0/link')).toBe('N\n\0');
    for (const v of ['', 'maybe', 'o', ' Y']) expect(echoRet(rig.sim, rig.tool.rc, 'link', v)).toBe(EINVAL);
    expect(cat(rig.tool.rc, 'link')).toBe(EINVAL);
    expect(cat(rig.tool.rc, 'peer0/link')).toBe('N\n\0');
  });
});

describe('link_event: blocks until the link is in the state written', () => {
  it('echo Y > peer0/link_event on the EP returns when the host brings the link up, echo N when it takes it down', () => {
    const rig = toolRig();
    let upAt = -1;
    expect(rig.tool.ep.write('peer0/link_event', 'Y\n', (ret) => (upAt = ret === 2 ? rig.sim.now : -2))).toBeNull();
    expect(rig.tool.ep.pendingWrites).toBe(1);
    runFor(rig.sim, 100_000_000);
    expect(upAt).toBe(-1);
    const t0 = rig.sim.now;
    expect(echo(rig.sim, rig.tool.rc, 'link', 'Y').ret).toBe(2);
    runFor(rig.sim, 10_000_000);
    expect(upAt).toBeGreaterThan(t0);
    expect(rig.tool.ep.pendingWrites).toBe(0);
    // Already in the state written: returns at once.
    expect(rig.tool.ep.write('peer0/link_event', 'Y\n', () => undefined)).toBe(2);
    let downAt = -1;
    expect(rig.tool.ep.write('peer0/link_event', 'N\n', (ret) => (downAt = ret === 2 ? rig.sim.now : -2))).toBeNull();
    expect(echo(rig.sim, rig.tool.rc, 'link', 'N').ret).toBe(2);
    runFor(rig.sim, 10_000_000);
    expect(downAt).toBeGreaterThan(upAt);
  });

  it('bad input is EINVAL; a signal ends the wait with -ERESTART; it has no read handler', () => {
    const rig = toolRig();
    expect(echoRet(rig.sim, rig.tool.ep, 'peer0/link_event', 'x')).toBe(EINVAL);
    const seen: number[] = [];
    expect(rig.tool.ep.write('peer0/link_event', 'Y\n', (ret) => seen.push(ret))).toBeNull();
    runFor(rig.sim, 1_000_000);
    expect(rig.tool.ep.interrupt()).toBe(1);
    runFor(rig.sim, 1);
    expect(seen).toEqual([-ERESTART]);
    expect(cat(rig.tool.ep, 'peer0/link_event')).toBe(EINVAL);
  });
});

describe('doorbells', () => {
  it('per-bit: peer_db rings the peer, db reads the accumulated bits as %#llx, c clears them; db_valid_mask per side', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    // The host's db_count is its MSI vectors (16): bits 0..13 (BIT(db_count - 2) - 1); the EP's, vNTB's 4 slots less the link and the unused one.
    expect([cat(rig.tool.rc, 'db_valid_mask'), cat(rig.tool.ep, 'db_valid_mask')]).toEqual(['0x3fff\n', '0x3\n']);
    expect(cat(rig.tool.rc, 'db')).toBe('0x0\n');
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 1')).toBe(4);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 0x2')).toBe(6);
    // The vNTB keeps only its valid bits: bit 2 rings nothing, and the write still succeeds.
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 0x4')).toBe(6);
    runFor(rig.sim, 1_000_000);
    expect(cat(rig.tool.rc, 'db')).toBe('0x3\n');
    expect(echoRet(rig.sim, rig.tool.rc, 'db', 'c 1')).toBe(4);
    expect(cat(rig.tool.rc, 'db')).toBe('0x2\n');
    expect(echoRet(rig.sim, rig.tool.rc, 'db', 'c -1')).toBe(5);
    expect(cat(rig.tool.rc, 'db')).toBe('0x0\n');
    // Host → EP: the vNTB polls its doorbell slots every msecs_to_jiffies(5) (8 ms at HZ 250).
    expect(echoRet(rig.sim, rig.tool.rc, 'peer_db', 's 2')).toBe(4);
    expect(cat(rig.tool.ep, 'db')).toBe('0x0\n');
    runFor(rig.sim, 10_000_000);
    expect(cat(rig.tool.ep, 'db')).toBe('0x2\n');
  });

  it('legacy: the host db_read is the vector number + 1 (irq_no + 1) and the EP sees host bit b as bit b + 1, as mainline ntb_hw_epf / pci-epf-vntb', () => {
    const rig = toolRig({ doorbell: 'legacy' });
    linkUp(rig);
    expect([cat(rig.tool.rc, 'db_valid_mask'), cat(rig.tool.ep, 'db_valid_mask')]).toEqual(['0x7fff\n', '0xf\n']);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 1')).toBe(4);
    runFor(rig.sim, 1_000_000);
    expect(cat(rig.tool.rc, 'db')).toBe('0x3\n');
    expect(echoRet(rig.sim, rig.tool.rc, 'db', 'c 1')).toBe(4);
    expect(cat(rig.tool.rc, 'db')).toBe('0x0\n');
    expect(echoRet(rig.sim, rig.tool.rc, 'peer_db', 's 1')).toBe(4);
    runFor(rig.sim, 10_000_000);
    expect(cat(rig.tool.ep, 'db')).toBe('0x2\n');
  });

  it('the ops EPF lacks are EINVAL (tool_fn_read / tool_fn_write with a NULL op): db set, db_mask read, peer_db read and clear, peer_db_mask; db_mask set/clear are the drivers\' no-ops', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    for (const t of [rig.tool.rc, rig.tool.ep]) {
      expect(echoRet(rig.sim, t, 'db', 's 1')).toBe(EINVAL);
      expect(cat(t, 'db_mask')).toBe(EINVAL);
      expect(echoRet(rig.sim, t, 'db_mask', 's 1')).toBe(4);
      expect(echoRet(rig.sim, t, 'db_mask', 'c 1')).toBe(4);
      expect(cat(t, 'peer_db')).toBe(EINVAL);
      expect(echoRet(rig.sim, t, 'peer_db', 'c 1')).toBe(EINVAL);
      expect(cat(t, 'peer_db_mask')).toBe(EINVAL);
      expect(echoRet(rig.sim, t, 'peer_db_mask', 's 1')).toBe(EINVAL);
      expect(echoRet(rig.sim, t, 'peer_db_mask', 'c 1')).toBe(EINVAL);
      expect(echoRet(rig.sim, t, 'db_valid_mask', 's 1')).toBe(EINVAL);
    }
  });

  it('tool_fn_write syntax: "%c %lli" — a command other than s/c, a missing or non-numeric value are EINVAL; s1 and octal parse', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    for (const v of ['x 1', 's', 's zz', '', ' 1', 'S 1']) expect(echoRet(rig.sim, rig.tool.rc, 'db', v)).toBe(EINVAL);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's1')).toBe(3);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 02')).toBe(5);
    runFor(rig.sim, 1_000_000);
    expect(cat(rig.tool.rc, 'db')).toBe('0x3\n');
  });

  it('the host rings only the lowest bit of a write and refuses a bit beyond its doorbells (ntb_epf_peer_db_set: EINVAL)', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer_db', 's 0x80000000')).toBe(EINVAL);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer_db', 's 3')).toBe(4);
    runFor(rig.sim, 10_000_000);
    expect(cat(rig.tool.ep, 'db')).toBe('0x1\n');
  });

  it('a short read gets what scnprintf fits in min(count, 32) bytes (tool_fn_read)', () => {
    const { tool } = toolRig({ doorbell: 'per-bit' });
    expect(cat(tool.rc, 'db_valid_mask', 3)).toBe('0x');
    expect(cat(tool.rc, 'db_valid_mask', 1)).toBe('');
  });
});

describe('db_event: blocks until db_read equals the value written', () => {
  it('returns when the peer rings the bits (woken by the doorbell event), at once when db already equals it', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    let at = -1;
    expect(rig.tool.rc.write('db_event', '0x1\n', (ret) => (at = ret === 4 ? rig.sim.now : ret))).toBeNull();
    runFor(rig.sim, 50_000_000);
    expect(at).toBe(-1);
    const rung = rig.sim.now;
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 1')).toBe(4);
    runFor(rig.sim, 1_000_000);
    expect(at).toBeGreaterThan(rung);
    expect(at - rung).toBeLessThan(100_000);
    expect(echoRet(rig.sim, rig.tool.rc, 'db_event', '1')).toBe(2);
  });

  it('waits for equality, not for the bits: db 0x3 does not end a wait for 0x1; a wake with the condition false sleeps on', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    const seen: number[] = [];
    expect(rig.tool.rc.write('db_event', '1\n', (ret) => seen.push(ret))).toBeNull();
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 2')).toBe(4);
    runFor(rig.sim, 1_000_000);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 1')).toBe(4);
    runFor(rig.sim, 1_000_000);
    expect(cat(rig.tool.rc, 'db')).toBe('0x3\n');
    expect(seen).toEqual([]);
    // Clearing bit 1 locally raises no doorbell event: the waiter is not woken.
    expect(echoRet(rig.sim, rig.tool.rc, 'db', 'c 2')).toBe(4);
    runFor(rig.sim, 1_000_000);
    expect(seen).toEqual([]);
    expect(rig.tool.rc.interrupt()).toBe(1);
    runFor(rig.sim, 1);
    expect(seen).toEqual([-ERESTART]);
  });

  it('kstrtou64: EINVAL for junk, ERANGE above u64; no read handler', () => {
    const rig = toolRig();
    expect(echoRet(rig.sim, rig.tool.rc, 'db_event', 'one')).toBe(EINVAL);
    expect(echoRet(rig.sim, rig.tool.rc, 'db_event', '0x10000000000000000')).toBe(-ERRNO.ERANGE);
    expect(cat(rig.tool.rc, 'db_event')).toBe(EINVAL);
  });
});

describe('scratchpads', () => {
  it('local and peer round trip: the EP\'s spadN is the RC\'s peer0/spadN and the reverse, printed %#x', () => {
    const rig = toolRig();
    expect(echoRet(rig.sim, rig.tool.ep, 'spad0', '0x01020304')).toBe(11);
    expect(cat(rig.tool.ep, 'spad0')).toBe('0x1020304\n');
    expect(cat(rig.tool.rc, 'peer0/spad0')).toBe('0x1020304\n');
    expect(echoRet(rig.sim, rig.tool.ep, 'peer0/spad1', '4294967295')).toBe(11);
    expect(cat(rig.tool.ep, 'peer0/spad1')).toBe('0xffffffff\n');
    expect(cat(rig.tool.rc, 'spad1')).toBe('0xffffffff\n');
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/spad2', '010')).toBe(4);
    expect(cat(rig.tool.ep, 'spad2')).toBe('0x8\n');
    expect(cat(rig.tool.ep, 'spad3')).toBe('0x0\n');
  });

  it('kstrtou32: ERANGE above 32 bits, EINVAL for junk, a sign or trailing text; ENOENT past the last scratchpad', () => {
    const rig = toolRig();
    expect(echoRet(rig.sim, rig.tool.rc, 'spad0', '0x100000000')).toBe(-ERRNO.ERANGE);
    for (const v of ['abc', '-1', '1 2', '0x', '']) expect(echoRet(rig.sim, rig.tool.rc, 'spad0', v)).toBe(EINVAL);
    expect(echoRet(rig.sim, rig.tool.rc, 'spad0', '+7')).toBe(3);
    expect(cat(rig.tool.rc, 'spad0')).toBe('0x7\n');
    expect(cat(rig.tool.rc, 'spad4')).toBe(-ERRNO.ENOENT);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/spad4', '1')).toBe(-ERRNO.ENOENT);
  });
});

describe('memory windows', () => {
  it('mw_trans + peer_mw, the header comment\'s example: the peer\'s bytes land in the inbound buffer, both ways', () => {
    const rig = toolRig();
    linkUp(rig);
    for (const [owner, writer, word] of [
      ['rc', 'ep', 'olleH'],
      ['ep', 'rc', 'Hello'],
    ] as const) {
      const own = rig.tool[owner];
      const wr = rig.tool[writer];
      const setup = echo(rig.sim, own, 'peer0/mw_trans0', '16384');
      expect(setup.ret).toBe(6);
      expect(own.list('peer0')).toContain('mw0');
      expect(echo(rig.sim, wr, 'peer0/peer_mw_trans0', '0xADD0BA5E:16384').ret).toBe(17);
      expect(wr.list('peer0')).toContain('peer_mw0');
      expect(echoRet(rig.sim, wr, 'peer0/peer_mw0', word)).toBe(6);
      runFor(rig.sim, 1_000_000);
      expect(cat(own, 'peer0/mw0', 7)).toBe(`${word}\n\0`);
      // head -c 7 through the outbound window: memcpy_fromio over the link.
      expect(cat(wr, 'peer0/peer_mw0', 7)).toBe(`${word}\n\0`);
      // The owner writes its buffer; the writer reads it back through its window.
      expect(echoRet(rig.sim, own, 'peer0/mw0', 'XY')).toBe(3);
      expect(cat(wr, 'peer0/peer_mw0', 4)).toBe(`XY\n${word[3] ?? ''}`);
    }
  });

  it('mw_trans reads as tool_mw_trans_read prints it; the size is rounded up to the 4 KiB alignment; the RC sleeps in CONFIGURE_MW', () => {
    const rig = toolRig();
    linkUp(rig);
    const r = echo(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '5000');
    expect(r).toMatchObject({ ret: 5, blocked: true });
    expect(r.elapsedNs).toBeGreaterThan(0);
    expect(cat(rig.tool.rc, 'peer0/mw_trans0')).toMatch(
      /^Inbound MW {5}\t0\nPort {11}\t0 \(0\)\nWindow Address \t0x00000000[0-9a-f]{8}\nDMA Address {4}\t0x[0-9a-f]{16}\nWindow Size {4}\t0x0000000000002000\nAlignment {6}\t0x0000000000001000\nSize Alignment \t0x0000000000000001\nSize Max {7}\t0x0000000000100000\n$/,
    );
    expect(cat(rig.tool.rc, 'peer0/mw0')).toHaveLength(8192);
    // Larger than the window: clamped to size_max.
    expect(echo(rig.sim, rig.tool.rc, 'peer0/mw_trans0', String(4 << 20)).ret).toBe(8);
    expect(cat(rig.tool.rc, 'peer0/mw_trans0')).toContain('Window Size    \t0x0000000000100000\n');
    // 0 frees it: mw0 is gone, the settings read zero.
    expect(echo(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '0').ret).toBe(2);
    expect(rig.tool.rc.list('peer0')).not.toContain('mw0');
    expect(cat(rig.tool.rc, 'peer0/mw_trans0')).toContain('Window Address \t0x0000000000000000\nDMA Address    \t0x0000000000000000\nWindow Size    \t0x0000000000000000\n');
    expect(cat(rig.tool.rc, 'peer0/mw0')).toBe(-ERRNO.ENOENT);
  });

  it('peer_mw_trans reads as tool_peer_mw_trans_read prints it; ADDR is only recorded on EPF (no peer_mw_set_trans); SIZE 0 unmaps', () => {
    const rig = toolRig();
    const before = cat(rig.tool.ep, 'peer0/peer_mw_trans0');
    expect(before).toMatch(/^Outbound MW: {8}\t0\nPort attached {7}\t-1 \(-1\)\nVirtual address {5}\t0x0{16}\nPhys Address {8}\t0x[0-9a-f]{16}\nMapping Size {8}\t0x0000000000100000\nTranslation Address \t0x0{16}\nWindow Size {9}\t0x0{16}\n$/);
    // No sleeping op on EPF: the write returns at once.
    expect(rig.tool.ep.write('peer0/peer_mw_trans0', '-1:4096\n', () => undefined)).toBe(8);
    expect(cat(rig.tool.ep, 'peer0/peer_mw_trans0')).toMatch(/Port attached {7}\t0 \(0\)\nVirtual address {5}\t0x00000000[0-9a-f]{8}\n.*Translation Address \t0xffffffffffffffff\nWindow Size {9}\t0x0000000000001000\n$/s);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer0/peer_mw_trans0', '0:0')).toBe(4);
    expect(rig.tool.ep.list('peer0')).not.toContain('peer_mw0');
    expect(cat(rig.tool.ep, 'peer0/peer_mw_trans0')).toBe(before);
  });

  it('peer_mw is bounded by the size written: a write at its end is cut, one past it writes nothing (0)', () => {
    const rig = toolRig();
    linkUp(rig);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '4096')).toBe(5);
    expect(echoRet(rig.sim, rig.tool.ep, 'peer0/peer_mw_trans0', '0:8')).toBe(4);
    const done = (): void => undefined;
    expect(rig.tool.ep.write('peer0/peer_mw0', '0123456789', done, { offset: 4 })).toBe(4);
    expect(rig.tool.ep.write('peer0/peer_mw0', 'z', done, { offset: 8 })).toBe(0);
    expect(rig.tool.ep.read('peer0/peer_mw0', { offset: 8 })).toEqual(new Uint8Array(0));
    runFor(rig.sim, 1_000_000);
    expect(cat(rig.tool.rc, 'peer0/mw0', 9)).toBe('\0\0\0\x000123\0');
  });

  it('mw_trans errors: ENOTCONN with the link down (ntb_mw_get_align), EINVAL / ERANGE from kstrtouint; peer_mw_trans: EINVAL unless ADDR:SIZE', () => {
    const rig = toolRig();
    expect(cat(rig.tool.rc, 'peer0/mw_trans0')).toBe(-ERRNO.ENOTCONN);
    expect(echo(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '4096').ret).toBe(-ERRNO.ENOTCONN);
    expect(rig.tool.rc.list('peer0')).not.toContain('mw0');
    linkUp(rig);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/mw_trans0', 'big')).toBe(EINVAL);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '0x100000000')).toBe(-ERRNO.ERANGE);
    for (const v of ['4096', '0x1000:', ':4096', 'a:1', '1;2']) expect(echoRet(rig.sim, rig.tool.rc, 'peer0/peer_mw_trans0', v)).toBe(EINVAL);
    // copy_from_user of 31 bytes: a SIZE past them is not seen.
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/peer_mw_trans0', `${'0'.repeat(30)}:4096`)).toBe(EINVAL);
    expect(cat(rig.tool.rc, 'peer0/mw_trans1')).toBe(-ERRNO.ENOENT);
    expect(cat(rig.tool.rc, 'peer0/peer_mw0')).toBe(-ERRNO.ENOENT);
  });
});

describe('files and their handlers', () => {
  it('a missing file is ENOENT, a directory EISDIR, a file without the handler EINVAL; readText throws ToolError with the code', () => {
    const rig = toolRig();
    const t = rig.tool.rc;
    const noop = (): void => undefined;
    expect([t.read('nope'), t.read('peer0'), t.read('')]).toEqual([-ERRNO.ENOENT, -EISDIR, -EISDIR]);
    expect([t.write('nope', '1\n', noop), t.write('peer0', '1\n', noop)]).toEqual([-ERRNO.ENOENT, -EISDIR]);
    expect([t.write('port', '1\n', noop), t.write('peer0/port', '1\n', noop), t.write('peer0/link', 'Y\n', noop)]).toEqual([EINVAL, EINVAL, EINVAL]);
    expect(t.read('port', { offset: -1 })).toBe(EINVAL);
    expect(t.readText('port')).toBe('0\n');
    expect(() => t.readText('db_mask')).toThrow(ToolError);
    const thrown = ((): unknown => {
      try {
        return t.readText('spad9');
      } catch (e) {
        return e;
      }
    })();
    expect(thrown).toBeInstanceOf(ToolError);
    expect(thrown).toMatchObject({ code: 'ENOENT', message: '[ntb-tool] read spad9: ENOENT' });
  });

  it('reads honour the file position (simple_read_from_buffer)', () => {
    const { tool } = toolRig();
    expect(String.fromCharCode(...(tool.rc.read('peer0/link', { offset: 1 }) as Uint8Array))).toBe('\n\0');
    expect(tool.rc.read('peer0/link', { offset: 3 })).toEqual(new Uint8Array(0));
  });
});

describe('removal (tool_remove)', () => {
  it('rmmod of the RC disables the link and tears down its windows: the EP sees the link down', () => {
    const rig = toolRig();
    linkUp(rig);
    expect(echoRet(rig.sim, rig.tool.rc, 'peer0/mw_trans0', '4096')).toBe(5);
    const tool = rig.tool.rc;
    rig.pair.buses.rc.unregisterClient(rig.clients.rc);
    expect(tool.removing).toBe(true);
    expect(tool.list()).toEqual(['peer0']);
    let removed = false;
    tool.whenRemoved(() => (removed = true));
    runFor(rig.sim, 100_000_000);
    expect(removed).toBe(true);
    expect(tool.removing).toBe(false);
    expect(rig.pair.rc.sleepingOps).toBe(0);
    expect(cat(rig.tool.ep, 'peer0/link')).toBe('N\n\0');
    expect(rig.clients.rc.instances.size).toBe(0);
  });

  it('waits for a blocked writer (debugfs_remove_recursive), which still gets its events; it goes on once the write returns', () => {
    const rig = toolRig({ doorbell: 'per-bit' });
    linkUp(rig);
    const seen: number[] = [];
    expect(rig.tool.rc.write('db_event', '1\n', (ret) => seen.push(ret))).toBeNull();
    const tool = rig.tool.rc;
    rig.pair.buses.rc.unregisterClient(rig.clients.rc);
    runFor(rig.sim, 100_000_000);
    expect(tool.removing).toBe(true);
    expect(cat(rig.tool.ep, 'peer0/link')).toBe('Y\n\0');
    expect(echoRet(rig.sim, rig.tool.ep, 'peer_db', 's 1')).toBe(4);
    runFor(rig.sim, 100_000_000);
    expect(seen).toEqual([2]);
    expect(tool.removing).toBe(false);
    expect(cat(rig.tool.ep, 'peer0/link')).toBe('N\n\0');
  });

  it('a reload binds again, with the link left as the removal left it', () => {
    const rig = toolRig();
    linkUp(rig);
    rig.pair.buses.rc.unregisterClient(rig.clients.rc);
    runFor(rig.sim, 100_000_000);
    rig.pair.buses.rc.registerClient(rig.clients.rc);
    const again = rig.clients.rc.instances.get(rig.pair.rc.name);
    expect(again).toBeDefined();
    expect(again === undefined ? null : cat(again, 'peer0/link')).toBe('N\n\0');
  });
});
