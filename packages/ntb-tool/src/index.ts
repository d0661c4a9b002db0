export { EISDIR, ERESTART, ToolError, type ToolErrorCode } from './errors.js';
export { createNtbToolClient, formatHexSpecial, formatPhys, NtbTool, TOOL_BUF_LEN } from './tool.js';
export type { NtbToolClient, ToolDone, ToolIoOptions } from './types.js';
