import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runNotebook } from '../lib/notebook/runner';
import { ROOT } from '../lib/paths';

interface Output { output_type: string; name?: string; text?: string | string[] }
const text = (o: Output) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '');

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
});
