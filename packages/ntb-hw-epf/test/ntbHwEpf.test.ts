import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createEpfPair, EpfCtrl, NTB_EPF_ARGUMENT, NTB_EPF_CMD_STATUS, NTB_EPF_COMMAND, NTB_EPF_MW_COUNT, type WcWindow } from '../src/index.js';
import { inStep, linkUp, probedPair, quietHosts, recordDb, runFor, runOp } from './helpers.js';

const MiB = 1 << 20;

/** The host's kernel log lines after `from`, without the printk timestamps. */
function logSince(host: { kmsg(): readonly string[] }, from: number): string[] {
  return host.kmsg().slice(from).map((l) => l.replace(/^\[[ \d.]+\] /, ''));
}

describe('ntb_hw_epf probe', () => {
  it('allocates 16 MSI vectors, sends CONFIGURE_DOORBELL(nvec) and registers once the EP answered', () => {
    const { sim, rc, ep } = quietHosts();
    const pair = createEpfPair({ rc, ep });
    pair.faults.stallEpHandler(true);
    runFor(sim, 1_000_000);
    const ctrl = new EpfCtrl(pair.ctrlBytes);
    expect(ctrl.u32(NTB_EPF_COMMAND)).toBe(1);
    expect(ctrl.u32(NTB_EPF_ARGUMENT)).toBe(16);
    expect(pair.probe()).toEqual({ state: 'pending', rc: null, at: null });
    expect(pair.buses.rc.deviceList).toHaveLength(0);
    expect(pair.rcIrqs()).toHaveLength(16);
    expect(pair.rcIrqs().every((irq) => irq.name === 'ntb_epf' && rc.irqs.get(irq.num) === irq)).toBe(true);
    pair.faults.stallEpHandler(false);
    runFor(sim, 100_000);
    expect(pair.probe()).toMatchObject({ state: 'done', rc: 0 });
    expect(ctrl.u32(NTB_EPF_COMMAND)).toBe(0);
    expect(ctrl.u16(NTB_EPF_CMD_STATUS)).toBe(0);
    expect(pair.buses.rc.deviceList).toEqual([pair.rc]);
    expect(pair.rc.name).toBe('0000:01:00.0');
    expect(pair.ep.name).toBe('0000:10:00.0');
  });

  it('completes within one EP command-handler period and reads the counts over PCIe', () => {
    const { pair } = probedPair();
    expect(pair.probe().at).toBeLessThan(8_200_000);
    const ops = pair.rc.ops;
    expect([pair.rc.spadCount(), ops.mwCount(0), ops.peerMwCount(), ops.dbValidMask()]).toEqual([128, 1, 1, 0x7fff]);
    expect('dbVectorCount' in ops).toBe(false);
    expect(pair.stats().rc).toMatchObject({ commands: 1, timeouts: 0, lastCommandRc: 0 });
  });

  it('per-bit host: db_valid_mask and vector ops cover db_count − 1 real doorbells', () => {
    const { pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'legacy' } });
    expect(pair.rc.ops.dbValidMask()).toBe(0x3fff);
    expect(pair.rc.dbVectorCount()).toBe(14);
    expect(pair.rc.dbVectorMask(13)).toBe(1 << 13);
    expect(pair.rc.dbVectorMask(14)).toBe(0);
  });

  it('fails the probe with -ETIMEDOUT when the EP never answers CONFIGURE_DOORBELL', () => {
    const { sim, rc, ep } = quietHosts();
    const pair = createEpfPair({ rc, ep });
    pair.faults.stallEpHandler(true);
    runFor(sim, 1_100_000_000);
    expect(pair.probe()).toMatchObject({ state: 'failed', rc: -ERRNO.ETIMEDOUT });
    expect(pair.rcIrqs()).toHaveLength(0);
    expect(pair.buses.rc.deviceList).toHaveLength(0);
    // ntb_epf_init_isr, ntb_epf_init_dev and ntb_epf_pci_probe each say so.
    expect(rc.kmsg().map((l) => l.replace(/^\[[ \d.]+\] /, ''))).toEqual(['ntb_hw_epf 0000:01:00.0: Failed to configure doorbell', 'ntb_hw_epf 0000:01:00.0: Failed to init ISR', 'ntb_hw_epf 0000:01:00.0: Failed to init device']);
  });
});

