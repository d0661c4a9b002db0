// The workspaces of the monorepo, and which of them are publishable: every workspace that is
// not `"private": true`. A publishable workspace must build to `dist/` (its `exports` point
// there); one that does not is a configuration error, not something to skip silently.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (the folder holding the root package.json). */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function readJson(file) {
  return JSON.parse(readFileSync(file, 'utf8'));
}

/** Expands the root `workspaces` globs (`dir/*` or a plain folder) into folders with a package.json. */
function workspaceDirs() {
  const globs = readJson(join(root, 'package.json')).workspaces ?? [];
  const dirs = [];
  for (const glob of globs) {
    if (glob.endsWith('/*')) {
      const parent = join(root, glob.slice(0, -2));
      if (!existsSync(parent)) continue;
      for (const name of readdirSync(parent).sort()) {
        const dir = join(parent, name);
        if (statSync(dir).isDirectory() && existsSync(join(dir, 'package.json'))) dirs.push(dir);
      }
    } else if (!glob.includes('*')) {
      if (existsSync(join(root, glob, 'package.json'))) dirs.push(join(root, glob));
    } else {
      throw new Error(`scripts/workspaces.mjs: unsupported workspaces pattern ${JSON.stringify(glob)}`);
    }
  }
  return dirs;
}

/** Every file target of an `exports` map (conditions and subpaths flattened). */
function exportTargets(exportsField) {
  if (typeof exportsField === 'string') return [exportsField];
  if (exportsField === null || typeof exportsField !== 'object') return [];
  return Object.values(exportsField).flatMap(exportTargets);
}

/**
 * All workspaces: `{ name, version, dir, rel, private, manifest }`, in folder order.
 * @returns {Array<{name: string, version: string, dir: string, rel: string, private: boolean, manifest: any}>}
 */
export function workspaces() {
  return workspaceDirs().map((dir) => {
    const manifest = readJson(join(dir, 'package.json'));
    return { name: manifest.name, version: manifest.version, dir, rel: relative(root, dir), private: manifest.private === true, manifest };
  });
}

/**
 * The publishable workspaces (not private), in dependency order (a package after the
 * @ntbsim packages it depends on). Throws if one does not build to `dist/` or is not built.
 * `only` restricts the list to the given package names or folders (a script's arguments).
 * @param {{ requireBuilt?: boolean, only?: string[] }} [opts]
 */
export function publishablePackages({ requireBuilt = true, only = [] } = {}) {
  let pkgs = workspaces().filter((w) => !w.private);
  if (only.length > 0) {
    const unknown = only.filter((n) => !pkgs.some((p) => p.name === n || p.rel === n));
    if (unknown.length > 0) throw new Error(`not publishable workspaces: ${unknown.join(', ')}`);
    pkgs = pkgs.filter((p) => only.includes(p.name) || only.includes(p.rel));
  }
  const problems = [];
  for (const p of pkgs) {
    const targets = exportTargets(p.manifest.exports).filter((t) => t !== './package.json');
    if (targets.length === 0 || !targets.every((t) => t.startsWith('./dist/'))) {
      problems.push(`${p.rel}: a publishable package needs an "exports" map into ./dist/ (or "private": true)`);
    } else if (typeof p.manifest.scripts?.build !== 'string') {
      problems.push(`${p.rel}: a publishable package needs a "build" script`);
    } else if (requireBuilt) {
      const missing = targets.filter((t) => !existsSync(join(p.dir, t)));
      if (missing.length > 0) problems.push(`${p.rel}: not built (missing ${missing.join(', ')}); run \`npm run build\` first`);
    }
  }
  if (problems.length > 0) throw new Error(problems.join('\n'));
  return dependencyOrder(pkgs);
}

function dependencyOrder(pkgs) {
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const done = new Set();
  const out = [];
  const visit = (p, stack) => {
    if (done.has(p.name)) return;
    if (stack.includes(p.name)) throw new Error(`dependency cycle: ${[...stack, p.name].join(' -> ')}`);
    for (const dep of Object.keys({ ...p.manifest.dependencies, ...p.manifest.peerDependencies })) {
      const d = byName.get(dep);
      if (d !== undefined) visit(d, [...stack, p.name]);
    }
    done.add(p.name);
    out.push(p);
  };
  for (const p of pkgs) visit(p, []);
  return out;
}
