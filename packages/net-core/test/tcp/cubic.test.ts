import { describe, expect, it } from 'vitest';
import { Cubic, type CubicSock } from '../../src/index.js';

function sock(hz: number): CubicSock & { t: number } {
  const s = {
    t: 0,
    cwnd: 100,
    ssthresh: 0x7fffffff,
    cwndCnt: 0,
    cwndClamp: 0xffffffff,
    hz,
    get jiffies(): number {
      return Math.floor((s.t * hz) / 1000);
    },
    usecsToJiffies: (us: number) => Math.ceil((us * hz) / 1e6),
    isCwndLimited: () => true,
  };
  return s;
}

describe('Cubic', () => {
  it('reduces to 0.7 W on loss and grows back along the cubic curve, reaching W_max near K', () => {
    const s = sock(1000);
    const c = new Cubic();
    s.ssthresh = c.ssthresh(s);
    expect(s.ssthresh).toBe(70);
    s.cwnd = s.ssthresh;
    const rttMs = 100;
    c.pktsAcked(s, rttMs * 1000);
    const samples = new Map<number, number>();
    for (let t = 0; t <= 9000; t += rttMs) {
      s.t = t;
      c.congAvoid(s, s.cwnd);
      if (t % 1000 === 0) samples.set(t / 1000, s.cwnd);
    }
    const k = Math.cbrt((100 * 0.3) / 0.4);
    const at = (sec: number): number => samples.get(sec) ?? 0;
    expect(at(1)).toBeLessThan(95);
    expect(at(Math.round(k))).toBeGreaterThanOrEqual(95);
    expect(at(Math.round(k))).toBeLessThanOrEqual(106);
    expect(at(4) - at(3)).toBeLessThan(at(1) - at(0));
    expect(at(9) - at(8)).toBeGreaterThan(at(5) - at(4));
  });

  it('slow-starts below ssthresh', () => {
    const s = sock(250);
    s.cwnd = 10;
    s.ssthresh = 64;
    const c = new Cubic();
    c.congAvoid(s, 10);
    expect(s.cwnd).toBe(20);
    c.congAvoid(s, 100);
    expect(s.cwnd).toBeGreaterThanOrEqual(64);
  });
});
