#!/usr/bin/env node
// Consumer test: the packages as a user gets them from the registry, outside the workspace.
//
// 1. `npm pack` every publishable package (every non-private workspace) into a temp dir.
// 2. For each consumer below, make a project in the temp dir, `npm install` the tarballs (third-
//    party dependencies such as zod come from the npm registry; every @ntbsim package is forced
//    to its tarball, so nothing resolves to the workspace), and check what got installed.
// 3. Check the installed packages are real copies (no links into the workspace). Type-check
//    the consumer's program against the installed declaration files with the workspace's
//    TypeScript, compile it, run it with node.
//
// Consumers: `kernel-only` uses @ntbsim/kernel alone; `transport-over-epf` moves bytes between
// two simulated hosts through @ntbsim/ntb-transport over @ntbsim/ntb-hw-epf; `every-package`
// installs and imports every publishable package. The bench app is private, never packed,
// never installed. Exit status 0 only if every step passes.
// `--keep` leaves the temp dir in place for inspection; other arguments (package names or
// folders) restrict the packing to those packages.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { publishablePackages, root } from './workspaces.mjs';

const keep = process.argv.includes('--keep');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const started = Date.now();
const results = []; // { name, ok, detail }
const tmp = mkdtempSync(join(tmpdir(), 'ntbsim-consumer-'));
if (realpathSync(tmp).startsWith(realpathSync(root) + '/')) throw new Error(`temp dir ${tmp} is inside the workspace`);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

