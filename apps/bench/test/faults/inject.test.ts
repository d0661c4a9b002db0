import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { fault, faultStatus, injectFault, parseFaultArgs, pendingRxFailures, scheduledFaults, stormState } from '../../src/faults/inject.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars, runScript } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';

const commands = labCommands({ fault });
const sh = (lab: Lab, board: 'rc' | 'ep', line: string) => runLine(line, { lab, board: lab.boards[board], vars: defaultVars(lab, lab.boards[board]) }, commands);

describe('the fault command', () => {
  const lab = bootLab({ seed: 3 });

  it('prints usage on --help and fails with status 2 and a hint on bad syntax, changing nothing', () => {
    expect(sh(lab, 'rc', 'fault --help').stdout).toContain('Usage: fault link down [silent]|up');
    const before = faultStatus(lab);
    for (const [line, msg] of [
      ['fault', 'missing operand'],
      ['fault frob', "unknown fault 'frob'"],
      ['fault link sideways', "invalid state 'sideways' (allowed up, down)"],
      ['fault link down now', "extra operand 'now'"],
      ['fault link up silent', "extra operand 'silent'"],
      ['fault link down silent now', "extra operand 'now'"],
      ['fault wc-linger -5', "invalid linger (ns) '-5' (allowed: a decimal integer ≥ 0)"],
      ['fault wc-linger 100 both extra', "extra operand 'extra'"],
      ['fault wc-linger 100 middle', "invalid side 'middle' (allowed rc, ep, both)"],
      ['fault drop-doorbells', 'missing count'],
      ['fault drop-msis 1e3', "invalid count '1e3' (allowed: a decimal integer ≥ 0)"],
      ['fault spurious-doorbell', 'missing target (ep SLOT or rc VECTOR)'],
      ['fault dma-error xx', "invalid side 'xx' (allowed rc, ep)"],
      ['fault stall-ep maybe', "invalid state 'maybe' (allowed on, off)"],
    ] as const) {
      const r = sh(lab, 'rc', line);
      expect({ line, ...r }).toEqual({ line, stdout: '', stderr: `fault: ${msg}\nTry 'fault --help' for more information.\n`, status: 2 });
    }
    expect(faultStatus(lab)).toBe(before);
  });

  it('rejects out-of-range values with status 1 and the allowed range, changing nothing', () => {
    const before = faultStatus(lab);
    expect(sh(lab, 'rc', 'fault spurious-doorbell ep 99')).toEqual({ stdout: '', stderr: 'fault: spurious-doorbell: slot: got 99, allowed an integer in 0..15\n', status: 1 });
    expect(sh(lab, 'rc', 'fault dma-error rc 0').stderr).toBe('fault: dma-error: count: got 0, allowed an integer in 1..1000000\n');
    expect(sh(lab, 'rc', 'fault wc-linger 2000000000').stderr).toBe('fault: wc-linger: ns: got 2000000000, allowed an integer in 0..1000000000\n');
    expect(sh(lab, 'ep', 'fault drop-msis 99999999').status).toBe(1);
    expect(faultStatus(lab)).toBe(before);
  });

  it('reload takes virtual time (rmmod and modprobe sleep in their EPF commands): the command returns when ntb0 is back; scheduled, it goes on while a second one is refused', () => {
    const l = bootLab({ seed: 5 });
    const t = l.sim.now;
    expect(sh(l, 'rc', 'fault reload')).toEqual({ stdout: '', stderr: '', status: 0 });
    // TEARDOWN_MW + LINK_DOWN, then LINK_UP: one run of the EP's command handler (every msecs_to_jiffies(5), 8 ms at HZ 250) each.
    expect(l.sim.now - t).toBeGreaterThan(16e6);
    expect(l.sim.now - t).toBeLessThan(40e6);
    expect(l.boards.rc.netdev()?.ndev.isUp).toBe(true);
    expect(faultStatus(l)).toContain('rc: reload: done\n');
    expect(sh(l, 'rc', 'fault --in 5 reload').status).toBe(0);
    l.sim.run({ until: l.sim.now + 6e6 });
    expect(faultStatus(l)).toMatch(/rc: reload: in progress \(\d NTB operations in flight\)\n/);
    expect(sh(l, 'rc', 'fault reload')).toEqual({ stdout: '', stderr: 'fault: reload: rc: a reload is still in progress (its rmmod or modprobe sleeping in an EPF command)\n', status: 1 });
    expect(sh(l, 'rc', 'fault reset').stderr).toBe('fault: reset: rc: ntb_netdev is not loaded\n');
    l.sim.run({ until: l.sim.now + 100e6 });
    expect(faultStatus(l)).toContain('rc: reload: done\n');
    l.sim.run({ until: l.sim.now + 1500e6 });
    expect(sh(l, 'ep', 'ping -c 1 10.0.0.1').status).toBe(0);
  });

  it('applies faults: link down/up takes both carriers down and back within 1.5 s (a host command times out in 1 s), rx-exhaust is armed', () => {
    const lab2 = bootLab({ seed: 4 });
    expect(sh(lab2, 'rc', 'fault link down').status).toBe(0);
    lab2.sim.run({ until: lab2.sim.now + 50e6 });
    expect(lab2.pair.fabric.linkUp).toBe(false);
    expect(sh(lab2, 'rc', 'fault show').stdout).toContain('pcie link: down');
    expect(lab2.boards.rc.netdev()?.ndev.netifCarrierOk()).toBe(false);
    expect(lab2.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(false);
    expect(sh(lab2, 'ep', 'fault link up').status).toBe(0);
    lab2.sim.run({ until: lab2.sim.now + 1500e6 });
    expect(lab2.boards.rc.netdev()?.ndev.netifCarrierOk()).toBe(true);
    expect(lab2.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(true);
    expect(sh(lab2, 'ep', 'fault link down silent').status).toBe(0);
    lab2.sim.run({ until: lab2.sim.now + 50e6 });
    expect(lab2.pair.fabric.linkUp).toBe(false);
    expect(sh(lab2, 'rc', 'fault show').stdout).toContain('pcie link: down (silent: neither device was told)\n');
    expect(lab2.boards.rc.netdev()?.ndev.netifCarrierOk()).toBe(true);
    expect(lab2.boards.ep.netdev()?.ndev.netifCarrierOk()).toBe(true);
    expect(sh(lab2, 'ep', 'fault link up').status).toBe(0);
    expect(sh(lab2, 'ep', 'fault rx-exhaust 7').status).toBe(0);
    expect(pendingRxFailures(lab2.boards.ep)).toBe(7);
    expect(pendingRxFailures(lab2.boards.rc)).toBe(0);
  });

  it('the API returns -EINVAL naming the field for bad arguments, and 0 otherwise', () => {
    let msg = '';
    expect(injectFault(lab, { kind: 'drop-msis', count: -1 }, (m) => (msg = m))).toBe(-22);
    expect(msg).toBe('count: got -1, allowed an integer in 0..1000000');
    expect(injectFault(lab, { kind: 'dma-error', side: 'rc', count: 1, channel: 99 }, (m) => (msg = m))).toBe(-22);
    expect(msg).toMatch(/^channel: got 99, allowed an integer in 0\.\.\d+$/);
    expect(injectFault(lab, { kind: 'nope' } as never, (m) => (msg = m))).toBe(-22);
    expect(msg).toMatch(/^kind: got "nope", allowed link, /);
    expect(injectFault(lab, { kind: 'drop-msis', count: 0 })).toBe(0);
    expect(parseFaultArgs(['fault', 'dma-error', 'ep', '3', '1'], 'rc')).toEqual({ kind: 'dma-error', side: 'ep', count: 3, channel: 1 });
    expect(parseFaultArgs(['fault', 'qp-link', 'down'], 'ep')).toEqual({ kind: 'qp-link', board: 'ep', up: false });
    expect(parseFaultArgs(['fault', 'reload'], 'rc')).toEqual({ kind: 'reload', board: 'rc' });
    expect(parseFaultArgs(['fault', 'reload', 'now'], 'rc')).toBe("extra operand 'now'");
    expect(injectFault(lab, { kind: 'reload', board: 'xx' } as never, (m) => (msg = m))).toBe(-22);
    expect(msg).toBe('board: got "xx", allowed rc or ep');
    // A flag that is not a boolean is refused, not read as falsy (the PCIe link stays up).
    for (const [spec, field] of [
      [{ kind: 'link' }, 'up: got undefined'],
      [{ kind: 'link', up: 'false' }, 'up: got "false"'],
      [{ kind: 'qp-link', board: 'rc', up: 0 }, 'up: got 0'],
      [{ kind: 'stall-ep', stalled: 'x' }, 'stalled: got "x"'],
    ] as const) {
      expect(injectFault(lab, spec as never, (m) => (msg = m))).toBe(-22);
      expect(msg).toBe(`${field}, allowed true or false`);
    }
    expect(lab.pair.fabric.linkUp).toBe(true);
  });

  it('a lab script with a bad fault line stops there with its line number', () => {
    const out = runScript(lab, ['# faults', 'rc$ fault show', 'ep$ fault drop-doorbells 0', 'rc$ fault wc-linger fast', 'rc$ fault show'].join('\n'), { name: 'f.lab', commands });
    expect(out.steps.map((s) => s.line)).toEqual([2, 3, 4]);
    expect(out.error).toBe("f.lab:4: 'fault wc-linger fast' failed with status 2: fault: invalid linger (ns) 'fast' (allowed: a decimal integer ≥ 0)");
  });

  describe('fault storm', () => {
    it('runs ethtool -L ntb0 combined N, one value per period, while other commands go on; fault show reports it', () => {
      const l = bootLab({ seed: 5, vntb: { mwSizes: [1 << 19, 1 << 19, 1 << 19, 1 << 19] } });
      const nd = l.boards.ep.netdev();
      expect(sh(l, 'ep', 'fault storm channels 2,4,1,3 10')).toEqual({ stdout: '', stderr: '', status: 0 });
      expect(sh(l, 'ep', 'fault storm mtu 1500 10')).toEqual({ stdout: '', stderr: 'fault: storm: ep: a channels storm is still running (4 of 4 left)\n', status: 1 });
      const seen: number[] = [];
      const t0 = l.sim.now;
      for (let i = 0; i < 4; i++) {
        l.sim.run({ until: t0 + i * 10_000_000 + 5_000_000 });
        seen.push(nd?.queues.length ?? 0);
      }
      expect(seen).toEqual([2, 4, 1, 3]);
      expect(stormState(l, 'ep')).toEqual({ what: 'channels', total: 4, applied: 4, failed: 0, lastError: '' });
      expect(faultStatus(l)).toContain('ep: channels storm: 4/4 run, 0 failed\n');
      expect(sh(l, 'rc', 'fault storm mtu 9000,1500 5').status).toBe(0);
      l.sim.run({ until: l.sim.now + 20_000_000 });
      expect(l.boards.rc.netdev()?.ndev.mtu).toBe(1500);
      expect(stormState(l, 'rc')).toMatchObject({ what: 'mtu', applied: 2, failed: 0 });
    });

    it('rejects bad storms with the allowed range (status 1) or a usage error (status 2), changing nothing', () => {
      const l = bootLab({ seed: 6 });
      const before = faultStatus(l);
      const t0 = l.sim.now;
      expect(sh(l, 'ep', 'fault storm channels 1,99').stderr).toMatch(/^fault: storm: values: got 99, allowed channel counts in 1\.\.\d+\n$/);
      expect(sh(l, 'ep', 'fault storm channels 0').stderr).toMatch(/^fault: storm: values: got 0, allowed channel counts in 1\.\.\d+\n$/);
      expect(sh(l, 'ep', 'fault storm mtu 9000,65511').stderr).toBe('fault: storm: values: got 65511, allowed MTUs in 0..65510\n');
      expect(sh(l, 'ep', 'fault storm mtu 9000 0').stderr).toBe('fault: storm: period: got 0, allowed an integer in 1..10000 (ms)\n');
      expect(sh(l, 'ep', 'fault storm channels 1 10001').status).toBe(1);
      for (const [line, msg] of [
        ['fault storm', 'missing what (channels or mtu)'],
        ['fault storm queues 1', "invalid storm 'queues' (allowed channels, mtu)"],
        ['fault storm mtu', 'missing values (V1,V2,...)'],
        ['fault storm mtu 9000,,1500', "invalid value '' (allowed: a decimal integer ≥ 0)"],
        ['fault storm mtu 9000 5 x', "extra operand 'x'"],
      ] as const) {
        expect(sh(l, 'ep', line)).toEqual({ stdout: '', stderr: `fault: ${msg}\nTry 'fault --help' for more information.\n`, status: 2 });
      }
      expect(faultStatus(l)).toBe(before);
      expect(l.sim.now).toBe(t0);
      expect(stormState(l, 'ep')).toBeUndefined();
      const base = bootLab({ seed: 6, params: { transport: {}, netdev: { variant: 'baseline' } } });
      expect(sh(base, 'ep', 'fault storm channels 1').stderr).toBe('fault: storm: ep: the baseline ntb_netdev has no channels to set\n');
    });
  });

  describe('fault --in', () => {
    it('injects the fault MS of virtual time later, checked when typed and again when due; fault show lists it', () => {
      const l = bootLab({ seed: 9 });
      const t0 = l.sim.now;
      expect(sh(l, 'ep', 'fault --in 10 link down')).toEqual({ stdout: '', stderr: '', status: 0 });
      expect(sh(l, 'ep', 'fault --in 20 link up').status).toBe(0);
      expect(l.pair.fabric.linkUp).toBe(true);
      l.sim.run({ until: t0 + 15_000_000 });
      expect(l.pair.fabric.linkUp).toBe(false);
      l.sim.run({ until: t0 + 25_000_000 });
      expect(l.pair.fabric.linkUp).toBe(true);
      expect(scheduledFaults(l).map((f) => [f.line, f.at - t0, f.outcome])).toEqual([
        ['link down', 10_000_000, 'done'],
        ['link up', 20_000_000, 'done'],
      ]);
      expect(faultStatus(l)).toMatch(/scheduled at \d+\.\d{3} s: fault link down: done\nscheduled at \d+\.\d{3} s: fault link up: done\n$/);
      expect(sh(l, 'ep', 'fault --in 5 rx-exhaust 3').status).toBe(0);
      expect(sh(l, 'ep', 'rmmod ntb_netdev').status).toBe(0);
      l.sim.run({ until: l.sim.now + 10_000_000 });
      expect(scheduledFaults(l).at(-1)?.outcome).toBe('rejected: ep: ntb_netdev is not loaded');
    });

    it('rejects a bad delay or fault at once (status 2 or 1) and schedules nothing', () => {
      const l = bootLab({ seed: 10 });
      for (const [line, msg] of [
        ['fault --in', 'missing delay (ms)'],
        ['fault --in x link down', "invalid delay (ms) 'x' (allowed: a decimal integer ≥ 0)"],
        ['fault --in 60001 link down', "invalid delay (ms) '60001' (allowed 0..60000)"],
        ['fault --in 5', 'missing operand'],
        ['fault --in 5 show', "'show' cannot be scheduled"],
        ['fault --in 5 link sideways', "invalid state 'sideways' (allowed up, down)"],
      ] as const) {
        expect(sh(l, 'ep', line)).toEqual({ stdout: '', stderr: `fault: ${msg}\nTry 'fault --help' for more information.\n`, status: 2 });
      }
      expect(sh(l, 'ep', 'fault --in 5 spurious-doorbell ep 99')).toEqual({ stdout: '', stderr: 'fault: spurious-doorbell: slot: got 99, allowed an integer in 0..15\n', status: 1 });
      expect(scheduledFaults(l)).toEqual([]);
    });
  });
});
