import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { spawnSync } from 'child_process';
import { runNotebook } from '../lib/runner/runner';
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

test('kernel status stays busy until the queue of cells drains (jupyter_client: 4 cells at once, a completion meanwhile, the third cell fails)', () => {
  const py = path.join(ROOT, '.venv', 'bin', 'python');
  const r = spawnSync(py, [path.join(ROOT, 'test', 'fixtures', 'kernel', 'status_probe.py'), 'tslab', '1', '4', '2'], { encoding: 'utf8', timeout: 240_000 });
  assert.equal(r.status, 0, r.stderr);
  const { events, replies } = JSON.parse(r.stdout) as {
    events: { t: number; state: string; parent: string; cell: number | null }[];
    replies: { status: string }[];
  };
  const seq = events.map((e) => `${e.state}:${e.parent}${e.cell ?? ''}`).join(' ');
  assert.deepEqual(replies.map((x) => x.status), ['ok', 'ok', 'error', 'abort'], 'tslab still aborts the cells queued after a failure');
  // Every idle but the last is followed at once by a busy: a client showing the latest status says
  // Busy from the first cell's start until the last cell's end (tslab 1.0.22: idle after the first cell).
  assert.equal(events[0].state, 'busy', seq);
  assert.equal(events[events.length - 1].state, 'idle', seq);
  events.slice(0, -1).forEach((e, i) => {
    if (e.state === 'idle') assert.equal(events[i + 1].state, 'busy', `idle not followed by busy at ${i}: ${seq}`);
  });
  // Each cell: busy when it starts (after the previous one's idle), then idle; the completion got its pair too.
  const exec = events.filter((e) => e.parent === 'execute');
  const firstOf = (state: string, cell: number) => exec.findIndex((e) => e.state === state && e.cell === cell);
  for (let c = 0; c < 4; c++) {
    assert.ok(firstOf('busy', c) >= 0 && firstOf('busy', c) < firstOf('idle', c), `cell ${c}: busy then idle: ${seq}`);
    if (c > 0) assert.ok(firstOf('idle', c - 1) < firstOf('busy', c), `cell ${c} starts after cell ${c - 1} ends: ${seq}`);
  }
  assert.deepEqual(events.filter((e) => e.parent === 'complete').map((e) => e.state), ['busy', 'idle'], seq);
});
