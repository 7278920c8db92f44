// Locates ../shared (real data placed beside the repo). A clone without it skips those tests with a
// clear reason instead of failing.
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedRoot = process.env.FO1_SHARED ?? resolve(repoRoot, '../shared');
export const hasShared = existsSync(join(sharedRoot, 'assets'));

/** Absolute path inside ../shared/assets. */
export function sharedAsset(...parts: string[]): string {
  return join(sharedRoot, 'assets', ...parts);
}

/** Reason printed by tests skipped for want of ../shared. */
export const NO_SHARED = `skipped: ../shared/assets not found beside the repo (${sharedRoot}); these tests need the real data there`;
