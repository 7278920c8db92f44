// The repository's import rules, read from the source itself (every relative import, export-from and dynamic
// import, type-only ones included):
//   src/model-folder (the converter↔engine contract) imports nothing outside itself; src/onnx only the contract;
//   the converter reads the contract and src/onnx, never the engine; the engine never imports src/protocol, the
//   app or workers/ (contract ← engine ← protocol ← app); src/ never imports converter/, the oracle
//   (reference/), the fixtures, benchmarks or e2e; reference/ is imported by tests and benchmarks only;
//   and no two top-level folders (src/ counted per subfolder) import each other in a circle.
// Test code — *.test.ts, *.spec.ts, *.page.ts, testing/ helpers, fixtures/, bench/, e2e/ — wires things together
// and may import anything; the rules bind the code that ships or converts.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './shared.ts';

const FOLDERS = ['src', 'converter', 'fixtures', 'reference', 'workers', 'bench', 'e2e'];
const TEST_FOLDERS = new Set(['fixtures', 'bench', 'e2e']);

interface Arrow {
  from: string;
  to: string;
}

/** src/<sub> for files under src/, else the top-level folder. */
function unitOf(path: string): string {
  const [top, sub] = path.split('/');
  return top === 'src' && sub !== undefined && !sub.includes('.') ? `${top}/${sub}` : top;
}

function isTestCode(path: string): boolean {
  return /\.(test|spec|page)\.tsx?$/.test(path) || path.split('/').includes('testing') || TEST_FOLDERS.has(path.split('/')[0]);
}

/** `… from './x'`, `import './x'`, `import('./x')`: the relative specifiers of a module's imports and re-exports. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Every relative import between repository files, as repo-relative paths. */
function repoArrows(): Arrow[] {
  const arrows: Arrow[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(join(repoRoot, dir)).sort()) {
      const path = join(dir, name);
      if (statSync(join(repoRoot, path)).isDirectory()) walk(path);
      else if (/\.tsx?$/.test(name)) {
        for (const [, spec] of readFileSync(join(repoRoot, path), 'utf8').matchAll(SPECIFIER)) arrows.push({ from: path, to: normalize(join(dirname(path), spec)) });
      }
    }
  };
  for (const f of FOLDERS) walk(f);
  return arrows;
}

/** The arrows of runtime code that break a rule, each as "from → to (why)". */
function ruleBreaks(arrows: readonly Arrow[]): string[] {
  const out: string[] = [];
  for (const { from, to } of arrows) {
    const a = unitOf(from), b = unitOf(to);
    if (isTestCode(from) || a === b) continue;
    const why =
      a === 'src/model-folder' ? 'the contract imports nothing outside itself'
      : a === 'src/onnx' && b !== 'src/model-folder' ? 'src/onnx imports only the contract'
      : b === 'reference' ? 'the oracle is imported by tests and benchmarks only'
      : a.startsWith('src/') && ['converter', 'fixtures', 'bench', 'e2e'].includes(b) ? 'src/ never imports the converter or test code'
      : a === 'converter' && b.startsWith('src/') && b !== 'src/model-folder' && b !== 'src/onnx' ? 'the converter reads only the contract and src/onnx from src/'
      : a === 'src/engine' && (b === 'src/protocol' || b === 'src/app' || b === 'workers') ? 'the engine imports neither the worker protocol nor the app or workers built on it'
      : null;
    if (why) out.push(`${from} → ${to} (${why})`);
  }
  return out;
}

/** Circles between units over runtime arrows, each as "a → b → … → a" (one per strongly connected set). */
function unitCycles(arrows: readonly Arrow[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of arrows) {
    const a = unitOf(from), b = unitOf(to);
    if (isTestCode(from) || a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  // A depth-first walk from each unit; a unit met again on the current path closes a circle.
  const visit = (u: string, path: string[]) => {
    const at = path.indexOf(u);
    if (at >= 0) {
      cycles.push([...path.slice(at), u].join(' → '));
      return;
    }
    if (done.has(u)) return;
    for (const v of next.get(u) ?? []) visit(v, [...path, u]);
    done.add(u);
  };
  for (const u of [...next.keys()].sort()) visit(u, []);
  return cycles;
}

describe('import rules', () => {
  const arrows = repoArrows();

  it('reads the repository: the engine imports the contract, the converter src/onnx', () => {
    expect(arrows.some((x) => unitOf(x.from) === 'src/engine' && unitOf(x.to) === 'src/model-folder')).toBe(true);
    expect(arrows.some((x) => unitOf(x.from) === 'converter' && unitOf(x.to) === 'src/onnx')).toBe(true);
  });

  it('no runtime file imports across a forbidden line', () => {
    expect(ruleBreaks(arrows)).toEqual([]);
  });

  it('no circle between top-level folders', () => {
    expect(unitCycles(arrows)).toEqual([]);
  });

  it('the checks catch each kind of break (synthetic arrows)', () => {
    const bad: Arrow[] = [
      { from: 'src/engine/model.ts', to: 'converter/emit/region-pyramid.ts' },
      { from: 'src/engine/decode/x.ts', to: 'reference/decoder.ts' },
      { from: 'converter/read/tokenizer.ts', to: 'src/engine/prompt/tokenizer.ts' },
      { from: 'src/model-folder/manifest.ts', to: 'src/engine/errors.ts' },
      { from: 'src/onnx/graph.ts', to: 'src/engine/session.ts' },
      { from: 'src/engine/engine.ts', to: 'src/protocol/messages.ts' },
      // Test code may import anything.
      { from: 'src/engine/model.test.ts', to: 'converter/convert.ts' },
      { from: 'fixtures/fixture.ts', to: 'src/engine/prompt/fo1-tokens.ts' },
    ];
    expect(ruleBreaks(bad)).toEqual([
      'src/engine/model.ts → converter/emit/region-pyramid.ts (src/ never imports the converter or test code)',
      'src/engine/decode/x.ts → reference/decoder.ts (the oracle is imported by tests and benchmarks only)',
      'converter/read/tokenizer.ts → src/engine/prompt/tokenizer.ts (the converter reads only the contract and src/onnx from src/)',
      'src/model-folder/manifest.ts → src/engine/errors.ts (the contract imports nothing outside itself)',
      'src/onnx/graph.ts → src/engine/session.ts (src/onnx imports only the contract)',
      'src/engine/engine.ts → src/protocol/messages.ts (the engine imports neither the worker protocol nor the app or workers built on it)',
    ]);
    expect(unitCycles([
      { from: 'converter/convert.ts', to: 'src/model-folder/manifest.ts' },
      { from: 'src/model-folder/manifest.ts', to: 'converter/read/config.ts' },
      { from: 'src/engine/model.test.ts', to: 'converter/convert.ts' },
    ])).toEqual(['converter → src/model-folder → converter']);
  });
});