describe('ntb_hw_epf probe: MW count', () => {
  it('fails with -EINVAL and says "Unsupported MW count" when MW_COUNT exceeds NTB_EPF_MAX_MW_COUNT (ntb_epf_init_dev)', () => {
    const { sim, rc, ep } = quietHosts();
    const pair = createEpfPair({ rc, ep });
    pair.faults.stallEpHandler(true);
    runFor(sim, 1_000_000);
    new EpfCtrl(pair.ctrlBytes).setU32(NTB_EPF_MW_COUNT, 5);
    pair.faults.stallEpHandler(false);
    runFor(sim, 20_000_000);
    expect(pair.probe()).toMatchObject({ state: 'failed', rc: -ERRNO.EINVAL });
    expect(pair.buses.rc.deviceList).toHaveLength(0);
    expect(logSince(rc, 0)).toEqual(['ntb_hw_epf 0000:01:00.0: Unsupported MW count: 5', 'ntb_hw_epf 0000:01:00.0: Failed to init device']);
  });
});

describe('ntb_hw_epf error paths log what the driver logs', () => {
  it('peer index, MW index (idx < 0 or > mw_count only), MW size, scratchpad indices and the doorbell slot', () => {
    const { sim, rc, pair } = probedPair();
    const ops = pair.rc.ops;
    const from = rc.kmsg().length;
    expect(ops.mwCount(1)).toBe(-ERRNO.EINVAL);
    expect(ops.mwGetAlign(1, 0)).toBe(-ERRNO.EINVAL);
    expect(ops.mwGetAlign(0, 1)).toBe(-ERRNO.EINVAL); // idx == mw_count passes ntb_epf_mw_to_bar's check: no line
    expect(ops.mwGetAlign(0, 2)).toBe(-ERRNO.EINVAL);
    expect(ops.peerMwGetAddr(-1)).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: 0x4000_0000, size: MiB + 1 }, d))).toBe(-ERRNO.EINVAL);
    const out: number[] = [];
    inStep(rc, (ctx) => {
      out.push(ops.peerDbSet(1 << 14, ctx), ops.peerDbSet(1 << 13, ctx));
      out.push(pair.rc.spadRead(128, ctx), pair.rc.spadWrite(-1, 0, ctx), pair.rc.peerSpadRead(0, 200, ctx), pair.rc.peerSpadWrite(0, 128, 0, ctx), pair.rc.peerSpadWrite(2, 0, 0, ctx));
    });
    runFor(sim, 100_000);
    expect(out).toEqual([-ERRNO.EINVAL, 0, 0, -ERRNO.EINVAL, -ERRNO.EINVAL >>> 0, -ERRNO.EINVAL, -ERRNO.EINVAL]);
    expect(logSince(rc, from)).toEqual(
      [
        'Unsupported Peer ID 1',
        'Unsupported Peer ID 1',
        'Unsupported Memory Window index 2',
        'Unsupported Memory Window index -1',
        'Size:0x0000000000100001 is greater than the MW size 0x0000000000100000',
        'DB interrupt 16 greater than Max Supported 15',
        'READ: Invalid ScratchPad Index 128',
        'WRITE: Invalid ScratchPad Index -1',
        'WRITE: Invalid Peer ScratchPad Index 200',
        'WRITE: Invalid Peer ScratchPad Index 128',
        'Unsupported Peer ID 2',
      ].map((l) => `ntb_hw_epf 0000:01:00.0: ${l}`),
    );
  });

  it('per-bit host: an MSI on the reserved vector 1 warns through dev_warn_ratelimited (10 per 5 s, then "callbacks suppressed"); legacy takes it as vector 1', () => {
    const { sim, rc, pair } = probedPair({ doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    const events = recordDb(pair.rc);
    const from = rc.kmsg().length;
    for (let i = 0; i < 13; i++) {
      pair.faults.spuriousDoorbell({ to: 'rc', vector: 1 });
      runFor(sim, 100_000);
    }
    expect(events).toEqual([]);
    expect(pair.stats().rc.isrWarnings).toBe(13);
    const warn = 'ntb_hw_epf 0000:01:00.0: Unexpected reserved doorbell slot IRQ received';
    expect(logSince(rc, from)).toEqual(new Array<string>(10).fill(warn));
    runFor(sim, 5_100_000_000);
    pair.faults.spuriousDoorbell({ to: 'rc', vector: 1 });
    runFor(sim, 100_000);
    expect(logSince(rc, from + 10)).toEqual(['ntb_epf_vec_isr: 3 callbacks suppressed', warn]);

    const legacy = probedPair();
    const legacyEvents = recordDb(legacy.pair.rc);
    const legacyFrom = legacy.rc.kmsg().length;
    legacy.pair.faults.spuriousDoorbell({ to: 'rc', vector: 1 });
    runFor(legacy.sim, 100_000);
    expect(legacyEvents.map((e) => [e.vector, e.bits])).toEqual([[1, 2]]);
    expect(logSince(legacy.rc, legacyFrom)).toEqual([]);
  });
});

