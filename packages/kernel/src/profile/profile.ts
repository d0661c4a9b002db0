/**
 * Loading and checking platform profiles, and the quantities derived from them.
 */
import { showValue } from '../errors.js';
import { rcarS4Profile } from './rcarS4.js';
import { profileSchema, type PlatformProfile } from './schema.js';
import { x86ServerProfile } from './x86Server.js';

/** One problem found in a profile: field path, offending value, what is allowed. */
export interface ProfileIssue {
  /** Dotted path of the field, e.g. `memory.readUncachedMBps.value`. */
  readonly path: string;
  /** The value found there (undefined when missing). */
  readonly value: unknown;
  /** What the field allows. */
  readonly allowed: string;
}

/** A profile failed validation; `issues` names every bad field. */
export class ProfileError extends Error {
  /** Always `EINVAL`. */
  readonly code = 'EINVAL' as const;
  /** Every problem found, in schema order. */
  readonly issues: readonly ProfileIssue[];
  /** An error for the profile read from `source` (a name or file), listing every issue. */
  constructor(source: string, issues: readonly ProfileIssue[]) {
    const lines = issues.map((i) => `  ${i.path}: got ${showValue(i.value)}, ${i.allowed}`);
    super(`[kernel] [profile] invalid profile ${source}:\n${lines.join('\n')}`);
    this.name = 'ProfileError';
    this.issues = issues;
  }
}


function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = input;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

/** Validate raw profile data (e.g. parsed JSON); throws ProfileError naming each bad field. */
export function parseProfile(input: unknown, source = '(inline)'): PlatformProfile {
  const result = profileSchema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue): ProfileIssue => {
    const path = issue.path.map(String).join('.') || '(root)';
    let allowed = issue.message;
    if (issue.code === 'unrecognized_keys') {
      return { path: [path, ...issue.keys].join('.'), value: valueAt(input, [...issue.path, issue.keys[0] ?? '']), allowed: 'no such field' };
    }
    const value = valueAt(input, issue.path);
    if (issue.code === 'invalid_type') {
      const what = /^[aeiou]/.test(issue.expected) ? `an ${issue.expected}` : `a ${issue.expected}`;
      if (value === undefined) return { path, value, allowed: `required: ${what} (missing)` };
      allowed = `allowed ${what}`;
    }
    if (!allowed.startsWith('allowed')) allowed = `allowed ${allowed}`;
    return { path, value, allowed };
  });
  throw new ProfileError(source, issues);
}

/** A deep partial of a profile, for overrides (`{ kernel: { hz: { value: 1000 } } }`). */
export type ProfilePatch = { [K in keyof PlatformProfile]?: PlatformProfile[K] extends object ? DeepPartial<PlatformProfile[K]> : PlatformProfile[K] };
type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? DeepPartial<T[K]> : T[K] };

function merge(base: unknown, patch: unknown): unknown {
  if (patch === undefined) return base;
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [k, v] of Object.entries(patch)) out[k] = merge(out[k], v);
  return out;
}

/** A new validated profile: `base` with `patch` merged in (user extension, sweeps). */
export function extendProfile(base: PlatformProfile, patch: ProfilePatch): PlatformProfile {
  return parseProfile(merge(base, patch), `${base.name} + overrides`);
}

/** The built-in profiles by name. */
export const builtinProfiles: Readonly<Record<string, PlatformProfile>> = {
  'rcar-s4': parseProfile(rcarS4Profile, 'rcar-s4'),
  'x86-server': parseProfile(x86ServerProfile, 'x86-server'),
};

/** A built-in profile by name; throws ProfileError listing the known names. */
export function getProfile(name: string): PlatformProfile {
  const p = builtinProfiles[name];
  if (p === undefined) {
    throw new ProfileError(name, [{ path: 'name', value: name, allowed: `allowed ${Object.keys(builtinProfiles).join(', ')}` }]);
  }
  return p;
}

const GT_PER_S_BY_GEN = [0, 2.5, 5, 8, 16, 32, 64];

/** Raw PCIe payload bandwidth of the link in one direction (B/s), after line coding and TLP overhead. */
export function pcieBytesPerSec(p: PlatformProfile): number {
  const gen = p.pcie.gen.value;
  const gt = GT_PER_S_BY_GEN[gen] ?? 0;
  const coding = gen <= 2 ? 8 / 10 : gen <= 5 ? 128 / 130 : 242 / 256;
  return (gt * 1e9 * p.pcie.lanes.value * coding * p.pcie.tlpEfficiency.value) / 8;
}
