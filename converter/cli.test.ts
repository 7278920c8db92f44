import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../src/testing/shared.ts';
import { formatBytes, progressLine } from './progress.ts';

const run = promisify(execFile);
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-'));
});
afterAll(() => rm(root, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(join(repoRoot, 'node_modules/.bin/tsx'), [join(repoRoot, 'converter/cli.ts'), ...args], { cwd: repoRoot });
    return { code: 0, ...r };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('convert CLI', () => {
  it('exits non-zero naming the problem, and writes no folder', async () => {
    const out = join(root, 'out');
    const missing = await cli(['--checkpoint', join(root, 'nowhere'), '--out', out]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nowhere: no config\.json \(not a checkpoint folder\)/);
    const dtype = await cli(['--checkpoint', root, '--out', out, '--dtype', 'q4f16,int3']);
    expect(dtype.code).toBe(1);
    expect(dtype.stderr).toMatch(/--dtype int3: supported dtypes are fp32, q4, fp16, q4f16/);
    const both = await cli(['--out', out]);
    expect(both.stderr).toMatch(/exactly one of --checkpoint \/ --from-hub/);
    expect(existsSync(out)).toBe(false);
  });
});

describe('progress line', () => {
  it('shows tensors, bytes and an ETA from the byte rate', () => {
    const line = progressLine({ stage: 'decoder_model_merged (q4)', tensorsDone: 10, tensorsTotal: 40, bytesDone: 2e9, bytesTotal: 8e9 }, 60);
    expect(line).toContain('25%');
    expect(line).toContain('10/40 tensors');
    expect(line).toContain('2.0 GB/8.0 GB');
    expect(line).toContain('ETA 3:00'); // a quarter done in 60 s → 180 s left
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2_700_000_000)).toBe('2.7 GB');
  });
});
