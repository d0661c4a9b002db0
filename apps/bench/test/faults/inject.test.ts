import { describe, expect, it } from 'vitest';
import { labCommands } from '../../src/commands.js';
import { fault, faultStatus, injectFault, parseFaultArgs, pendingRxFailures } from '../../src/faults/inject.js';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { defaultVars, runScript } from '../../src/lab/script.js';
import { runLine } from '../../src/lab/shell.js';

const commands = labCommands({ fault });
const sh = (lab: Lab, board: 'rc' | 'ep', line: string) => runLine(line, { lab, board: lab.boards[board], vars: defaultVars(lab, lab.boards[board]) }, commands);

describe('the fault command', () => {
  const lab = bootLab({ seed: 3 });

  it('prints usage on --help and fails with status 2 and a hint on bad syntax, changing nothing', () => {
    expect(sh(lab, 'rc', 'fault --help').stdout).toContain('Usage: fault link down|up');
    const before = faultStatus(lab);
    for (const [line, msg] of [
      ['fault', 'missing operand'],
      ['fault frob', "unknown fault 'frob'"],
      ['fault link sideways', "invalid state 'sideways' (allowed up, down)"],
      ['fault link down now', "extra operand 'now'"],
      ['fault wc-linger -5', "invalid linger (ns) '-5'"],
      ['fault wc-linger 100 both extra', "extra operand 'extra'"],
      ['fault wc-linger 100 middle', "invalid side 'middle' (allowed rc, ep, both)"],
      ['fault drop-doorbells', 'missing count'],
      ['fault drop-msis 1e3', "invalid count '1e3'"],
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
  });

  it('a lab script with a bad fault line stops there with its line number', () => {
    const out = runScript(lab, ['# faults', 'rc$ fault show', 'ep$ fault drop-doorbells 0', 'rc$ fault wc-linger fast', 'rc$ fault show'].join('\n'), { name: 'f.lab', commands });
    expect(out.steps.map((s) => s.line)).toEqual([2, 3, 4]);
    expect(out.error).toBe("f.lab:4: 'fault wc-linger fast' failed with status 2: fault: invalid linger (ns) 'fast'");
  });
});
