/**
 * The commands that change a board's files and its shell's place among them: bash's `cd` and
 * `pwd` builtins, GNU `rm`, `mkdir` and `tee` (coreutils 9.1) over the tmpfs of tmpfs.ts, with
 * their messages and exit statuses. `tee` also writes the kernel's writable files, as root
 * (`echo 3 | sudo tee /proc/irq/N/smp_affinity`), through the same handlers as `echo > FILE`.
 */
import { result, runsAsRoot, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { coreutilsTryHelp } from './coreutils.js';
import { echoRedirect, isKernelFile, openUserFile, pathError, resolve } from './proc.js';
import type { Filter } from './text.js';
import { absParts, absPath, cwdOf, HOME, inTmpfs, makeDir, oldCwdOf, removeEntry, setCwd, tmpfsNode } from './tmpfs.js';

/** A command's short flags and operands (`--` ends the options), or its error for an option it does not take. */
function flagsAndOperands(prog: string, argv: readonly string[], flags: string, long: Readonly<Record<string, string>>): { flags: Set<string>; operands: string[] } | CommandResult {
  const set = new Set<string>();
  const operands: string[] = [];
  let opts = true;
  for (const a of argv.slice(1)) {
    if (opts && a === '--') opts = false;
    else if (opts && a.startsWith('--')) {
      const f = long[a];
      if (f === undefined) return result('', `${prog}: ${a}: not supported by the lab's ${prog} (it takes ${describe(flags, long)})\n`, 1);
      set.add(f);
    } else if (opts && a.length > 1 && a.startsWith('-')) {
      for (const ch of a.slice(1)) {
        if (!flags.includes(ch)) return result('', `${prog}: -${ch}: not supported by the lab's ${prog} (it takes ${describe(flags, long)})\n`, 1);
        set.add(ch);
      }
    } else operands.push(a);
  }
  return { flags: set, operands };
}

/** The options a command takes (each short one and its long name), for its message about one it does not. */
function describe(flags: string, long: Readonly<Record<string, string>>): string {
  return [...flags].map((f) => [`-${f}`, ...Object.keys(long).filter((k) => long[k] === f)].join('/')).join(', ');
}

/** bash's `cd [DIR]`: to DIR (relative to the working directory), $HOME without one, the last directory with `-` (printed). */
export const cd: Command = (argv, env) => {
  const args = argv.slice(1).filter((a, i) => !(i === 0 && (a === '-L' || a === '-P' || a === '--')));
  if (args.length > 1) return result('', 'bash: cd: too many arguments\n', 1);
  let dir = args[0] ?? env.vars.get('HOME') ?? HOME;
  let print = false;
  if (dir === '-') {
    const old = oldCwdOf(env.board);
    if (old === null) return result('', 'bash: cd: OLDPWD not set\n', 1);
    dir = old;
    print = true;
  }
  const node = resolve(env.board, dir);
  if (typeof node === 'string') return result('', `bash: cd: ${dir}: ${pathError(node)}\n`, 1);
  if (node.kind === 'file') return result('', `bash: cd: ${dir}: Not a directory\n`, 1);
  setCwd(env.board, absPath(env.board, dir));
  return result(print ? `${cwdOf(env.board)}\n` : '');
};

/** bash's `pwd [-LP]`: the shell's working directory. */
export const pwd: Command = (argv, env) => {
  const bad = argv.slice(1).find((a) => a !== '-L' && a !== '-P' && a !== '--' && a.startsWith('-'));
  if (bad !== undefined) return result('', `bash: pwd: ${bad.slice(0, 2)}: invalid option\npwd: usage: pwd [-LP]\n`, 2);
  return result(`${cwdOf(env.board)}\n`);
};

/** The entries below the tmpfs directory at `path`, deepest first (what `rm -r` removes before the directory). */
function subtree(env: ShellEnv, path: string): { path: string; dir: boolean }[] {
  const node = tmpfsNode(env.board, absParts(env.board, path));
  if (node?.kind !== 'dir') return [];
  return node.entries.flatMap((e) => {
    const child = `${path.replace(/\/+$/, '')}/${e}`;
    const isDir = tmpfsNode(env.board, absParts(env.board, child))?.kind === 'dir';
    return [...subtree(env, child), { path: child, dir: isDir }];
  });
}

/** GNU `rm [-fdrRv] FILE...`: unlink files; with -r directories and what is in them, with -d empty directories. */
export const rm: Command = (argv, env) => {
  const parsed = flagsAndOperands('rm', argv, 'fdrRv', { '--force': 'f', '--dir': 'd', '--recursive': 'r', '--verbose': 'v' });
  if ('status' in parsed) return parsed;
  const { flags, operands } = parsed;
  const force = flags.has('f');
  const recursive = flags.has('r') || flags.has('R');
  if (operands.length === 0) return force ? result('') : result('', `rm: missing operand\n${coreutilsTryHelp('rm')}`, 1);
  let out = '';
  let err = '';
  const remove = (path: string, dir: boolean): boolean => {
    const why = removeEntry(env.board, path, dir);
    if (why === null) {
      if (flags.has('v')) out += dir ? `removed directory '${path}'\n` : `removed '${path}'\n`;
      return true;
    }
    err += `rm: cannot remove '${path}': ${why}\n`;
    return false;
  };
  for (const path of operands) {
    if (recursive && absPath(env.board, path) === '/') {
      err += "rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n";
      continue;
    }
    const node = resolve(env.board, path);
    if (typeof node === 'string') {
      if (!force) err += `rm: cannot remove '${path}': ${pathError(node)}\n`;
      continue;
    }
    // The kernel's files and directories are the kernel's: unlink and rmdir there are refused.
    if (!inTmpfs(env.board, path) && absPath(env.board, path) !== '/') {
      if (node.kind === 'dir' && !recursive && !flags.has('d')) err += `rm: cannot remove '${path}': Is a directory\n`;
      else err += `rm: cannot remove '${path}': ${runsAsRoot(env) ? 'Operation not permitted' : 'Permission denied'}\n`;
      continue;
    }
    if (node.kind === 'dir' && !recursive && !flags.has('d')) {
      err += `rm: cannot remove '${path}': Is a directory\n`;
      continue;
    }
    if (node.kind === 'dir' && recursive) for (const e of subtree(env, path)) remove(e.path, e.dir);
    remove(path, node.kind === 'dir');
  }
  return result(out, err, err === '' ? 0 : 1);
};

/** GNU `mkdir [-pv] DIRECTORY...`: make directories; with -p their missing parents too, and no error for one that exists. */
export const mkdir: Command = (argv, env) => {
  const parsed = flagsAndOperands('mkdir', argv, 'pv', { '--parents': 'p', '--verbose': 'v' });
  if ('status' in parsed) return parsed;
  const { flags, operands } = parsed;
  if (operands.length === 0) return result('', `mkdir: missing operand\n${coreutilsTryHelp('mkdir')}`, 1);
  let out = '';
  let err = '';
  const made = (path: string): void => {
    if (flags.has('v')) out += `mkdir: created directory '${path}'\n`;
  };
  for (const path of operands) {
    if (!flags.has('p')) {
      const why = makeDir(env.board, path);
      if (why === null) made(path);
      else err += `mkdir: cannot create directory '${path}': ${why}\n`;
      continue;
    }
    // -p: each missing component in turn, as typed; an existing directory is no error.
    const comps = path.split('/');
    for (let i = 1; i <= comps.length; i++) {
      const prefix = comps.slice(0, i).join('/');
      if (prefix === '' || comps[i - 1] === '' || comps[i - 1] === '.') continue;
      const node = resolve(env.board, prefix);
      if (typeof node !== 'string' && node.kind === 'dir') continue;
      const why = typeof node !== 'string' ? 'File exists' : makeDir(env.board, prefix);
      if (why !== null) {
        err += `mkdir: cannot create directory '${prefix}': ${why}\n`;
        break;
      }
      made(prefix);
    }
  }
  return result(out, err, err === '' ? 0 : 1);
};

/**
 * GNU `tee [-a] [FILE]...`: its input to standard output and to each FILE (appended with -a).
 * A file of the kernel's (smp_affinity, xps_cpus, the NTB debugfs files) takes the text
 * through its handler when tee runs as root, and cannot be opened by the user's tee.
 */
export const tee: Filter = (argv, input, env) => {
  const parsed = flagsAndOperands('tee', argv, 'a', { '--append': 'a' });
  if ('status' in parsed) return parsed;
  const text = input ?? '';
  let err = '';
  for (const path of parsed.operands) {
    if (isKernelFile(env.board, path)) {
      if (!runsAsRoot(env)) {
        err += `tee: ${path}: Permission denied\n`;
        continue;
      }
      // The handler takes echo's words: the text without its last newline, which echo adds back.
      const r = echoRedirect([path, text.replace(/\n$/, '')], env);
      if (r.status !== 0) err += r.stderr.replace(/^bash: echo: write error: /, `tee: ${path}: `).replace(/^bash: /, 'tee: ');
      continue;
    }
    const file = openUserFile(env.board, path, parsed.flags.has('a'));
    if (typeof file === 'string') err += `tee: ${path}: ${file}\n`;
    else file.write(text);
  }
  return result(text, err, err === '' ? 0 : 1);
};
