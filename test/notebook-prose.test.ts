/**
 * Notebook prose that states settings agrees with the registry (lib/experiments/registry.ts):
 * numbers copied into text drift when a profile changes; this test fails instead.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { EXPERIMENTS, getExperiment } from '../lib/experiments';
import { ROOT } from '../lib/paths';
import { contradictions, proseClaims } from './helpers/prose';

interface Cell { cell_type: string; source: string[] | string }
const NOTEBOOKS = path.join(ROOT, 'notebooks');

test('the prose checker reads profiles, numbers and their units', () => {
  const cfg = getExperiment('seed000-lstm');
  const ok = "The `default` profile trains for 15 epochs. `full` is the seed's run (200 epochs max, patience 20). (`smoke`, for CI: 6 epochs on 4 tracks per genre.) Adam 0.001, batch 50.";
  assert.equal(proseClaims(ok).length, 7);
  assert.deepEqual(contradictions(ok, [cfg]), []);
  // the drifted sentences issue 14 found
  const stale = contradictions('The `smoke` profile runs 2 epochs on 2 tracks per genre.', [cfg]);
  assert.deepEqual(stale.map((c) => [c.profile, c.what, c.value]), [['smoke', 'epochs', 2], ['smoke', 'tracks per genre', 2]]);
  assert.deepEqual(contradictions('Adam 0.001, batch 32, 50 epochs.', [getExperiment('lecture-mlp')]), []);
  assert.equal(contradictions('The default profile trains with Adam 0.001.', [getExperiment('lecture-mlp')]).length, 1, "lecture-mlp's default is 1e-4");
});

test("every notebook's prose agrees with its experiments' registry settings", () => {
  const ids = EXPERIMENTS.map((e) => e.id);
  let checked = 0;
  const bad: string[] = [];
  for (const f of fs.readdirSync(NOTEBOOKS).filter((n) => n.endsWith('.ipynb')).sort()) {
    const cells = (JSON.parse(fs.readFileSync(path.join(NOTEBOOKS, f), 'utf8')) as { cells: Cell[] }).cells;
    const text = (c: Cell) => (Array.isArray(c.source) ? c.source.join('') : c.source);
    const code = cells.filter((c) => c.cell_type === 'code').map(text).join('\n');
    // the notebook's experiments: registry ids its code names
    const used = ids.filter((id) => code.includes(`'${id}'`)).map(getExperiment);
    if (!used.length) continue;
    for (const c of cells.filter((c) => c.cell_type === 'markdown')) {
      checked += proseClaims(text(c)).length;
      for (const x of contradictions(text(c), used)) bad.push(`${f}: ${x.profile} ${x.what} ${x.value} is not in ${used.map((e) => e.id).join('/')}: "${x.text}"`);
    }
  }
  assert.ok(checked >= 20, `only ${checked} claims found: the checker lost its patterns`);
  assert.deepEqual(bad, []);
});
