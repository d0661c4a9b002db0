import { createHost, createSimulation, getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNtbBus, createNtbDev, type NtbClient, type NtbDevice } from '../src/index.js';
import { fakeOps } from './fakeOps.js';

const host = createHost(createSimulation(), { name: 'ep', profile: getProfile('rcar-s4') });

function client(name: string, log: string[], accept = true): NtbClient {
  return {
    name,
    probe: (d: NtbDevice) => (log.push(`${name}+${d.name}`), accept ? 0 : -19),
    remove: (d: NtbDevice) => void log.push(`${name}-${d.name}`),
  };
}

describe('NtbBus', () => {
  it('binds clients to devices in either registration order, one client per device', () => {
    const bus = createNtbBus();
    const log: string[] = [];
    const d1 = createNtbDev({ name: 'd1', host, ops: fakeOps() });
    const d2 = createNtbDev({ name: 'd2', host, ops: fakeOps() });
    bus.registerDevice(d1);
    const transport = client('ntb_transport', log);
    const tool = client('ntb_tool', log);
    bus.registerClient(transport);
    bus.registerClient(tool);
    bus.registerDevice(d2);
    expect(log).toEqual(['ntb_transport+d1', 'ntb_transport+d2']);
    expect(bus.clientOf(d2)).toBe(transport);
    bus.unregisterClient(transport);
    expect(log.slice(2)).toEqual(['ntb_transport-d1', 'ntb_transport-d2']);
    expect(bus.clientOf(d1)).toBeUndefined();
  });

  it('tries the next client when a probe fails, and unbinds on device removal', () => {
    const bus = createNtbBus();
    const log: string[] = [];
    bus.registerClient(client('picky', log, false));
    bus.registerClient(client('ok', log));
    const d = createNtbDev({ name: 'd', host, ops: fakeOps() });
    bus.registerDevice(d);
    expect(log).toEqual(['picky+d', 'ok+d']);
    bus.unregisterDevice(d);
    expect(log).toEqual(['picky+d', 'ok+d', 'ok-d']);
    expect(bus.deviceList).toHaveLength(0);
  });

  it('logs a failed probe as the driver core does (dev_err with the errno), a -ENODEV/-ENXIO rejection not at all', () => {
    const h = createHost(createSimulation(), { name: 'rc', profile: getProfile('rcar-s4') });
    const bus = createNtbBus();
    const failing = (name: string, rc: number): NtbClient => ({ name, probe: () => rc, remove: () => undefined });
    bus.registerClient(failing('rejects', -19));
    bus.registerClient(failing('nodev', -6));
    bus.registerClient(failing('ntb_perf', -22));
    bus.registerDevice(createNtbDev({ name: '0000:01:00.0', host: h, ops: fakeOps() }));
    expect(h.kmsg().map((l) => l.replace(/^\[ *[\d.]+\] /, ''))).toEqual(['ntb_perf 0000:01:00.0: probe with driver ntb_perf failed with error -22']);
  });

  it('refuses a client without probe or remove with EINVAL (__ntb_register_client, ntb_client_ops_is_valid) and never offers it a device', () => {
    const bus = createNtbBus();
    const log: string[] = [];
    const noRemove: Partial<NtbClient> = client('no_remove', log);
    delete noRemove.remove;
    const noProbe: Partial<NtbClient> = client('no_probe', log);
    delete noProbe.probe;
    expect(() => bus.registerClient(noRemove as NtbClient)).toThrow(expect.objectContaining({ code: 'EINVAL', message: '[ntb-core] client no_remove: ops refused (ntb_client_ops_is_valid): missing remove' }));
    expect(() => bus.registerClient(noProbe as NtbClient)).toThrow(expect.objectContaining({ code: 'EINVAL', message: '[ntb-core] client no_probe: ops refused (ntb_client_ops_is_valid): missing probe' }));
    expect(() => bus.registerClient({ name: 'none' } as NtbClient)).toThrow(/missing probe, remove$/);
    bus.registerDevice(createNtbDev({ name: 'd', host, ops: fakeOps() }));
    expect(log).toEqual([]);
    expect(() => bus.unregisterClient(noRemove as NtbClient)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });

  it('registers a device with no context, whatever was set on it before (ntb_register_device: ctx and ctx_ops NULL)', () => {
    const bus = createNtbBus();
    const d = createNtbDev({ name: 'd', host, ops: fakeOps() });
    const seen: string[] = [];
    expect(d.setCtx({ linkEvent: () => seen.push('stale') })).toBe(0);
    bus.registerDevice(d);
    expect(d.ctx).toBeNull();
    d.linkEvent();
    expect(seen).toEqual([]);
    bus.registerClient({ name: 'c', probe: (ntb) => ntb.setCtx({ linkEvent: () => seen.push('bound') }), remove: (ntb) => ntb.clearCtx() });
    d.linkEvent();
    expect(seen).toEqual(['bound']);
  });

  it('rejects double registration and unknown removals with errno-coded errors', () => {
    const bus = createNtbBus();
    const d = createNtbDev({ name: 'd', host, ops: fakeOps() });
    bus.registerDevice(d);
    expect(() => bus.registerDevice(d)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => bus.registerDevice(createNtbDev({ name: 'd', host, ops: fakeOps() }))).toThrow(/already registered/);
    expect(() => bus.unregisterClient(client('x', []))).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});
