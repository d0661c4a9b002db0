#!/usr/bin/env node
// Lints what each publishable package would publish. Its manifest fields (ESM, sideEffects,
// engines, files, license, description); then the package is packed once with `npm pack` and
// its tarball goes through publint in strict mode (exports map, files; warnings are errors),
// `attw --profile esm-only` (@arethetypeswrong/cli: are the types right for node16/nodenext
// and bundler consumers), and two checks of our own on the unpacked files (maps resolve,
// declaration files import only declared dependencies). Exit status 0 only if every check of
// every package passes. Arguments (package names or folders) restrict the run.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { publishablePackages, root } from './workspaces.mjs';

function run(cmd, args, cwd) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, FORCE_COLOR: '0', NO_COLOR: '1' } });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ ok: code === 0, out }));
    child.on('error', (err) => resolve({ ok: false, out: String(err) }));
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

async function publintTarball(file) {
  const buf = readFileSync(file);
  const tarball = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const { messages, pkg } = await publint({ pack: { tarball }, strict: true, level: 'suggestion' });
  const lines = messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`);
  return { ok: messages.every((m) => m.type !== 'error'), out: lines.join('\n') };
}

/** The resolution kinds attw's esm-only profile ignores (CommonJS and pre-exports resolution). */
const ESM_ONLY_IGNORED = new Set(['node10', 'node16-cjs']);

/**
 * attw on a tarball: its exit status applies the esm-only profile; a package without any types
 * passes attw, so that is checked here too.
 */
async function attwTarball(file) {
  const r = await run(join(root, 'node_modules', '.bin', 'attw'), [file, '--profile', 'esm-only', '--format', 'json'], root);
  let report;
  try {
    report = JSON.parse(r.out.slice(r.out.indexOf('{')));
  } catch {
    return { ok: false, out: r.out };
  }
  const problems = Object.values(report.problems ?? {})
    .flat()
    .filter((pr) => !ESM_ONLY_IGNORED.has(pr.resolutionKind))
    .map((pr) => `${pr.kind} (${pr.entrypoint ?? ''} ${pr.resolutionKind ?? ''})`);
  const noTypes = report.analysis?.types === false || report.analysis?.types === undefined;
  const lines = [...(noTypes ? ['the package has no types'] : []), ...problems];
  return { ok: r.ok && !noTypes && problems.length === 0, out: lines.join('\n') };
}

/**
 * The bare module specifiers the declaration files under `pkgDir/dist` import that the package
 * does not declare (dependencies / peerDependencies; `node:` builtins need only @types/node):
 * a consumer's compiler would not find them.
 */
function undeclaredTypeImports(pkgDir) {
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const declared = new Set(Object.keys({ ...manifest.dependencies, ...manifest.peerDependencies }));
  const bad = new Set();
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.d.ts')) {
        for (const m of readFileSync(f, 'utf8').matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|reference\s+types=)['"]([^'"]+)['"]/g)) {
          const spec = m[1];
          if (spec.startsWith('.') || spec.startsWith('node:')) continue;
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0];
          if (!declared.has(name)) bad.add(`${relative(pkgDir, f)} imports ${spec}`);
        }
      }
    }
  };
  walk(join(pkgDir, 'dist'));
  return [...bad];
}

/** Every `sources` entry of every source map under `dir` must exist (the maps point into `src/`). */
function checkSourceMaps(pkgDir) {
  const bad = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const f = join(d, e.name);
      if (e.isDirectory()) walk(f);
      else if (e.name.endsWith('.map')) {
        for (const s of JSON.parse(readFileSync(f, 'utf8')).sources ?? []) if (!existsSync(resolve(dirname(f), s))) bad.push(`${relative(pkgDir, f)} -> ${s}`);
      }
    }
  };
  walk(join(pkgDir, 'dist'));
  return bad;
}

/**
 * Checks of the unpacked tarball that neither tool makes: the source and declaration maps
 * resolve inside the package, and the declaration files import only declared dependencies.
 */
function contentsCheck(file, name) {
  const dir = join(tmp, 'unpacked', name);
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['-xzf', file, '-C', dir]);
  const pkgDir = join(dir, 'package');
  const maps = checkSourceMaps(pkgDir);
  const imports = undeclaredTypeImports(pkgDir);
  const lines = [
    ...(maps.length > 0 ? [`source maps point at files the package does not ship (add them to "files"):`, ...maps.slice(0, 5), ...(maps.length > 5 ? [`... ${maps.length - 5} more`] : [])] : []),
    ...(imports.length > 0 ? ['declaration files import packages it does not depend on:', ...imports] : []),
  ];
  return { ok: lines.length === 0, out: lines.join('\n') };
}

/**
 * The manifest fields every published package carries (publint checks the exports map and
 * files themselves): ESM, side-effect declaration, the workspace's Node engines range, a
 * license with its LICENSE file in the package folder (npm packs it), a description, keywords
 * and public access for the scoped name.
 */
function manifestCheck(p) {
  const m = p.manifest;
  const rootEngines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node;
  const lines = [];
  if (m.type !== 'module') lines.push('"type" must be "module" (the packages are ESM only)');
  if (typeof m.sideEffects !== 'boolean' && !Array.isArray(m.sideEffects)) lines.push('"sideEffects" must say whether importing the package has side effects (false, or a list of files)');
  if (m.engines?.node !== rootEngines) lines.push(`"engines.node" must be the workspace's range ${JSON.stringify(rootEngines)} (it is ${JSON.stringify(m.engines?.node)})`);
  if (!Array.isArray(m.files) || !m.files.includes('dist')) lines.push('"files" must list "dist"');
  if (typeof m.license !== 'string' || m.license === '') lines.push('"license" is missing');
  if (typeof m.description !== 'string' || m.description === '') lines.push('"description" is missing');
  if (!existsSync(join(p.dir, 'LICENSE'))) lines.push('LICENSE is missing from the package folder (the tarball would carry no license text)');
  if (!Array.isArray(m.keywords) || m.keywords.length === 0) lines.push('"keywords" is missing (how people find the package on the registry)');
  if (m.publishConfig?.access !== 'public') lines.push('"publishConfig.access" must be "public" (a scoped package is published restricted otherwise)');
  if ('main' in m || 'module' in m) lines.push('"exports" alone says what the package exports: drop "main" / "module"');
  return { ok: lines.length === 0, out: lines.join('\n') };
}

