import { labCommands } from '../src/commands.js';
import type { Lab } from '../src/lab/lab.js';
import { defaultVars } from '../src/lab/script.js';
import { runLine } from '../src/lab/shell.js';
import type { CommandResult } from '../src/types.js';

/**
 * The two boards' shells of `lab`, each keeping its variables ($?) across lines as a shell
 * would: `sh(line, board)` runs one line on `board` (the EP when not given).
 */
export function labShell(lab: Lab): (line: string, board?: 'rc' | 'ep') => CommandResult {
  const commands = labCommands();
  const vars = { rc: defaultVars(lab, lab.boards.rc), ep: defaultVars(lab, lab.boards.ep) };
  return (line, board = 'ep') => runLine(line, { lab, board: lab.boards[board], vars: vars[board] }, commands);
}

const shells = new WeakMap<Lab, ReturnType<typeof labShell>>();

/** One line on `board` of `lab`, through the lab's one `labShell` (its variables kept across calls). */
export function sh(lab: Lab, board: 'rc' | 'ep', line: string): CommandResult {
  let shell = shells.get(lab);
  if (shell === undefined) {
    shell = labShell(lab);
    shells.set(lab, shell);
  }
  return shell(line, board);
}