describe('ntb_hw_epf commands', () => {
  it('times out after 1 s when the EP command handler is stopped', () => {
    const { sim, pair } = probedPair();
    expect(linkUp(sim, pair)).toBe(0);
    pair.faults.stallEpHandler(true);
    const t0 = sim.now;
    const rc = runOp(sim, (done) => pair.rc.ops.linkDisable(done));
    expect(rc).toBe(-ERRNO.ETIMEDOUT);
    expect(sim.now - t0).toBeGreaterThanOrEqual(1_000_000_000);
    expect(sim.now - t0).toBeLessThan(1_000_100_000);
    expect(pair.stats().rc.timeouts).toBe(1);
    expect(pair.rc.ops.linkIsUp().peers).toBe(1);
    expect(pair.rc.host.kmsg().at(-1)).toMatch(/^\[ *\d+\.\d{6}\] ntb_hw_epf 0000:01:00\.0: Fail to disable link$/);
  });

  it('kernel weakness: a command the EP ran while the link was down leaves CMD_STATUS at OK (the host\'s clearing write was lost), so every later command returns before the EP has run it', () => {
    const { sim, pair } = probedPair();
    expect(linkUp(sim, pair)).toBe(0);
    const ctrl = new EpfCtrl(pair.ctrlBytes);
    // LINK_DOWN reaches the EP; the link dies before the host reads its status.
    const t0 = sim.now;
    let first: number | null = null;
    pair.rc.ops.linkDisable((rc) => (first = rc));
    for (let i = 0; i < 1000 && ctrl.u16(NTB_EPF_COMMAND) !== 6; i++) runFor(sim, 1_000);
    expect(ctrl.u16(NTB_EPF_COMMAND)).toBe(6);
    pair.faults.linkDown();
    runFor(sim, 1_100_000_000);
    // The host polled all-ones for 1 s (ntb_epf_send_command: WARN_ON(timedout), -ETIMEDOUT) and its writew(0, CMD_STATUS) was lost.
    expect(first).toBe(-ERRNO.ETIMEDOUT);
    expect(sim.now - t0).toBeGreaterThan(1_000_000_000);
    expect(ctrl.u16(NTB_EPF_CMD_STATUS)).toBe(1);
    pair.faults.linkUp();
    runFor(sim, 20_000_000);
    // The next command reads that stale OK on its first poll and returns at once; the EP runs
    // it at its next handler pass (every 4-8 ms) and leaves OK for the one after.
    const commandsBefore = pair.stats().ep.commands;
    const t1 = sim.now;
    let second: number | null = null;
    let returnedAt = 0;
    pair.rc.ops.linkEnable('auto', 'auto', (rc) => {
      second = rc;
      returnedAt = sim.now;
    });
    runFor(sim, 20_000_000);
    expect(second).toBe(0);
    expect(returnedAt - t1).toBeLessThan(100_000);
    expect(pair.stats().ep.commands).toBe(commandsBefore + 1);
    expect(ctrl.u16(NTB_EPF_CMD_STATUS)).toBe(1);
  });

  it('serialises commands: each one starts after the previous one finished', () => {
    const { sim, pair } = probedPair();
    const order: string[] = [];
    pair.rc.ops.linkEnable('auto', 'auto', (rc) => order.push(`up:${rc}`));
    pair.rc.ops.linkDisable((rc) => order.push(`down:${rc}`));
    pair.rc.ops.linkEnable('auto', 'auto', (rc) => order.push(`up:${rc}`));
    runFor(sim, 50_000_000);
    expect(order).toEqual(['up:0', 'down:0', 'up:0']);
    expect(pair.stats().ep.commands).toBe(4);
    expect(pair.ep.ops.linkIsUp().peers).toBe(1);
  });
});

