import { describe, expect, it } from 'vitest';
import { createNtbPerfClient, DEFAULT_PERF_PARAMS, MAX_CHUNK_ORDER, PERF_PARAM_NAMES, PerfError, perfParams } from '../src/index.js';

/** The PerfError `fn` throws (fails the test when it throws nothing or something else). */
function perfErrorOf(fn: () => unknown): PerfError {
  try {
    fn();
  } catch (e) {
    if (e instanceof PerfError) return e;
    throw new Error(`expected a PerfError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a PerfError, nothing was thrown');
}

describe('module parameters (module_param + perf_init)', () => {
  it("has the kernel's defaults: chunk_order 19, total_order 30, use_dma off, max_mw_size 0", () => {
    expect(DEFAULT_PERF_PARAMS).toEqual({ maxMwSize: 0, chunkOrder: 19, totalOrder: 30, useDma: false });
    expect(MAX_CHUNK_ORDER).toBe(20);
    expect(perfParams()).toEqual({ params: DEFAULT_PERF_PARAMS, log: [] });
    const client = createNtbPerfClient();
    expect(client.params).toEqual(DEFAULT_PERF_PARAMS);
    expect(client.initLog).toEqual([]);
    expect(client.name).toBe('ntb_perf');
    expect(client.instances.size).toBe(0);
  });

  it('names the parameters as the module does', () => {
    expect(PERF_PARAM_NAMES).toEqual({ maxMwSize: 'max_mw_size', chunkOrder: 'chunk_order', totalOrder: 'total_order', useDma: 'use_dma' });
  });

  it('keeps valid values as given, with nothing logged', () => {
    expect(perfParams({ maxMwSize: 0x40000, chunkOrder: 12, totalOrder: 12, useDma: true })).toEqual({
      params: { maxMwSize: 0x40000, chunkOrder: 12, totalOrder: 12, useDma: true },
      log: [],
    });
    // The byte range's ends, and chunk_order exactly at the 1 MiB limit.
    expect(perfParams({ chunkOrder: 0, totalOrder: 0 }).params).toMatchObject({ chunkOrder: 0, totalOrder: 0 });
    expect(perfParams({ chunkOrder: 20, totalOrder: 255 })).toEqual({ params: { ...DEFAULT_PERF_PARAMS, chunkOrder: 20, totalOrder: 255 }, log: [] });
    // An explicit undefined is a parameter not given.
    expect(perfParams({ chunkOrder: undefined, useDma: undefined }).params).toEqual(DEFAULT_PERF_PARAMS);
  });

  it('reduces chunk_order above 20 to 20 and says so', () => {
    expect(perfParams({ chunkOrder: 21 })).toEqual({ params: { ...DEFAULT_PERF_PARAMS, chunkOrder: 20 }, log: ['Chunk order reduced to 20'] });
    const client = createNtbPerfClient({ params: { chunkOrder: 25 } });
    expect(client.params.chunkOrder).toBe(20);
    expect(client.initLog).toEqual(['Chunk order reduced to 20']);
  });

  it('raises total_order below chunk_order to chunk_order, logging "Total data order reduced to N" as the kernel does', () => {
    expect(perfParams({ totalOrder: 12 })).toEqual({ params: { ...DEFAULT_PERF_PARAMS, totalOrder: 19 }, log: ['Total data order reduced to 19'] });
    expect(perfParams({ chunkOrder: 14, totalOrder: 13 }).log).toEqual(['Total data order reduced to 14']);
    // The chunk clamp comes first, so total_order is compared with the reduced chunk_order.
    expect(perfParams({ chunkOrder: 255, totalOrder: 10 })).toEqual({
      params: { ...DEFAULT_PERF_PARAMS, chunkOrder: 20, totalOrder: 20 },
      log: ['Chunk order reduced to 20', 'Total data order reduced to 20'],
    });
    expect(perfParams({ chunkOrder: 255, totalOrder: 21 }).log).toEqual(['Chunk order reduced to 20']);
  });

  it.each([
    ['chunkOrder', 256, 'chunk_order'],
    ['chunkOrder', -1, 'chunk_order'],
    ['chunkOrder', 1.5, 'chunk_order'],
    ['chunkOrder', '19', 'chunk_order'],
    ['chunkOrder', Number.NaN, 'chunk_order'],
    ['chunkOrder', null, 'chunk_order'],
    ['totalOrder', 256, 'total_order'],
    ['totalOrder', -3, 'total_order'],
    ['totalOrder', 22.5, 'total_order'],
    ['totalOrder', '22', 'total_order'],
    ['maxMwSize', -1, 'max_mw_size'],
    ['maxMwSize', 1.5, 'max_mw_size'],
    ['maxMwSize', Number.POSITIVE_INFINITY, 'max_mw_size'],
    ['maxMwSize', 2 ** 53, 'max_mw_size'],
    ['maxMwSize', '4096', 'max_mw_size'],
    ['useDma', 1, 'use_dma'],
    ['useDma', 'Y', 'use_dma'],
    ['useDma', null, 'use_dma'],
  ] as const)('rejects %s = %o with EINVAL naming %s', (key, value, name) => {
    const e = perfErrorOf(() => perfParams({ [key]: value }));
    expect(e.code).toBe('EINVAL');
    expect(e.name).toBe('PerfError');
    expect(e.message).toMatch(/^\[ntb-perf\] /);
    expect(e.message).toContain(`ntb_perf.${name}`);
    // As given: NaN and Infinity as themselves (JSON would say null).
    expect(e.message).toContain(`got ${typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value)}`);
  });

  it('rejects an unknown parameter, listing the known ones', () => {
    const e = perfErrorOf(() => perfParams({ chunk: 12 } as never));
    expect(e.code).toBe('EINVAL');
    expect(e.message).toContain('unknown parameter chunk');
    expect(e.message).toContain('max_mw_size, chunk_order, total_order, use_dma');
  });

  it('module init refuses a bad parameter: createNtbPerfClient throws before anything binds', () => {
    expect(perfErrorOf(() => createNtbPerfClient({ params: { chunkOrder: 300 } })).message).toContain('ntb_perf.chunk_order');
    expect(perfErrorOf(() => createNtbPerfClient({ params: { useDma: 'yes' as unknown as boolean } })).message).toContain('ntb_perf.use_dma');
  });
});