const started = Date.now();
const pkgs = publishablePackages({ only: process.argv.slice(2) });
const tmp = mkdtempSync(join(tmpdir(), 'ntbsim-lint-packages-'));
let failed = 0;
let total;
try {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', tmp, ...pkgs.map((p) => `--workspace=${p.rel}`)], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const tarballs = new Map(JSON.parse(out.slice(out.indexOf('['))).map((e) => [e.name, join(tmp, e.filename)]));
  const checks = pkgs.flatMap((p) => [
    { pkg: p, tool: 'manifest', run: async () => manifestCheck(p) },
    { pkg: p, tool: 'publint --strict', run: () => publintTarball(tarballs.get(p.name)) },
    { pkg: p, tool: 'attw --profile esm-only', run: () => attwTarball(tarballs.get(p.name)) },
    { pkg: p, tool: 'maps and type imports', run: async () => contentsCheck(tarballs.get(p.name), p.name) },
  ]);
  const results = await pool(
    checks.map((c) => () => c.run().catch((err) => ({ ok: false, out: String(err?.stack ?? err) }))),
    2,
  );
  total = checks.length;
  checks.forEach((c, i) => {
    const r = results[i];
    if (!r.ok) failed++;
    console.log(`${r.ok ? 'ok  ' : 'FAIL'} ${c.pkg.name}: ${c.tool}`);
    // publint's suggestions are printed even when it passes; attw's table only on failure.
    if (r.out.trim() !== '' && (!r.ok || c.tool.startsWith('publint'))) console.log(r.out.trimEnd().replace(/^/gm, '       '));
  });
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
const secs = ((Date.now() - started) / 1000).toFixed(1);
console.log(`lint-packages: ${pkgs.length} packages, ${secs} s`);
console.log(`lint-packages: ${total - failed} passed, ${failed} failed`);
process.exit(failed === 0 && total > 0 ? 0 : 1);
