/**
 * The boards' own files: a tmpfs at `/tmp` and the lab user's home directory (`/home/user`,
 * the shell's working directory at boot and `~`), where redirections (`> FILE`, `>> FILE`),
 * `tee`, `mkdir` and `rm` write and from which `cat`, `grep`, `head`, `tail`, `wc` and `ls`
 * read, as on a board's shell. The user owns its home and may write anywhere in `/tmp`; the
 * rest of the tree (`/`, `/home`, /proc, /sys) takes no new file from the user's shell, which
 * opens a redirection's file itself (`sudo CMD > FILE` still opens it as the user). Each
 * board's files and its shell's working directory are its own; nothing is kept across labs.
 */
import type { Board } from '../lab/lab.js';

/** The lab user's home directory on each board: the shell's working directory at boot, and `~`. */
export const HOME = '/home/user';

/** The directories at the top of the tree this module owns (the rest of `/` is /proc and /sys). */
export const TMPFS_TOP = ['home', 'tmp'] as const;

/** A node of the tree: a directory (its entries are the keys below it) or a file and its text. */
type Node = { readonly kind: 'dir' } | { readonly kind: 'file'; text: string };

/** One board's files (keyed by their components joined with `/`, no leading slash) and its shell's working directory. */
interface BoardFiles {
  readonly nodes: Map<string, Node>;
  cwd: string;
  /** The directory `cd` left (`cd -`, $OLDPWD), null before the first `cd`. */
  oldCwd: string | null;
}

const boards = new WeakMap<Board, BoardFiles>();

function filesOf(board: Board): BoardFiles {
  let f = boards.get(board);
  if (f === undefined) {
    const dir: Node = { kind: 'dir' };
    f = { nodes: new Map<string, Node>([['home', dir], ['home/user', dir], ['tmp', dir]]), cwd: HOME, oldCwd: null };
    boards.set(board, f);
  }
  return f;
}

/** The working directory of `board`'s shell (absolute, normalised). */
export function cwdOf(board: Board): string {
  return filesOf(board).cwd;
}