function step(name, fn) {
  const t0 = Date.now();
  try {
    const detail = fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${detail ? `\n${String(detail).trimEnd().replace(/^/gm, '       | ')}` : ''}`);
    return true;
  } catch (err) {
    results.push({ name, ok: false });
    const out = [err.message, err.stdout, err.stderr].filter((s) => s && String(s).trim() !== '').join('\n');
    console.log(`FAIL ${name}\n${String(out).trimEnd().replace(/^/gm, '       ')}`);
    return false;
  }
}

function sh(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

// ---- 1. pack --------------------------------------------------------------------------------
const pkgs = publishablePackages({ only });
const tarballDir = join(tmp, 'tarballs');
mkdirSync(tarballDir);
const tarballs = new Map(); // package name -> absolute tarball path
const packed = step(`npm pack ${pkgs.length} publishable packages`, () => {
  const out = sh(npm, ['pack', '--json', '--pack-destination', tarballDir, ...pkgs.map((p) => `--workspace=${p.rel}`)], root);
  const list = JSON.parse(out.slice(out.indexOf('[')));
  for (const entry of list) {
    const files = new Set(entry.files.map((f) => f.path));
    const pkg = pkgs.find((p) => p.name === entry.name);
    check(pkg !== undefined, `npm pack produced an unexpected package ${entry.name}`);
    const missing = ['package.json', 'dist/index.js', 'dist/index.d.ts'].filter((f) => !files.has(f));
    check(missing.length === 0, `${entry.name}: tarball lacks ${missing.join(', ')}`);
    const stray = [...files].filter((f) => /(^|\/)(test|bench)\//.test(f) || f.endsWith('.tsbuildinfo') || f.startsWith('node_modules/'));
    check(stray.length === 0, `${entry.name}: tarball ships ${stray.join(', ')}`);
    tarballs.set(entry.name, join(tarballDir, entry.filename));
  }
  check(tarballs.size === pkgs.length, `packed ${tarballs.size} of ${pkgs.length} packages`);
  return [...tarballs].map(([n, f]) => `${n} -> ${relative(tmp, f)}`).join('\n');
});

// ---- 2/3. consumers -------------------------------------------------------------------------
const kernelOnly = `
import assert from 'node:assert/strict';
import { createHost, createSimulation, extendProfile, getProfile, parseProfile, ProfileError, type Host } from '@ntbsim/kernel';

/** A NIC-like pipeline: an IRQ schedules a tasklet that drains 8 frames, a kthread and a jiffies timer run beside it. */
function run(seed: number): { now: number; frames: number; ticks: number; usage: ReturnType<Host['usage']>; rxCpus: number[] } {
  const sim = createSimulation({ seed, accountByName: true });
  const host = createHost(sim, { name: 'rc', profile: getProfile('rcar-s4') });
  let frames = 0;
  let ticks = 0;
  const rx = host.createTasklet('rx', (ctx) => {
    ctx.charge(host.costs.memcpyFromCoherent(65_536));
    return ++frames % 8 !== 0;
  });
  const irq = host.requestIrq('db0', (ctx) => rx.schedule(ctx), { affinity: 0b10 });
  let steps = 0;
  host.createKthread('worker', (ctx) => {
    ctx.charge(10_000);
    return ++steps < 5 ? 50_000 : 'exit';
  });
  const timer = host.createTimer('tick', () => {
    if (++ticks < 3) timer.mod(host.jiffies + host.usecsToJiffies(1));
  });
  timer.mod(host.jiffies + 1);
  irq.raise();
  sim.run({ until: 100_000_000 });
  const rxCpus = host.cpus.filter((cpu) => (cpu.usageByName().get('rx') ?? 0) > 0).map((cpu) => cpu.id);
  return { now: sim.now, frames, ticks, usage: host.usage(), rxCpus };
}

const a = run(42);
assert.equal(a.frames, 8, 'the tasklet drained 8 frames');
assert.equal(a.ticks, 3, 'the timer fired 3 times');
assert.equal(a.now, 100_000_000, 'virtual time advanced to the run limit');
assert.deepEqual(a.rxCpus, [1], 'the tasklet ran on CPU 1 only, the CPU of the IRQ affinity mask');
assert.ok((a.usage[1]?.hardirq ?? 0) > 0, 'the IRQ was taken on CPU 1');
assert.deepEqual(run(42), a, 'the same seed gives the same run');

// The profile schema (zod, a registry dependency) works from the tarball install.
assert.deepEqual(parseProfile(JSON.parse(JSON.stringify(getProfile('rcar-s4'))), 'copy.json'), getProfile('rcar-s4'));
assert.throws(
  () => extendProfile(getProfile('rcar-s4'), { cpu: { count: { value: 0 } } }),
  (e: unknown) => e instanceof ProfileError && e.code === 'EINVAL' && e.issues.some((i) => i.path.startsWith('cpu.count')),
);
console.log(\`kernel-only: \${a.frames} frames, \${a.ticks} ticks, CPU1 softirq \${a.usage[1]?.softirq} ns\`);
`;

const transportOverEpf = `
import assert from 'node:assert/strict';
import { createHost, createSimulation, getProfile, type Host } from '@ntbsim/kernel';
import type { NtbBus } from '@ntbsim/ntb-core';
import { createEpfPair } from '@ntbsim/ntb-hw-epf';
import { createNtbTransportClient, TransportBus, type TransportQp } from '@ntbsim/ntb-transport';

/** Deterministic payload bytes for frame \`id\`. */
function payload(id: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = (id * 131 + i * 7) & 0xff;
  return b;
}

const sim = createSimulation({ seed: 3 });
const profile = getProfile('rcar-s4');
const rc = createHost(sim, { name: 'rc', profile });
const ep = createHost(sim, { name: 'ep', profile });
const pair = createEpfPair({ rc, ep, doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { mwSizes: [1 << 20, 1 << 20] } });

const got = new Map<Host, Uint8Array[][]>();
const qps = new Map<Host, TransportQp[]>();
const sides: [Host, NtbBus][] = [[rc, pair.buses.rc], [ep, pair.buses.ep]];
const buses = new Map<Host, TransportBus>();
for (const [host, ntbBus] of sides) {
  const bus = new TransportBus();
  ntbBus.registerClient(createNtbTransportClient({ bus }));
  buses.set(host, bus);
  got.set(host, [[], []]);
}
sim.run({ until: 100_000_000 });
for (const [host] of sides) {
  const t = buses.get(host)?.transports[0];
  assert.ok(t, \`a transport bound on \${host.name}\`);
  const list: TransportQp[] = [];
  for (let q = 0; q < 2; q++) {
    const qp = t.createQueue({
      rx: (queue, cb, len, ctx) => {
        got.get(host)?.[queue.qpNum]?.push((cb as Uint8Array).slice(0, len));
        const nb = new Uint8Array(65_536);
        queue.rxEnqueue(nb, nb, nb.length, ctx);
      },
    });
    assert.ok(qp, \`QP \${q} on \${host.name}\`);
    for (let n = 0; n < 8; n++) {
      const b = new Uint8Array(65_536);
      qp.rxEnqueue(b, b, b.length);
    }
    qp.linkUp();
    list.push(qp);
  }
  qps.set(host, list);
}
sim.run({ until: sim.now + 200_000_000 });
for (const list of qps.values()) for (const qp of list) assert.equal(qp.linkQuery(), true, \`QP \${qp.qpNum} link up\`);

function send(host: Host, qp: TransportQp, frames: Uint8Array[]): void {
  let n = 0;
  host.createKthread('send', (ctx) => {
    const f = frames[n];
    if (f === undefined) return 'exit';
    if (qp.txEnqueue(ctx, f, f, f.length) !== 0) return 100_000;
    n++;
    return 'run';
  });
}
const up0 = [payload(1, 65_000), payload(2, 1500), payload(3, 9000), payload(4, 64)];
const up1 = [payload(5, 30_000), payload(6, 4096)];
const down0 = [payload(7, 60), payload(8, 65_000), payload(9, 777)];
const [rcQ0] = qps.get(rc) ?? [];
const [epQ0, epQ1] = qps.get(ep) ?? [];
assert.ok(rcQ0 && epQ0 && epQ1);
send(ep, epQ0, up0);
send(ep, epQ1, up1);
send(rc, rcQ0, down0);
sim.run({ until: sim.now + 200_000_000 });

assert.deepEqual(got.get(rc)?.[0], up0, 'EP -> RC on QP 0: every byte arrived, in order');
assert.deepEqual(got.get(rc)?.[1], up1, 'EP -> RC on QP 1: every byte arrived, in order');
assert.deepEqual(got.get(ep)?.[0], down0, 'RC -> EP on QP 0: every byte arrived, in order');
assert.deepEqual(got.get(ep)?.[1], [], 'nothing on RC -> EP QP 1');
const bytes = [...up0, ...up1, ...down0].reduce((s, f) => s + f.length, 0);
console.log(\`transport-over-epf: \${up0.length + up1.length + down0.length} frames, \${bytes} bytes intact at \${sim.now} ns\`);
`;

/** Imports every publishable package by name (types and runtime) and checks it exports something. */
const everyPackage = (names) => `
import assert from 'node:assert/strict';
${names.map((n, i) => `import * as p${i} from '${n}';`).join('\n')}

const modules: [string, object][] = [${names.map((n, i) => `['${n}', p${i}]`).join(', ')}];
for (const [name, m] of modules) assert.ok(Object.keys(m).length > 0, \`\${name} exports nothing\`);
console.log(modules.map(([name, m]) => \`\${name}: \${Object.keys(m).length} exports\`).join('\\n'));
`;

const consumers = [
  { name: 'kernel-only', deps: ['@ntbsim/kernel'], program: kernelOnly },
  { name: 'transport-over-epf', deps: ['@ntbsim/ntb-transport', '@ntbsim/ntb-hw-epf', '@ntbsim/ntb-core', '@ntbsim/kernel'], program: transportOverEpf },
  { name: 'every-package', deps: pkgs.map((p) => p.name), program: everyPackage(pkgs.map((p) => p.name)) },
];

for (const c of packed ? consumers : []) {
  const dir = join(tmp, c.name);
  const missingPkgs = c.deps.filter((d) => !tarballs.has(d));
  if (!step(`${c.name}: the packages it needs are publishable`, () => check(missingPkgs.length === 0, `not publishable: ${missingPkgs.join(', ')}`))) continue;
  const installed = step(`${c.name}: npm install ${c.deps.join(' ')} from tarballs`, () => {
    mkdirSync(dir);
    const spec = (n) => `file:${relative(dir, tarballs.get(n))}`;
    const manifest = {
      name: `ntbsim-consumer-${c.name}`,
      private: true,
      type: 'module',
      dependencies: Object.fromEntries(c.deps.map((d) => [d, spec(d)])),
      // Internal dependencies ("@ntbsim/kernel": "0.1.0") resolve to the tarballs too, never to a registry.
      overrides: Object.fromEntries([...tarballs.keys()].map((n) => [n, spec(n)])),
    };
    writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
    sh(npm, ['install', '--no-audit', '--no-fund', '--ignore-scripts'], dir);
    const scopeDir = join(dir, 'node_modules', '@ntbsim');
    const present = readdirSync(scopeDir).map((n) => `@ntbsim/${n}`).sort();
    check(JSON.stringify(present) === JSON.stringify([...c.deps].sort()), `installed @ntbsim packages ${present.join(', ')}; expected exactly ${[...c.deps].sort().join(', ')}`);
    check(!existsSync(join(dir, 'node_modules', '@ntbsim', 'bench')), 'the bench app got installed');
    for (const n of present) {
      const p = join(dir, 'node_modules', n);
      check(!lstatSync(p).isSymbolicLink() && !realpathSync(p).startsWith(realpathSync(root)), `${n} is linked to the workspace, not installed from its tarball`);
    }
    const lock = JSON.parse(readFileSync(join(dir, 'package-lock.json'), 'utf8'));
    const fromRegistry = Object.entries(lock.packages).filter(([k, v]) => k.includes('node_modules/@ntbsim/') && !String(v.resolved ?? '').startsWith('file:'));
    check(fromRegistry.length === 0, `resolved outside the tarballs: ${fromRegistry.map(([k, v]) => `${k} (${v.resolved})`).join(', ')}`);
    return `installed: ${present.join(', ')} (+ ${Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/') && !k.includes('@ntbsim/')).length} third-party)`;
  });
  if (!installed) continue;
  step(`${c.name}: type-check against the installed .d.ts, run`, () => {
    writeFileSync(join(dir, 'main.ts'), c.program.trimStart());
    const tsconfig = {
      compilerOptions: {
        target: 'ES2022',
        lib: ['ES2022'],
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        exactOptionalPropertyTypes: true,
        skipLibCheck: true,
        typeRoots: [join(root, 'node_modules', '@types')],
        types: ['node'],
        outDir: 'out',
        rootDir: '.',
      },
      files: ['main.ts'],
    };
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const t = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json', '--pretty', 'false'], { cwd: dir, encoding: 'utf8' });
    check(t.status === 0, `tsc failed:\n${t.stdout}${t.stderr}`);
    const r = spawnSync(process.execPath, ['out/main.js'], { cwd: dir, encoding: 'utf8', timeout: 120_000 });
    check(r.status === 0, `node out/main.js exited ${r.status ?? r.signal}:\n${r.stdout}${r.stderr}`);
    return r.stdout;
  });
}

if (keep) console.log(`kept ${tmp}`);
else rmSync(tmp, { recursive: true, force: true });
const failed = results.filter((r) => !r.ok).length;
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`consumer-test: ${secs} s`);
console.log(`consumer-test: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 && results.length > 0 ? 0 : 1);
