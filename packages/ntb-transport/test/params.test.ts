import { describe, expect, it } from 'vitest';
import { DEFAULT_TRANSPORT_PARAMS, TransportError, transportParams } from '../src/index.js';

describe('module parameters', () => {
  it("has the kernel's defaults", () => {
    expect(transportParams()).toEqual(DEFAULT_TRANSPORT_PARAMS);
    expect(DEFAULT_TRANSPORT_PARAMS).toMatchObject({ transportMtu: 65536, maxMwSize: 0, maxNumClients: 0, copyBytes: 1024, useDma: false, useMsi: false, txMemcpyOffload: false });
  });

  it('names the kernel parameter, the value and what is allowed', () => {
    expect(() => transportParams({ maxNumClients: 256 })).toThrow('ntb_transport.max_num_clients: got 256, allowed an integer in 0..255');
    expect(() => transportParams({ transportMtu: 12 })).toThrow(/transport_mtu: got 12, allowed an integer in 13\.\.4294967295/);
    expect(() => transportParams({ useDma: 'yes' })).toThrow(/use_dma: got "yes", allowed a boolean/);
    expect(() => transportParams({ bogus: 1 } as never)).toThrow(TransportError);
    expect(() => transportParams({ bogus: 1 } as never)).toThrow(/unknown parameter bogus; known: transport_mtu/);
  });
});
