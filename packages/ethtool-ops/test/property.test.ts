/**
 * Random `ethtool -L` sequences on both paths against random devices, checked against a small
 * oracle of the kernel rules: counts never leave [0, max] nor drop the last RX or TX channel,
 * a rejected request changes nothing, an accepted one is applied exactly, and a CHANNELS_NTF
 * follows every change and nothing else.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEthtoolNotifier, runEthtool, type EthtoolChannels, type EthtoolChannelsRequest, type EthtoolPath } from '../src/index.js';
import { fakeDevice } from './fakeDevice.js';

const deviceArb = fc.oneof(
  fc.integer({ min: 1, max: 64 }).chain((max) =>
    fc.integer({ min: 1, max }).map((c): EthtoolChannels => ({ maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: max, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: c })),
  ),
  fc.integer({ min: 1, max: 8 }).chain((max) =>
    fc
      .tuple(fc.integer({ min: 1, max }), fc.integer({ min: 1, max }))
      .map(([rx, tx]): EthtoolChannels => ({ maxRx: max, maxTx: max, maxOther: 0, maxCombined: 0, rxCount: rx, txCount: tx, otherCount: 0, combinedCount: 0 })),
  ),
  fc
    .record({ maxC: fc.integer({ min: 1, max: 16 }), maxR: fc.integer({ min: 1, max: 4 }), maxO: fc.integer({ min: 0, max: 2 }) })
    .chain(({ maxC, maxR, maxO }) =>
      fc.integer({ min: 1, max: maxC }).map((c): EthtoolChannels => ({ maxRx: maxR, maxTx: maxR, maxOther: maxO, maxCombined: maxC, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: c })),
    ),
);

const countArb = fc.oneof(
  { weight: 8, arbitrary: fc.integer({ min: 0, max: 20 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 70 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff_ffff }) },
);

const requestArb = fc.record(
  { rx: countArb, tx: countArb, other: countArb, combined: countArb },
  { requiredKeys: [] },
) as fc.Arbitrary<EthtoolChannelsRequest>;

function merge(cur: EthtoolChannels, req: EthtoolChannelsRequest): EthtoolChannels {
  return {
    ...cur,
    rxCount: req.rx ?? cur.rxCount,
    txCount: req.tx ?? cur.txCount,
    otherCount: req.other ?? cur.otherCount,
    combinedCount: req.combined ?? cur.combinedCount,
  };
}

const queues = (c: EthtoolChannels): number => c.combinedCount + Math.max(c.rxCount, c.txCount);

/** The kernel's verdict on a request (both paths share it) given the driver's remaining queue budget. */
function verdict(cur: EthtoolChannels, next: EthtoolChannels, budget: number): 'same' | 'ok' | 'rejected' {
  if (next.rxCount === cur.rxCount && next.txCount === cur.txCount && next.otherCount === cur.otherCount && next.combinedCount === cur.combinedCount) {
    return 'same';
  }
  if (next.rxCount > next.maxRx || next.txCount > next.maxTx || next.otherCount > next.maxOther || next.combinedCount > next.maxCombined) {
    return 'rejected';
  }
  if (next.combinedCount === 0 && (next.rxCount === 0 || next.txCount === 0)) return 'rejected';
  if (queues(next) - queues(cur) > budget) return 'rejected';
  return 'ok';
}

function argvOf(req: EthtoolChannelsRequest): string[] {
  return (['rx', 'tx', 'other', 'combined'] as const).flatMap((k) => (req[k] === undefined ? [] : [k, String(req[k])]));
}

describe('random ethtool -L sequences', () => {
  it('keep every count in range, apply accepted requests exactly, change nothing on rejection, notify each change', () => {
    fc.assert(
      fc.property(
        deviceArb,
        fc.array(fc.tuple(requestArb, fc.constantFrom<EthtoolPath>('netlink', 'ioctl')), { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 0, max: 40 }),
        (initial, steps, budget0) => {
          const dev = fakeDevice({ name: 'ntb0', channels: initial, queueBudget: budget0 });
          const notifier = createEthtoolNotifier();
          let notifications = 0;
          notifier.subscribe(() => notifications++);
          let budget = budget0;
          for (const [req, path] of steps) {
            const before = dev.channels ?? initial;
            const seen = notifications;
            const next = merge(before, req);
            const tooBigForIoctl = path === 'ioctl' && Object.values(req).some((v) => v > 0x7fff_ffff);
            const expect_ = tooBigForIoctl ? 'rejected' : verdict(before, next, budget);
            const r = runEthtool(['-L', 'ntb0', ...argvOf(req)], { devices: new Map([['ntb0', dev]]), notifier, path });
            const after = dev.channels ?? initial;
            expect(r.exitCode === 0).toBe(expect_ !== 'rejected');
            expect(after).toEqual(expect_ === 'ok' ? next : before);
            expect(notifications - seen).toBe(expect_ === 'ok' ? 1 : 0);
            if (expect_ === 'ok') budget -= queues(next) - queues(before);
            for (const [count, max] of [
              [after.rxCount, after.maxRx],
              [after.txCount, after.maxTx],
              [after.otherCount, after.maxOther],
              [after.combinedCount, after.maxCombined],
            ] as const) {
              expect(count).toBeGreaterThanOrEqual(0);
              expect(count).toBeLessThanOrEqual(max);
            }
            expect(after.combinedCount + after.rxCount).toBeGreaterThanOrEqual(1);
            expect(after.combinedCount + after.txCount).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
