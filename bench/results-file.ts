// bench/results.json and bench/RESULTS.md on disk: every benchmark merges its figures in through writeResults.

import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot } from '../src/testing/shared.ts';
import { renderMarkdown } from './results-markdown.ts';
import { deriveRatios, type Results } from './results.ts';

export const RESULTS_JSON = join(repoRoot, 'bench', 'results.json');
export const RESULTS_MD = join(repoRoot, 'bench', 'RESULTS.md');

export async function readResults(): Promise<Results> {
  return existsSync(RESULTS_JSON) ? (JSON.parse(await readFile(RESULTS_JSON, 'utf8')) as Results) : {};
}

/** Re-reads the file first so keys another script wrote meanwhile survive, then derives ratios and the .md. */
export async function writeResults(mine: Results): Promise<void> {
  const merged: Results = { ...(await readResults()), ...mine };
  merged.ratios = { ...merged.ratios, ...deriveRatios(merged) };
  await writeFile(RESULTS_JSON, JSON.stringify(merged, null, 2) + '\n');
  await writeFile(RESULTS_MD, renderMarkdown(merged));
}
