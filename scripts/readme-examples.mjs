#!/usr/bin/env node
// README examples: every ```ts block of every publishable package's README.md is type-checked
// (the repository's strict compiler options, against the packages' built `dist/` types, as a
// consumer sees them) and then run with node; a block that does not compile, throws or exits
// non-zero fails the check, reported at its README line. A ```text block that follows a ts
// block (before the next heading or code block) is what that example prints: its stdout must
// be exactly that text. Each README needs at least one block, and each block its printed
// output. Arguments (package names or folders) restrict the run to those packages.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { publishablePackages, root } from './workspaces.mjs';

const work = join(root, '.readme-examples');
const started = Date.now();

/**
 * The ```ts / ```typescript blocks of a markdown text, with the README line of their first code
 * line and `expected`: the ```text block after them (before the next heading or other code
 * block), or null.
 */
export function tsBlocks(markdown) {
  const lines = markdown.split('\n');
  const blocks = [];
  let open = null;
  let last = null; // the ts block a following text block belongs to
  lines.forEach((line, i) => {
    const fence = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(line);
    if (open === null && fence !== null) {
      open = { marker: fence[2], lang: fence[3].toLowerCase(), indent: fence[1].length, first: i + 2, code: [] };
    } else if (open !== null && fence !== null && fence[2].startsWith(open.marker[0]) && fence[2].length >= open.marker.length && fence[3] === '') {
      const text = open.code.join('\n') + '\n';
      if (open.lang === 'ts' || open.lang === 'typescript') {
        last = { line: open.first, code: text, expected: null };
        blocks.push(last);
      } else {
        if (open.lang === 'text' && last !== null && last.expected === null) last.expected = text;
        last = null;
      }
      open = null;
    } else if (open !== null) {
      open.code.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
    } else if (/^#/.test(line)) {
      last = null;
    }
  });
  if (open !== null) throw new Error(`unclosed code fence opened at line ${open.first - 1}`);
  return blocks;
}

const pkgs = publishablePackages({ only: process.argv.slice(2) });
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const examples = []; // { pkg, readme, line, file, js }
const problems = [];
for (const p of pkgs) {
  const readme = join(p.dir, 'README.md');
  if (!existsSync(readme)) {
    problems.push(`${p.rel}: no README.md`);
    continue;
  }
  let blocks;
  try {
    blocks = tsBlocks(readFileSync(readme, 'utf8'));
  } catch (err) {
    problems.push(`${relative(root, readme)}: ${err.message}`);
    continue;
  }
  if (blocks.length === 0) problems.push(`${relative(root, readme)}: no \`\`\`ts example`);
  const dir = join(work, p.rel.replaceAll('/', '__'));
  mkdirSync(dir, { recursive: true });
  blocks.forEach((b, i) => {
    // Line N of the file is README line b.line + N - 1, so compiler positions map back directly.
    const file = join(dir, `example${i + 1}.ts`);
    writeFileSync(file, b.code);
    if (b.expected === null) problems.push(`${relative(root, readme)}:${b.line}: the example has no \`\`\`text block of what it prints after it`);
    examples.push({ pkg: p, readme: relative(root, readme), line: b.line, file, expected: b.expected, js: join(work, 'out', relative(work, file)).replace(/\.ts$/, '.js') });
  });
}

writeFileSync(
  join(work, 'tsconfig.json'),
  JSON.stringify(
    {
      extends: '../tsconfig.base.json',
      compilerOptions: {
        rootDir: '.',
        outDir: 'out',
        moduleDetection: 'force',
        declaration: false,
        declarationMap: false,
        sourceMap: false,
        noEmitOnError: false,
      },
      include: ['*/*.ts'],
    },
    null,
    2,
  ),
);

// One compiler run for every example; an example with a type error is not run.
const broken = new Set();
if (examples.length > 0) {
  const tsc = spawnSync(join(root, 'node_modules', '.bin', 'tsc'), ['-p', join(work, 'tsconfig.json'), '--pretty', 'false'], { cwd: root, encoding: 'utf8' });
  if (tsc.status !== 0) {
    const byFile = new Map(examples.map((e) => [relative(root, e.file), e]));
    const out = `${tsc.stdout}${tsc.stderr}`.replace(/^(\S+?\.ts)\((\d+),(\d+)\)/gm, (m, f, l, c) => {
      const e = byFile.get(f);
      if (e === undefined) return m;
      broken.add(e);
      return `${e.readme}:${e.line + Number(l) - 1}:${c}`;
    });
    problems.push(`type errors in README examples:\n${out.trimEnd()}`);
    // An error outside the examples (say, in the configuration) leaves nothing to trust.
    if (broken.size === 0) for (const e of examples) broken.add(e);
  }
}

let ran = 0;
for (const e of examples) {
  if (broken.has(e)) continue;
  const r = spawnSync(process.execPath, [e.js], { cwd: root, encoding: 'utf8', timeout: 120_000 });
  const where = `${e.readme}:${e.line}`;
  const output = `${r.stdout ?? ''}${r.stderr ?? ''}`.trimEnd();
  if (r.status !== 0) {
    problems.push(`${where}: the example ${r.signal !== null ? `was killed (${r.signal})` : `exited ${r.status}`}\n${output.replace(/^/gm, '    ')}`);
  } else if (e.expected !== null && (r.stdout ?? '').trimEnd() !== e.expected.trimEnd()) {
    problems.push(`${where}: the example printed something else than the README says\n    README:\n${e.expected.trimEnd().replace(/^/gm, '      | ')}\n    printed:\n${(r.stdout ?? '').trimEnd().replace(/^/gm, '      | ')}`);
  } else {
    ran++;
    console.log(`ok   ${where} (${e.pkg.name})${output === '' ? '' : `\n${output.replace(/^/gm, '       | ')}`}`);
  }
}

const secs = ((Date.now() - started) / 1000).toFixed(1);
for (const p of problems) console.error(`FAIL ${p}`);
console.log(`readme-examples: ${pkgs.length} READMEs, ${secs} s`);
console.log(`readme-examples: ${ran} passed, ${examples.length - ran} failed`);
process.exit(problems.length === 0 ? 0 : 1);
