/**
 * The boards' own files: the working directory and `cd`/`pwd`, redirections into ~ and /tmp,
 * `mkdir`, `rm`, `tee`, and reading them back with cat, ls, grep, wc — with bash's and GNU's
 * messages and statuses; a property test against a reference model of the tree.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootLab } from '../../src/lab/lab.js';
import { labShell as shell } from '../labShell.js';

describe('the working directory: cd and pwd (bash builtins)', () => {
  it('starts in the home directory; cd walks the tree, `cd` goes home, `cd -` back (printed); errors as bash prints them', () => {
    const sh = shell(bootLab({ seed: 1 }));
    expect(sh('pwd')).toEqual({ stdout: '/home/user\n', stderr: '', status: 0 });
    expect(sh('ls')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('ls /')).toMatchObject({ stdout: 'home  proc  sys  tmp\n' });
    expect(sh('cd /sys/class/net/ntb0')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('pwd').stdout).toBe('/sys/class/net/ntb0\n');
    // Relative paths are read from the working directory.
    expect(sh('cat mtu').stdout).toMatch(/^\d+\n$/);
    expect(sh('ls queues').stdout).toBe('rx-0  tx-0\n');
    expect(sh('cd ../../..').status).toBe(0);
    expect(sh('pwd').stdout).toBe('/sys\n');
    expect(sh('cd -')).toEqual({ stdout: '/sys/class/net/ntb0\n', stderr: '', status: 0 });
    expect(sh('cd')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('pwd').stdout).toBe('/home/user\n');
    expect(sh('cd /nope')).toEqual({ stdout: '', stderr: 'bash: cd: /nope: No such file or directory\n', status: 1 });
    expect(sh('cd /proc/interrupts')).toEqual({ stdout: '', stderr: 'bash: cd: /proc/interrupts: Not a directory\n', status: 1 });
    expect(sh('cd / /tmp')).toEqual({ stdout: '', stderr: 'bash: cd: too many arguments\n', status: 1 });
    expect(sh('pwd -x')).toEqual({ stdout: '', stderr: 'bash: pwd: -x: invalid option\npwd: usage: pwd [-LP]\n', status: 2 });
    // A failed cd leaves the directory where it was; each board has its own.
    expect(sh('pwd').stdout).toBe('/home/user\n');
    expect(sh('cd /tmp', 'rc').status).toBe(0);
    expect(sh('pwd').stdout).toBe('/home/user\n');
    expect(sh('pwd', 'rc').stdout).toBe('/tmp\n');
    expect(shell(bootLab({ seed: 1 }))('cd -')).toEqual({ stdout: '', stderr: 'bash: cd: OLDPWD not set\n', status: 1 });
  });
});

describe('redirection into files', () => {
  it('`>` creates or empties, `>>` appends; ~ is the home directory; the files read back with cat, grep, wc, ls and globbing', () => {
    const sh = shell(bootLab({ seed: 1 }));
    expect(sh('echo one > notes')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('echo two >> ~/notes').status).toBe(0);
    expect(sh('cat notes /home/user/notes').stdout).toBe('one\ntwo\none\ntwo\n');
    expect(sh('echo three > notes').status).toBe(0);
    expect(sh('cat notes').stdout).toBe('three\n');
    expect(sh('uname -r > /tmp/release').status).toBe(0);
    expect(sh('ls /tmp').stdout).toBe('release\n');
    expect(sh('cat /tmp/rel*').stdout).toBe(sh('uname -r').stdout);
    // wc's width: the digits of the files' sizes (st_size), as for any regular file.
    expect(sh('wc -c notes')).toEqual({ stdout: '6 notes\n', stderr: '', status: 0 });
    expect(sh('grep -c thr notes').stdout).toBe('1\n');
    // A file is not a terminal: ls writes one name per line into it.
    expect(sh('echo x > b').status).toBe(0);
    expect(sh('ls > listing').status).toBe(0);
    expect(sh('cat listing').stdout).toBe('b\nlisting\nnotes\n');
  });

  it("standard error stays on the terminal unless `2>&1` follows the file (bash's left-to-right order); the status is the command's", () => {
    const sh = shell(bootLab({ seed: 1 }));
    expect(sh('cat /nope notes > out')).toEqual({ stdout: '', stderr: 'cat: /nope: No such file or directory\ncat: notes: No such file or directory\n', status: 1 });
    expect(sh('cat out').stdout).toBe('');
    expect(sh('echo hi > notes').status).toBe(0);
    expect(sh('cat /nope notes > out 2>&1')).toEqual({ stdout: '', stderr: '', status: 1 });
    expect(sh('cat out').stdout).toBe('cat: /nope: No such file or directory\nhi\n');
    expect(sh('cat /nope notes 2>&1 > out')).toEqual({ stdout: 'cat: /nope: No such file or directory\n', stderr: '', status: 1 });
    expect(sh('cat out').stdout).toBe('hi\n');
    expect(sh('cat /nope > out 2>/dev/null')).toEqual({ stdout: '', stderr: '', status: 1 });
  });

  it("the open fails as the kernel's would, before the command runs: a missing directory, a file in the way, a directory, the user's lack of write permission", () => {
    const lab = bootLab({ seed: 1 });
    const sh = shell(lab);
    expect(sh('echo x > f', 'rc').status).toBe(0);
    const cases: [string, string][] = [
      ['echo x > /nope/a', 'bash: /nope/a: No such file or directory\n'],
      ['echo x > f/a', 'bash: f/a: Not a directory\n'],
      ['echo x > /tmp', 'bash: /tmp: Is a directory\n'],
      ['echo x > /x', 'bash: /x: Permission denied\n'],
      ['sudo echo x > /home/y', 'bash: /home/y: Permission denied\n'],
      // No create operation in procfs or debugfs directories: lookup_open's EACCES.
      ['echo x > /proc/irq/16/foo', 'bash: /proc/irq/16/foo: Permission denied\n'],
      ['uname > /proc/interrupts', 'bash: uname: the lab writes /proc, /sys and debugfs files with echo only\n'],
    ];
    for (const [line, err] of cases) expect(sh(line, 'rc')).toEqual({ stdout: '', stderr: err, status: 1 });
    // The command did not run: no job, no file.
    const before = lab.sim.now;
    expect(sh('sleep 5 > /nope/x').status).toBe(1);
    expect(lab.sim.now).toBe(before);
    expect(sh('ls /tmp /home').stdout).toBe('/home:\nuser\n\n/tmp:\n');
  });

  it("a job's output goes into its file as it writes (2>&1 too); what it writes to standard error otherwise still reaches the terminal", () => {
    const sh = shell(bootLab({ seed: 3 }));
    sh('iperf3 -s -D', 'rc');
    expect(sh('iperf3 -c 10.0.0.1 -t 2 > run.txt &')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('sleep 1.5')).toEqual({ stdout: '', stderr: '', status: 0 });
    const mid = sh('cat run.txt').stdout;
    expect(mid).toMatch(/^Connecting to host 10\.0\.0\.1, port 5201\n/);
    expect(mid).toMatch(/0\.00-1\.00 +sec/);
    expect(mid).not.toMatch(/receiver/);
    expect(sh('wait')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('tail -n 1 run.txt').stdout).toBe('iperf Done.\n');
    expect(sh('grep -c receiver run.txt').stdout).toBe('1\n');
    // An error: on the terminal, or into the file after 2>&1.
    const err = 'iperf3: error - unable to connect to server - server may have stopped running or use a different port, firewall issue, etc.: Connection refused\n';
    expect(sh('iperf3 -c 10.0.0.1 -p 5999 > e1 &').status).toBe(0);
    // The terminal shows it after the command it was written during; `wait` with no job named returns 0.
    expect(sh('wait')).toEqual({ stdout: err, stderr: '', status: 0 });
    expect(sh('cat e1').stdout).toBe('');
    expect(sh('iperf3 -c 10.0.0.1 -p 5999 > e2 2>&1 &').status).toBe(0);
    sh('wait');
    expect(sh('cat e2').stdout).toBe(err);
    // With -J the document goes into the file at the end.
    expect(sh('iperf3 -c 10.0.0.1 -t 1 -J > run.json &').status).toBe(0);
    sh('wait');
    const doc = JSON.parse(sh('cat run.json').stdout) as { end: { sum_received: { bytes: number } } };
    expect(doc.end.sum_received.bytes).toBeGreaterThan(0);
  });
});

describe('mkdir, rm and tee (coreutils 9.1)', () => {
  it('mkdir makes directories (-p with parents, -v saying so); rm removes files, -r trees, -d empty directories, -f ignores missing ones', () => {
    const sh = shell(bootLab({ seed: 1 }));
    expect(sh('mkdir -pv runs/a/b')).toEqual({ stdout: "mkdir: created directory 'runs'\nmkdir: created directory 'runs/a'\nmkdir: created directory 'runs/a/b'\n", stderr: '', status: 0 });
    expect(sh('mkdir -p runs/a')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('mkdir runs')).toEqual({ stdout: '', stderr: "mkdir: cannot create directory 'runs': File exists\n", status: 1 });
    expect(sh('mkdir x/y')).toEqual({ stdout: '', stderr: "mkdir: cannot create directory 'x/y': No such file or directory\n", status: 1 });
    expect(sh('mkdir /proc/x')).toEqual({ stdout: '', stderr: "mkdir: cannot create directory '/proc/x': Permission denied\n", status: 1 });
    expect(sh('mkdir')).toEqual({ stdout: '', stderr: "mkdir: missing operand\nTry 'mkdir --help' for more information.\n", status: 1 });
    expect(sh('echo 1 > runs/a/b/f').status).toBe(0);
    expect(sh('rm runs')).toEqual({ stdout: '', stderr: "rm: cannot remove 'runs': Is a directory\n", status: 1 });
    expect(sh('rm -d runs')).toEqual({ stdout: '', stderr: "rm: cannot remove 'runs': Directory not empty\n", status: 1 });
    expect(sh('rm -rv runs')).toEqual({ stdout: "removed 'runs/a/b/f'\nremoved directory 'runs/a/b'\nremoved directory 'runs/a'\nremoved directory 'runs'\n", stderr: '', status: 0 });
    expect(sh('ls')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('rm gone')).toEqual({ stdout: '', stderr: "rm: cannot remove 'gone': No such file or directory\n", status: 1 });
    expect(sh('rm -f gone')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh('rm')).toEqual({ stdout: '', stderr: "rm: missing operand\nTry 'rm --help' for more information.\n", status: 1 });
    expect(sh('rm /proc/interrupts')).toEqual({ stdout: '', stderr: "rm: cannot remove '/proc/interrupts': Permission denied\n", status: 1 });
    expect(sh('sudo rm /proc/interrupts')).toEqual({ stdout: '', stderr: "rm: cannot remove '/proc/interrupts': Operation not permitted\n", status: 1 });
    expect(sh('rm -r /').stderr).toBe("rm: it is dangerous to operate recursively on '/'\nrm: use --no-preserve-root to override this failsafe\n");
    expect(sh('rm -i x')).toEqual({ stdout: '', stderr: "rm: -i: not supported by the lab's rm (it takes -f/--force, -d/--dir, -r/--recursive, -R, -v/--verbose)\n", status: 1 });
    expect(sh('ls /')).toMatchObject({ stdout: 'home  proc  sys  tmp\n' });
  });

  it("tee copies the pipe to standard output and its files (-a appends); as root it writes smp_affinity through the kernel's handler, as the user it cannot open it", () => {
    const lab = bootLab({ seed: 1 });
    const sh = shell(lab);
    expect(sh('uname -m | tee a /tmp/b')).toEqual({ stdout: 'aarch64\n', stderr: '', status: 0 });
    expect(sh('echo more | tee -a a | wc -l')).toEqual({ stdout: '1\n', stderr: '', status: 0 });
    expect(sh('cat a /tmp/b').stdout).toBe('aarch64\nmore\naarch64\n');
    expect(sh('echo x | tee /nope/a')).toEqual({ stdout: 'x\n', stderr: 'tee: /nope/a: No such file or directory\n', status: 1 });
    expect(sh('echo x | tee /tmp')).toEqual({ stdout: 'x\n', stderr: 'tee: /tmp: Is a directory\n', status: 1 });
    const irq = [...lab.boards.rc.host.irqs.keys()].sort((x, y) => x - y)[1] ?? 0;
    const file = `/proc/irq/${irq}/smp_affinity`;
    expect(sh(`echo 4 | tee ${file}`, 'rc')).toEqual({ stdout: '4\n', stderr: `tee: ${file}: Permission denied\n`, status: 1 });
    expect(sh(`echo 4 | sudo tee ${file}`, 'rc')).toEqual({ stdout: '4\n', stderr: '', status: 0 });
    expect(lab.boards.rc.host.irqs.get(irq)?.affinity).toBe(4);
    expect(sh(`echo zz | sudo tee ${file}`, 'rc')).toEqual({ stdout: 'zz\n', stderr: `tee: ${file}: Invalid argument\n`, status: 1 });
    expect(lab.boards.rc.host.irqs.get(irq)?.affinity).toBe(4);
    expect(sh('echo 1 | sudo tee /proc/interrupts', 'rc')).toEqual({ stdout: '1\n', stderr: 'tee: /proc/interrupts: Input/output error\n', status: 1 });
  });
});

describe('the tree against a reference model (fast-check)', () => {
  it('any sequence of mkdir, > and >>, rm and rm -r leaves exactly the files and contents the model says, readable by cat and listed by ls', () => {
    const names = ['a', 'b', 'c'];
    const path = fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 3 }).map((p) => p.join('/'));
    const op = fc.oneof(
      fc.record({ kind: fc.constant('mkdir' as const), path }),
      fc.record({ kind: fc.constantFrom('write' as const, 'append' as const), path, text: fc.constantFrom('x', 'yy', 'z z') }),
      fc.record({ kind: fc.constantFrom('rm' as const, 'rmr' as const), path }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 25 }), (ops) => {
        const sh = shell(bootLab({ seed: 1 }));
        sh('cd /tmp');
        /** The reference: each path to its text, or null for a directory. */
        const model = new Map<string, string | null>();
        const parentOk = (p: string): boolean => !p.includes('/') || model.get(p.slice(0, p.lastIndexOf('/'))) === null;
        /** Each line run, with the status it gave and the one the model expects. */
        const statuses: { line: string; got: number; want: number }[] = [];
        const run = (line: string, ok: boolean): void => {
          statuses.push({ line, got: sh(line).status, want: ok ? 0 : 1 });
        };
        for (const o of ops) {
          if (o.kind === 'mkdir') {
            const ok = parentOk(o.path) && !model.has(o.path);
            run(`mkdir ${o.path}`, ok);
            if (ok) model.set(o.path, null);
          } else if (o.kind === 'write' || o.kind === 'append') {
            const ok = parentOk(o.path) && model.get(o.path) !== null;
            run(`echo '${o.text}' ${o.kind === 'write' ? '>' : '>>'} ${o.path}`, ok);
            if (ok) model.set(o.path, (o.kind === 'append' ? (model.get(o.path) ?? '') : '') + `${o.text}\n`);
          } else {
            const ok = model.has(o.path) && (model.get(o.path) !== null || o.kind === 'rmr');
            run(`rm ${o.kind === 'rmr' ? '-r ' : ''}${o.path}`, ok);
            if (ok) for (const k of [...model.keys()]) if (k === o.path || k.startsWith(`${o.path}/`)) model.delete(k);
          }
        }
        expect(statuses.map((s) => `${s.line}: ${s.got}`)).toEqual(statuses.map((s) => `${s.line}: ${s.want}`));
        const files = [...model].filter((e): e is [string, string] => e[1] !== null);
        expect(files.map(([p]) => sh(`cat ${p}`))).toEqual(files.map(([, text]) => ({ stdout: text, stderr: '', status: 0 })));
        const listed = [...model.keys()].map((p) => sh(`ls -1 ${p.includes('/') ? p.slice(0, p.lastIndexOf('/')) : '.'}`).stdout.split('\n').includes(p.slice(p.lastIndexOf('/') + 1)));
        expect(listed.every(Boolean)).toBe(true);
        const top = [...model.keys()].filter((k) => !k.includes('/')).sort();
        expect(sh('ls -1').stdout).toBe(top.map((k) => `${k}\n`).join(''));
      }),
      { numRuns: 60 },
    );
  });
});