describe('ntb_hw_epf memory windows', () => {
  it('reports BAR2 alignment and size, and the peer MW address', () => {
    const { pair } = probedPair();
    const ops = pair.rc.ops;
    expect(ops.mwGetAlign(0, 0)).toEqual({ addrAlign: 4096, sizeAlign: 1, sizeMax: MiB });
    expect(ops.mwGetAlign(1, 0)).toBe(-ERRNO.EINVAL);
    expect(ops.mwGetAlign(0, 1)).toBe(-ERRNO.EINVAL);
    expect(ops.peerMwGetAddr(0)).toEqual({ base: pair.config.bars.bar2.base, size: MiB });
    expect(ops.peerMwGetAddr(1)).toBe(-ERRNO.EINVAL);
    expect(ops.peerMwIoremap(1)).toBeNull();
  });

  it('mw_set_trans checks the size against the BAR, then programs the EP outbound window', () => {
    const { sim, ep, pair } = probedPair();
    const ops = pair.rc.ops;
    const buf = ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    expect(buf.dmaAddr % 4096).toBe(0);
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB + 1 }, d))).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 1, widx: 0, addr: buf.dmaAddr, size: MiB }, d))).toBe(-ERRNO.EINVAL);
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 2, addr: buf.dmaAddr, size: MiB }, d))).toBe(-ERRNO.EINVAL);
    expect(pair.stats().rc.commands).toBe(1);
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr, size: MiB }, d))).toBe(0);
    const w = pair.ep.ops.peerMwIoremap(0);
    inStep(ep, (ctx) => w?.memcpyToio(ctx, 0x1234, new Uint8Array([0xaa, 0xbb]), 2));
    runFor(sim, 100_000);
    expect(Array.from(buf.bytes.slice(0x1233, 0x1237))).toEqual([0, 0xaa, 0xbb, 0]);
    expect(runOp(sim, (d) => pair.rc.mwClearTrans(0, 0, d))).toBe(0);
    inStep(ep, (ctx) => w?.memcpyToio(ctx, 0, new Uint8Array([1]), 1));
    runFor(sim, 100_000);
    expect(buf.bytes[0]).toBe(0);
    expect((w as WcWindow).unmappedWrites).toBe(1);
  });

  it('returns 0 from mw_set_trans even when the EP rejects an unaligned address (as the kernel does)', () => {
    const { sim, ep, pair } = probedPair();
    const buf = pair.rc.ops.allocCoherent(MiB, 4096);
    if (buf === null) throw new Error('alloc');
    expect(runOp(sim, (d) => pair.rc.mwSetTrans({ pidx: 0, widx: 0, addr: buf.dmaAddr + 8, size: 4096 }, d))).toBe(0);
    expect(pair.stats().rc.lastCommandRc).toBe(-ERRNO.EINVAL);
    const w = pair.ep.ops.peerMwIoremap(0) as WcWindow;
    inStep(ep, (ctx) => w.iowrite32(ctx, 0, 1));
    runFor(sim, 100_000);
    expect(w.unmappedWrites).toBe(1);
  });
});

describe('ntb_hw_epf register costs', () => {
  it('charges 3 MMIO reads + 1 posted write to the caller of peer_db_set', () => {
    const { sim, rc, pair } = probedPair();
    runFor(sim, 100_000);
    const costs: number[] = [];
    inStep(rc, (ctx) => {
      expect(pair.rc.ops.peerDbSet(1, ctx)).toBe(0);
      costs.push(ctx.time - ctx.start);
      expect(pair.rc.ops.peerDbSet(1 << 14, ctx)).toBe(-ERRNO.EINVAL);
      costs.push(ctx.time - ctx.start);
    });
    runFor(sim, 100_000);
    expect(costs).toEqual([3 * 1500 + 100, 3 * 1500 + 100]);
    expect(pair.dbBytes[2 * 4]).toBe(3);
  });

  it('scratchpad accesses re-read SPAD_OFFSET over PCIe (a read waits 2 ns behind the 4-byte write before it); indices are checked', () => {
    const { sim, rc, pair } = probedPair();
    runFor(sim, 100_000);
    const ntb = pair.rc;
    const out: number[] = [];
    inStep(rc, (ctx) => {
      let t = ctx.time;
      const lap = (): void => {
        out.push(Math.round(ctx.time - t));
        t = ctx.time;
      };
      ntb.spadWrite(1, 7, ctx);
      lap();
      out.push(ntb.spadRead(1, ctx));
      lap();
      ntb.peerSpadWrite(0, 2, 9, ctx);
      lap();
      out.push(ntb.peerSpadRead(0, 2, ctx));
      lap();
      out.push(ntb.spadRead(128, ctx), ntb.spadWrite(-1, 0, ctx), ntb.peerSpadWrite(1, 0, 0, ctx), ntb.peerSpadRead(0, 200, ctx));
      lap();
    });
    runFor(sim, 100_000);
    expect(out).toEqual([1600, 7, 3000 + 2, 100, 9, 1500 + 2, 0, -ERRNO.EINVAL, -ERRNO.EINVAL, -ERRNO.EINVAL >>> 0, 0]);
  });
});
