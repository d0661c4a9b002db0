export { labCommands } from './commands.js';
export { bootLab, LAB_IPS, LabError, type Board, type BoardName, type Lab, type LabOptions } from './lab/lab.js';
export { applyParam, ParamError, parseKernelBool, parseKernelUint, type ModuleParams } from './lab/params.js';
export { defaultVars, parseScriptLine, runScript, type ScriptOutcome, type ScriptStep } from './lab/script.js';
export { parseLine, runLine, type ParsedLine } from './lab/shell.js';
export { procInterrupts, readFile } from './tools/proc.js';
export { ipStatsBlock, utilisation } from './tools/system.js';
export { result, type Command, type CommandResult, type ShellEnv } from './types.js';
