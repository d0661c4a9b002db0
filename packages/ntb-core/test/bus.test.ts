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

  it('rejects double registration and unknown removals with errno-coded errors', () => {
    const bus = createNtbBus();
    const d = createNtbDev({ name: 'd', host, ops: fakeOps() });
    bus.registerDevice(d);
    expect(() => bus.registerDevice(d)).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    expect(() => bus.registerDevice(createNtbDev({ name: 'd', host, ops: fakeOps() }))).toThrow(/already registered/);
    expect(() => bus.unregisterClient(client('x', []))).toThrow(expect.objectContaining({ code: 'ENODEV' }));
  });
});
