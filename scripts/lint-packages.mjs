#!/usr/bin/env node
// Lints what each publishable package would publish: `publint --strict` (manifest, exports
// map, files) and `attw --pack --profile esm-only` (are the types right for node16/nodenext
// and bundler consumers). Exit status 0 only if every check of every package passes.
// Arguments (package names or folders) restrict the run to those packages.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { publishablePackages, root } from './workspaces.mjs';

const bin = (name) => join(root, 'node_modules', '.bin', name);

function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
    child.on('error', (err) => resolve({ code: 1, out: String(err) }));
  });
}

/** Runs `jobs` (functions returning promises) at most `limit` at a time, keeping their order. */
async function pool(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const started = Date.now();
const pkgs = publishablePackages({ only: process.argv.slice(2) });
const checks = pkgs.flatMap((p) => [
  { pkg: p, tool: 'publint --strict', run: () => run(bin('publint'), ['--strict'], p.dir) },
  { pkg: p, tool: 'attw --pack --profile esm-only', run: () => run(bin('attw'), ['--pack', '.', '--profile', 'esm-only', '--format', 'ascii'], p.dir) },
]);
const results = await pool(
  checks.map((c) => c.run),
  2,
);

let failed = 0;
checks.forEach((c, i) => {
  const r = results[i];
  const ok = r.code === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${c.pkg.name}: ${c.tool}`);
  if (!ok) console.log(r.out.replace(/^/gm, '      '));
});
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`lint-packages: ${checks.length - failed} passed, ${failed} failed (${pkgs.length} packages, ${secs} s)`);
process.exit(failed === 0 ? 0 : 1);
