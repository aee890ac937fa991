import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runNotebook } from '../lib/notebook/runner';
import { ROOT } from '../lib/paths';

interface Output { output_type: string; name?: string; text?: string | string[]; data?: Record<string, string | string[]> }
const text = (o: Output) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '');
const plain = (o: Output) => [o.data?.['text/plain'] ?? ''].flat().join('');

test('a notebook executes headless on the real tslab kernel and imports lib/', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-nb-'));
  const r = runNotebook(path.join(ROOT, 'test', 'notebooks', 'kernel_smoke.ipynb'), { outDir, timeoutS: 120 });
  assert.ok(r.ok, `notebook failed: ${r.error}`);
  const nb = JSON.parse(fs.readFileSync(r.executed, 'utf8'));
  const code = nb.cells.filter((c: { cell_type: string }) => c.cell_type === 'code');
  assert.equal(nb.metadata.kernelspec.name, 'tslab');
  const out = code.map((c: { outputs: Output[] }) => c.outputs.map(text).join(''));
  // cell 1: lib/backend was imported by the kernel and picked the native backend
  assert.match(out[0], /\{"kind":"native-(cpu|gpu)","backend":"tensorflow"\}/);
  // cell 2: a tfjs op ran inside the kernel
  assert.match(out[1], /\{"matmul":\[\[19,22\],\[43,50\]\]\}/);
  // cell 3: the last expression's value is displayed
  assert.match(out[2], /2x2/);
  // cell 4: a log line on stdout and the feature cache's progress as one display updated in place
  // (lib/log.ts); nothing on stderr, which JupyterLab paints red
  const outs: Output[] = code[3].outputs;
  assert.deepEqual(outs.filter((o) => o.name === 'stderr').map(text), []);
  assert.ok(outs.some((o) => o.name === 'stdout' && /a log line/.test(text(o))), 'logLine writes to the cell\'s stdout');
  const progress = outs.filter((o) => o.output_type === 'display_data' && /^\[cache nb-smoke\]/.test(plain(o)));
  assert.equal(progress.length, 1, 'one progress display');
  assert.match(plain(progress[0]), /3\/3 \(0 cached, 3 computed, 0 failed\)/, 'updated to the final state');
});
