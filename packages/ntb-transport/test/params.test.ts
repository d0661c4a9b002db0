import { describe, expect, it } from 'vitest';
import { createNtbTransportClient, DEFAULT_TRANSPORT_PARAMS, PROBE_TIME_PARAMS, TransportBus, TransportError, transportParams } from '../src/index.js';

describe('module parameters', () => {
  it("has the kernel's defaults", () => {
    expect(transportParams()).toEqual(DEFAULT_TRANSPORT_PARAMS);
    expect(DEFAULT_TRANSPORT_PARAMS).toMatchObject({ transportMtu: 65536, maxMwSize: 0, maxNumClients: 0, copyBytes: 1024, useDma: false, useMsi: false, txMemcpyOffload: false });
    // The multi-channel DMA series' parameters: off, one channel each.
    expect(DEFAULT_TRANSPORT_PARAMS).toMatchObject({ useTxDma: false, useRxDma: false, numTxDmaChan: 1, numRxDmaChan: 1 });
  });

  it('names the kernel parameter, the value and what is allowed', () => {
    expect(() => transportParams({ maxNumClients: 256 })).toThrow('ntb_transport.max_num_clients: got 256, allowed an integer in 0..255');
    expect(() => transportParams({ transportMtu: 12 })).toThrow(/transport_mtu: got 12, allowed an integer in 13\.\.4294967295/);
    expect(() => transportParams({ useDma: 'yes' })).toThrow(/use_dma: got "yes", allowed a boolean/);
    expect(() => transportParams({ numRxDmaChan: -1 })).toThrow('ntb_transport.num_rx_dma_chan: got -1, allowed an integer in 0..4294967295');
    expect(() => transportParams({ bogus: 1 } as never)).toThrow(TransportError);
    expect(() => transportParams({ bogus: 1 } as never)).toThrow(/unknown parameter bogus; known: transportMtu, /);
    expect(() => transportParams({ copy_bytes: 5 } as never)).toThrow(/unknown parameter copy_bytes \(the kernel's copy_bytes is the field copyBytes\); known: /);
    // A value JSON cannot show is shown as itself.
    expect(() => transportParams({ copyBytes: Number.NaN })).toThrow('ntb_transport.copy_bytes: got NaN, allowed');
    expect(() => transportParams({ copyBytes: Number.POSITIVE_INFINITY })).toThrow('got Infinity');
  });

  it('max_mw_size: 0 (no cap) or one 4 KiB page at least', () => {
    for (const bad of [1, 4095, -1, 1.5]) expect(() => transportParams({ maxMwSize: bad })).toThrow(/^\[ntb-transport\] ntb_transport\.max_mw_size: got [-\d.]+, allowed 0 \(no cap\) or an integer in 4096\.\.9007199254740991/);
    for (const good of [0, 4096, 1 << 20]) expect(transportParams({ maxMwSize: good }).maxMwSize).toBe(good);
  });

  it("a loaded module's setParam changes its parameters in place; a bad value is EINVAL, a probe-time one EPERM, both leaving it as it was", () => {
    const client = createNtbTransportClient({ bus: new TransportBus(), params: { copyBytes: 512 } });
    client.setParam('copyBytes', 4096);
    client.setParam('useTxDma', true);
    expect(client.params).toMatchObject({ copyBytes: 4096, useTxDma: true });
    expect(() => client.setParam('transportMtu', 12)).toThrow(/transport_mtu: got 12, allowed an integer in 13\.\.4294967295/);
    expect(() => client.setParam('maxNumClients', 2)).toThrow(expect.objectContaining({ code: 'EPERM', message: expect.stringMatching(/max_num_clients: read only when a device is probed/) as unknown }));
    expect(() => client.setParam('useMsi', true)).toThrow(expect.objectContaining({ code: 'EPERM' }));
    expect(client.params).toMatchObject({ transportMtu: 65536, maxNumClients: 0, useMsi: false });
    expect([...PROBE_TIME_PARAMS]).toEqual(['maxNumClients', 'useMsi']);
  });
});
