#!/usr/bin/env node
// API documentation: TypeDoc over the public API (`src/index.ts`) of every publishable package,
// with the options of `typedoc.json` (HTML to `api-docs/`, every exported declaration, method,
// accessor and constructor documented, warnings are errors). A package's own `typedoc.json`
// adds package-specific options. Arguments (package names or folders) restrict the run.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { publishablePackages, root } from './workspaces.mjs';

const started = Date.now();
const pkgs = publishablePackages({ only: process.argv.slice(2) });
const r = spawnSync(join(root, 'node_modules', '.bin', 'typedoc'), ['--options', join(root, 'typedoc.json'), '--entryPoints', ...pkgs.map((p) => p.rel)], {
  cwd: root,
  stdio: 'inherit',
});
const secs = ((Date.now() - started) / 1000).toFixed(1);
if (r.status !== 0) {
  console.error(`api-docs: FAILED (TypeDoc exit ${r.status ?? r.signal}; see the errors and warnings above: every export of a package's src/index.ts needs a doc comment, every type its API references must be exported or listed in the package's typedoc.json "intentionallyNotExported", and the package needs a README.md) (${secs} s)`);
  process.exit(1);
}
console.log(`api-docs: ${pkgs.length} packages documented in api-docs/ (${secs} s)`);
