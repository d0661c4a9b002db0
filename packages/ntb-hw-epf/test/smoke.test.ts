import { describe, expect, it } from 'vitest';
import { linkUp, probedPair } from './helpers.js';

describe('createEpfPair smoke', () => {
  it('probes the host driver, registers both devices and brings the link up', () => {
    const { sim, pair } = probedPair();
    expect(pair.probe().state).toBe('done');
    expect(pair.buses.rc.deviceList).toContain(pair.rc);
    expect(pair.buses.ep.deviceList).toContain(pair.ep);
    expect(linkUp(sim, pair)).toBe(0);
    expect(pair.rc.ops.linkIsUp().peers).toBe(1);
    expect(pair.ep.ops.linkIsUp().peers).toBe(1);
  });
});
