// Scheduler throughput on a realistic mix: doorbell IRQs scheduling RX tasklets, a TX kthread
// charging copy costs and raising the peer IRQ, a jiffies reaper timer and an hrtimer, on the
// rcar-s4 profile. Writes bench-results/kernel-perf.json (repo root) and prints a summary.
// Target (issue #2): >= 5 million events per second on one core.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createHost, createSimulation, getProfile } from '../dist/index.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const simSeconds = Number(process.env.KERNEL_PERF_SIM_S ?? 2);

function mix(seed) {
  const sim = createSimulation({ seed });
  const profile = getProfile('rcar-s4');
  const rc = createHost(sim, { name: 'rc', profile });
  const ep = createHost(sim, { name: 'ep', profile });
  const pairs = [];
  for (const [tx, rx] of [[ep, rc], [rc, ep]]) {
    for (let q = 0; q < 2; q++) {
      let backlog = 0;
      const tasklet = rx.createTasklet(`rx${q}`, (ctx) => {
        if (backlog === 0) return false;
        backlog--;
        ctx.charge(rx.costs.memcpyFromCoherent(1500));
        return backlog > 0;
      });
      const irq = rx.requestIrq(`db${q}`, (ctx) => tasklet.schedule(ctx), { affinity: 1 << q });
      const thread = tx.createKthread(`tx${q}`, (ctx, t) => {
        if (t.shouldStop) return 'exit';
        ctx.charge(tx.costs.memcpyToio(1500));
        backlog++;
        irq.raise();
        return backlog > 64 ? 20_000 : 'run';
      }, { cpus: 1 << (q + 2) });
      const reaper = tx.createTimer(`reap${q}`, (ctx) => {
        thread.wake();
        reaper.mod(tx.jiffies + 1, ctx);
      });
      reaper.mod(1);
      const hr = tx.createHrtimer(`hr${q}`, (ctx) => {
        thread.wake();
        hr.start(250_000, ctx);
      });
      hr.start(250_000);
      pairs.push({ thread });
    }
  }
  return sim;
}

// Warm up the JIT, then measure.
mix(1).run({ until: 50_000_000 });
const sim = mix(2);
const t0 = process.hrtime.bigint();
sim.run({ until: simSeconds * 1e9 });
const wallS = Number(process.hrtime.bigint() - t0) / 1e9;
const result = {
  bench: 'kernel-scheduler-mix',
  node: process.version,
  sim_s: simSeconds,
  events: sim.eventsRun,
  wall_s: Number(wallS.toFixed(4)),
  events_per_s: Math.round(sim.eventsRun / wallS),
  sim_s_per_wall_s: Number((simSeconds / wallS).toFixed(3)),
  target_events_per_s: 5_000_000,
};
result.meets_target = result.events_per_s >= result.target_events_per_s;
mkdirSync(join(root, 'bench-results'), { recursive: true });
writeFileSync(join(root, 'bench-results', 'kernel-perf.json'), JSON.stringify(result, null, 2) + '\n');
console.log(`kernel scheduler mix: ${result.events} events in ${result.wall_s} s wall = ${(result.events_per_s / 1e6).toFixed(2)} M events/s (target 5 M/s: ${result.meets_target ? 'met' : 'MISSED'})`);