/** The components of `path` on `board`: a relative path starts at the shell's working directory; `.` and empty components dropped, `..` climbs (not above `/`). */
export function absParts(board: Board, path: string): string[] {
  const parts: string[] = [];
  for (const p of `${path.startsWith('/') ? '' : `${cwdOf(board)}/`}${path}`.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts;
}

/** `path` as an absolute path on `board` without `.`, `..`, repeated or trailing slashes. */
export function absPath(board: Board, path: string): string {
  return `/${absParts(board, path).join('/')}`;
}

/** The tmpfs node at the normalised components `p` (under /home or /tmp), or null. */
export function tmpfsNode(board: Board, p: readonly string[]): { readonly kind: 'dir'; readonly entries: string[] } | { readonly kind: 'file'; readonly text: string } | null {
  const key = p.join('/');
  const node = filesOf(board).nodes.get(key);
  if (node === undefined) return null;
  if (node.kind === 'file') return { kind: 'file', text: node.text };
  const entries: string[] = [];
  for (const k of filesOf(board).nodes.keys()) if (k.startsWith(`${key}/`) && !k.slice(key.length + 1).includes('/')) entries.push(k.slice(key.length + 1));
  return { kind: 'dir', entries };
}

/** Whether the user may create and remove entries in the directory `key` (components joined): `/tmp` and its subtree, and the home directory's. */
function writableDir(key: string): boolean {
  return key === 'tmp' || key.startsWith('tmp/') || key === 'home/user' || key.startsWith('home/user/');
}

/** A failure of a file operation: strerror's text, as the tools print it after the path. */
export type FsError = 'No such file or directory' | 'Not a directory' | 'Is a directory' | 'Permission denied' | 'File exists' | 'Directory not empty';

/** Walk to the parent of `parts` as namei does: the parent's key, or why it cannot be reached (a missing component, a file in the way). */
function parentOf(board: Board, parts: readonly string[]): { key: string } | FsError {
  const nodes = filesOf(board).nodes;
  for (let i = 1; i < parts.length; i++) {
    const key = parts.slice(0, i).join('/');
    // The top directories other than /home and /tmp (proc, sys) hold no tmpfs files: a name there is not ours.
    if (i === 1 && !(TMPFS_TOP as readonly string[]).includes(key)) return 'Permission denied';
    const n = nodes.get(key);
    if (n === undefined) return 'No such file or directory';
    if (n.kind === 'file') return 'Not a directory';
  }
  return { key: parts.slice(0, -1).join('/') };
}

/**
 * open(O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC)) of `path` by the user, as bash opens
 * a redirection's file before it runs the command: the file is created (or emptied) now, and
 * what the command then writes goes to `write`; or why it cannot be opened. Files of /proc,
 * /sys and debugfs are not opened here (the caller writes them through their own handlers).
 */
export function openForWrite(board: Board, path: string, append: boolean): { readonly write: (text: string) => void } | FsError {
  const parts = absParts(board, path);
  if (parts.length === 0 || path.endsWith('/')) return 'Is a directory';
  const parent = parentOf(board, parts);
  if (typeof parent === 'string') return parent;
  const nodes = filesOf(board).nodes;
  const key = parts.join('/');
  const existing = nodes.get(key);
  if (existing?.kind === 'dir') return 'Is a directory';
  if (existing === undefined && !writableDir(parent.key)) return 'Permission denied';
  const node: Node = existing ?? { kind: 'file', text: '' };
  if (node.kind === 'file' && !append) node.text = '';
  nodes.set(key, node);
  return {
    write: (text: string): void => {
      // A file removed since it was opened keeps its data where no name reaches it.
      if (node.kind === 'file') node.text += text;
    },
  };
}

/** mkdir(2) of `path` by the user: null, or why not. */
export function makeDir(board: Board, path: string): FsError | null {
  const parts = absParts(board, path);
  if (parts.length === 0) return 'File exists';
  const parent = parentOf(board, parts);
  if (typeof parent === 'string') return parent;
  const nodes = filesOf(board).nodes;
  const key = parts.join('/');
  if (nodes.has(key) || (parts.length === 1 && ['proc', 'sys'].includes(key))) return 'File exists';
  if (!writableDir(parent.key)) return 'Permission denied';
  nodes.set(key, { kind: 'dir' });
  return null;
}

/** unlink(2) (`dir` false) or rmdir(2) (`dir` true) of `path` by the user: null, or why not. */
export function removeEntry(board: Board, path: string, dir: boolean): FsError | null {
  const parts = absParts(board, path);
  const nodes = filesOf(board).nodes;
  const key = parts.join('/');
  const node = nodes.get(key);
  if (parts.length === 0) return dir ? 'Permission denied' : 'Is a directory';
  const parent = parentOf(board, parts);
  if (typeof parent === 'string') return parent;
  if (node === undefined) return 'No such file or directory';
  if (node.kind === 'dir' && !dir) return 'Is a directory';
  if (node.kind === 'file' && dir) return 'Not a directory';
  if (!writableDir(parent.key)) return 'Permission denied';
  if (dir && [...nodes.keys()].some((k) => k.startsWith(`${key}/`))) return 'Directory not empty';
  nodes.delete(key);
  return null;
}

/** Whether `path` on `board` names a tmpfs node (a file or a directory under /home or /tmp). */
export function inTmpfs(board: Board, path: string): boolean {
  return filesOf(board).nodes.has(absParts(board, path).join('/'));
}

/** chdir of `board`'s shell to the directory `abs` (absolute, normalised; the caller checked it is one). */
export function setCwd(board: Board, abs: string): void {
  const f = filesOf(board);
  f.oldCwd = f.cwd;
  f.cwd = abs;
}

/** The directory `cd` last left on `board` (`cd -`), or null. */
export function oldCwdOf(board: Board): string | null {
  return filesOf(board).oldCwd;
}
