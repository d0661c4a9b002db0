#!/usr/bin/env node
// Release checks with changesets:
// 1. `changeset status` passes (every changeset parses and names known, non-ignored packages;
//    on a branch, every changed package has a changeset).
// 2. Every publishable package that was never released (it has no CHANGELOG.md yet) has a
//    changeset of its own describing its first release (any changeset in .changeset/: on a
//    fresh clone of a branch, where `changeset status` compares with origin/<baseBranch>, its
//    plan holds only the branch's changesets).
// 3. A dry run of `changeset version` on a scratch copy of the manifests and .changeset/ (the
//    repository is not touched): each package of the release plan gets its new version and a
//    CHANGELOG.md with that version and its changesets' text, and @ntbsim dependencies on it
//    are updated to the new version.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { publishablePackages, root, workspaces } from './workspaces.mjs';

const started = Date.now();
const changeset = join(root, 'node_modules', '.bin', 'changeset');
const problems = [];
const checks = new Set(); // names of the checks made
const failedChecks = new Set();
/** Records a problem found by check `name`. */
function fail(name, message) {
  failedChecks.add(name);
  problems.push(message);
}
const tmp = mkdtempSync(join(tmpdir(), 'ntbsim-changesets-'));

/**
 * Every changeset in .changeset/ (what `changeset status` reads without `--since`): its id and
 * the packages its front matter names.
 */
function allChangesets() {
  const dir = join(root, '.changeset');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.md') && f !== 'README.md')
    .map((f) => {
      const front = /^---\r?\n([\s\S]*?)\r?\n---/.exec(readFileSync(join(dir, f), 'utf8'))?.[1] ?? '';
      const releases = [...front.matchAll(/^\s*["']?([^"':\s]+)["']?\s*:\s*(major|minor|patch|none)\s*$/gm)].map((m) => ({ name: m[1] }));
      return { id: f.slice(0, -3), releases };
    });
}

/**
 * `changeset status` compares HEAD with the config's `baseBranch`, which it needs as a local
 * branch. A fresh clone checked out on a feature branch has it only as `origin/<base>`: then
 * that is the ref to compare with (`--since`); otherwise changeset's own default.
 */
function sinceArgs() {
  const base = JSON.parse(readFileSync(join(root, '.changeset', 'config.json'), 'utf8')).baseBranch ?? 'main';
  const has = (ref) => spawnSync('git', ['rev-parse', '--verify', '--quiet', ref], { cwd: root }).status === 0;
  if (has(`refs/heads/${base}`) || !has(`refs/remotes/origin/${base}`)) return [];
  return [`--since=origin/${base}`];
}

try {
  // 1. changeset status, with the release plan as JSON.
  const planFile = join(tmp, 'plan.json');
  const status = spawnSync(changeset, ['status', `--output=${planFile}`, ...sinceArgs()], { cwd: root, encoding: 'utf8' });
  process.stdout.write(status.stdout);
  process.stderr.write(status.stderr);
  checks.add('status');
  if (status.status !== 0) fail('status', `changeset status exited ${status.status}`);
  const plan = existsSync(planFile) ? JSON.parse(readFileSync(planFile, 'utf8')) : { changesets: [], releases: [] };

  // 2. A first release needs a changeset naming the package.
  const named = new Map(); // package -> changeset ids naming it
  for (const cs of allChangesets()) for (const r of cs.releases) named.set(r.name, [...(named.get(r.name) ?? []), cs.id]);
  const pkgs = publishablePackages({ requireBuilt: false });
  for (const p of pkgs) {
    checks.add(`first release of ${p.name}`);
    if (!existsSync(join(p.dir, 'CHANGELOG.md')) && !named.has(p.name)) {
      fail(`first release of ${p.name}`, `${p.name} was never released (no CHANGELOG.md) and no changeset describes it: run \`npx changeset\` and describe its initial release`);
    }
  }

  // 3. changeset version on a scratch copy.
  if (plan.releases.length > 0) {
    checks.add('version');
    const scratch = join(tmp, 'repo');
    mkdirSync(scratch);
    cpSync(join(root, 'package.json'), join(scratch, 'package.json'));
    cpSync(join(root, '.changeset'), join(scratch, '.changeset'), { recursive: true });
    symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'), 'dir');
    for (const w of workspaces()) {
      const dst = join(scratch, w.rel);
      mkdirSync(dst, { recursive: true });
      cpSync(join(w.dir, 'package.json'), join(dst, 'package.json'));
      if (existsSync(join(w.dir, 'CHANGELOG.md'))) cpSync(join(w.dir, 'CHANGELOG.md'), join(dst, 'CHANGELOG.md'));
    }
    const version = spawnSync(changeset, ['version'], { cwd: scratch, encoding: 'utf8' });
    if (version.status !== 0) {
      fail('version', `changeset version (dry run) exited ${version.status}:\n${version.stdout}${version.stderr}`);
    } else {
      const byName = new Map(workspaces().map((w) => [w.name, w]));
      const after = (name) => JSON.parse(readFileSync(join(scratch, byName.get(name).rel, 'package.json'), 'utf8'));
      for (const r of plan.releases) {
        const w = byName.get(r.name);
        if (w === undefined) continue;
        if (w.private && r.type === 'none') continue;
        const m = after(r.name);
        if (m.version !== r.newVersion) fail('version', `${r.name}: changeset version gave ${m.version}, the plan says ${r.newVersion}`);
        const logFile = join(scratch, w.rel, 'CHANGELOG.md');
        if (!existsSync(logFile)) {
          fail('version', `${r.name}: changeset version wrote no CHANGELOG.md`);
          continue;
        }
        const log = readFileSync(logFile, 'utf8');
        if (!log.includes(`## ${r.newVersion}`)) fail('version', `${r.name}: CHANGELOG.md has no "## ${r.newVersion}" section`);
        for (const id of r.changesets) {
          const cs = plan.changesets.find((c) => c.id === id);
          const firstLine = cs?.summary.split('\n')[0].trim();
          if (firstLine && !log.includes(firstLine)) fail('version', `${r.name}: CHANGELOG.md lacks changeset ${id} ("${firstLine}")`);
        }
      }
      // Internal dependencies follow the new versions.
      for (const w of workspaces()) {
        const m = after(w.name);
        for (const field of ['dependencies', 'devDependencies', 'peerDependencies']) {
          for (const [dep, range] of Object.entries(m[field] ?? {})) {
            const r = plan.releases.find((x) => x.name === dep);
            if (r !== undefined && r.type !== 'none' && !range.includes(r.newVersion) && range !== '*' && !range.startsWith('workspace:')) {
              fail('version', `${w.name}: ${field}["${dep}"] is still "${range}" after changeset version (new version ${r.newVersion})`);
            }
          }
        }
      }
      const summary = plan.releases.map((r) => `${r.name} ${r.oldVersion} -> ${r.newVersion}`).join(', ');
      console.log(`changeset version (dry run): ${summary}`);
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`check-changesets: ${secs} s`);
console.log(`check-changesets: ${checks.size - failedChecks.size} passed, ${failedChecks.size} failed`);
process.exit(problems.length === 0 && checks.size > 0 ? 0 : 1);
