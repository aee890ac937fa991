/**
 * CI executes every notebook in notebooks/ on the real tslab kernel with the smoke profile and
 * the generated dataset, results redirected to a temporary folder, and checks what each wrote:
 * metrics.json (settings, closing table), its figures, and numbers specific to each notebook.
 * GENRE_LAB_NOTEBOOKS=05,07 runs only the notebooks whose names contain those parts.
 * The notebooks run two at a time (GENRE_LAB_NOTEBOOK_JOBS), each test awaiting its own run.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { listNotebooks, runNotebookAsync, type NotebookRun } from '../lib/runner/runner';
import type { MetricsFile } from '../lib/notebook/session';
import { PUBLISHED } from '../lib/notebook/published';
import { findChromium } from '../lib/plots/chromium';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-notebooks-'));
const only = (process.env.GENRE_LAB_NOTEBOOKS ?? '').split(',').filter(Boolean);
const notebooks = listNotebooks().filter((f) => !only.length || only.some((o) => path.basename(f).includes(o)));

const ENV = { GENRE_LAB_PROFILE: 'smoke', GENRE_LAB_DATASET: 'generated', GENRE_LAB_RESULTS_DIR: root };
const jobs = Math.max(1, Number(process.env.GENRE_LAB_NOTEBOOK_JOBS) || Math.min(2, os.cpus().length));

/** Starts every run now, `jobs` at a time; the tests below await them in order. */
function startAll(files: string[]): Map<string, Promise<NotebookRun>> {
  const runs = new Map<string, Promise<NotebookRun>>();
  const slots: (() => void)[] = [];
  let free = jobs;
  const acquire = () => (free > 0 ? (free--, Promise.resolve()) : new Promise<void>((r) => slots.push(r)));
  const release = () => (slots.length ? slots.shift()!() : free++);
  for (const f of files) {
    runs.set(f, (async () => {
      await acquire();
      try {
        return await runNotebookAsync(f, { outDir: path.join(root, 'executed'), timeoutS: 600, env: ENV });
      } finally {
        release();
      }
    })());
  }
  return runs;
}
const started = startAll(notebooks);

type M = MetricsFile & { metrics: Record<string, any> };
const close = (a: number, b: number, tol: number) => Math.abs(a - b) <= tol;

/** What each notebook must have computed, beyond the checks every notebook gets. */
const EXPECT: Record<string, (m: M) => void> = {
  '00-ai-ml-and-deep-learning': (m) => {
    assert.equal(m.metrics.tracks, m.metrics.trainTracks + m.metrics.testTracks);
    assert.ok(m.metrics.accuracy > 2 * m.metrics.chance, `hand-made features + nearest centroid: ${m.metrics.accuracy}`);
  },
  '01-neuron-and-linear-algebra': (m) => {
    assert.ok(close(m.metrics.neuronOutput, 1 / (1 + Math.exp(-0.45)), 1e-12), 'σ(0.45)');
    assert.equal(m.metrics.layerActivations.length, 3);
  },
  '02-mlp-forward-from-scratch': (m) => {
    assert.equal(m.metrics.outputs.length, 2);
    assert.ok(m.metrics.outputs.every((v: number) => v > 0.5 && v < 1), 'positive weights and inputs give activations above 0.5');
  },
  '03-backprop-gradient-descent': (m) => {
    assert.ok(m.metrics.gradientCheckWorstRelativeError < 1e-6);
    assert.ok(m.metrics.finalError < m.metrics.firstEpochError / 5, 'the error fell');
    assert.ok(close(m.metrics.predictions[0].predicted, 0.4, 0.05), '0.3 + 0.1');
    assert.deepEqual(m.histories, ['history.json']);
  },
  '04-first-tfjs-network': (m) => {
    assert.equal(m.metrics.params, 21);
    // an untrained network sits at the variance of a + b (≈ 0.04); 60 smoke epochs reach ~0.005
    assert.ok(m.metrics.testMse < 0.02, `test MSE ${m.metrics.testMse}`);
    assert.match(m.backend ?? '', /tfjs backend: tensorflow/);
  },
  '05-understanding-audio': (m) => {
    assert.deepEqual(m.metrics.spectrogramShape, [1025, 1 + Math.floor(m.metrics.samples / 512)]);
    assert.equal(m.metrics.mfccShape[0], 13);
    assert.equal(m.figures.length, 10, 'waveform, 2 spectra, 2 spectrograms, MFCC, 4 hand-made features');
    for (const g of Object.values(m.metrics.handcrafted) as Record<string, number>[]) assert.ok(g.centroid > 0 && g.envelope > 0 && g.zcr > 0 && g.flux > 0);
  },
  '06-preparing-gtzan': (m) => {
    assert.equal(m.metrics.segmentsPerTrack, 10);
    assert.deepEqual(m.metrics.mfccShape, [13, 130]);
    assert.deepEqual(m.metrics.inputShape, [130, 13]);
  },
  '13-seed002-bigru-vs-transformer-fma': (m) => {
    for (const id of ['seed002-gru', 'seed002-transformer']) {
      const ap = m.metrics[id].ap;
      for (const k of ['micro', 'weighted', 'macro']) assert.ok(ap[k] >= 0 && ap[k] <= 1, `${id} ${k} AP ${ap[k]}`);
    }
  },
};

/** Every single-label run recorded by reportRun: accuracy in [0, 1] and a confusion matrix that adds up. */
function checkRuns(m: M): void {
  for (const [key, run] of Object.entries(m.metrics)) {
    if (!run || typeof run !== 'object' || !('experiment' in run) || !('confusion' in run)) continue;
    const r = run as { testAccuracy: number; confusion: number[][]; counts: { examples: { test: number } } };
    assert.ok(r.testAccuracy >= 0 && r.testAccuracy <= 1, `${key}: accuracy ${r.testAccuracy}`);
    const total = r.confusion.flat().reduce((a, b) => a + b, 0);
    assert.equal(total, r.counts.examples.test, `${key}: the confusion matrix counts every test example`);
    const hits = r.confusion.reduce((s, row, i) => s + row[i], 0);
    assert.ok(close(hits / total, r.testAccuracy, 1e-9), `${key}: accuracy = trace / total`);
  }
}

for (const nbFile of notebooks) {
  const stem = path.basename(nbFile, '.ipynb');
  test(`notebook ${stem} runs (smoke profile, generated data) and writes its results`, { timeout: 1_800_000 }, async () => {
    const r = await started.get(nbFile)!;
    assert.ok(r.ok, `${stem} failed in cell ${r.failedCell}:\n${r.error}`);
    const nb = JSON.parse(fs.readFileSync(r.executed, 'utf8')) as { cells: { cell_type: string; source: string | string[]; outputs?: unknown[] }[] };
    const code = nb.cells.filter((c) => c.cell_type === 'code');
    assert.ok(code.every((c) => c.outputs !== undefined), 'every code cell executed');
    const first = [code[0].source].flat().join('');
    assert.match(first, new RegExp(`setupNotebook\\('${stem}'`), 'the configuration cell names the notebook as its file');

    const file = path.join(root, stem, 'metrics.json');
    assert.ok(fs.existsSync(file), `${stem} wrote no metrics.json`);
    const m = JSON.parse(fs.readFileSync(file, 'utf8')) as M;
    assert.equal(m.notebook, stem);
    assert.equal(m.profile, 'smoke');
    if (m.dataset) assert.equal(m.dataset.generated, true, 'GENRE_LAB_DATASET=generated was honoured');
    assert.ok(m.comparison.length > 0, 'the closing table has rows');
    for (const row of m.comparison) {
      assert.ok(row.thisRun === null || Number.isFinite(row.thisRun), `${row.metric}: ${row.thisRun}`);
      const id = row.metric.split(':')[0];
      const pub = PUBLISHED[id]?.find((p) => `${id}: ${p.metric}` === row.metric);
      if (pub) assert.equal(row.seed, pub.value, `${row.metric} cites the published number`);
    }
    for (const f of m.figures) {
      const fig = JSON.parse(fs.readFileSync(path.join(root, stem, f), 'utf8')) as { data: unknown[] };
      assert.ok(fig.data.length > 0, `${f} has traces`);
      if (findChromium()) assert.ok(fs.existsSync(path.join(root, stem, f.replace(/\.json$/, '.svg'))), `${f} was rendered to SVG`);
    }
    checkRuns(m);
    EXPECT[stem]?.(m);
  });
}

test('notebooks are numbered in reading order and each is a tslab notebook', () => {
  assert.ok(notebooks.length > 0 || only.length > 0, 'notebooks/ has notebooks');
  for (const f of listNotebooks()) {
    assert.match(path.basename(f), /^\d{2}-[a-z0-9-]+\.ipynb$/);
    const nb = JSON.parse(fs.readFileSync(f, 'utf8')) as { metadata: { kernelspec: { name: string } }; cells: { outputs?: unknown[] }[] };
    assert.equal(nb.metadata.kernelspec.name, 'tslab');
    assert.ok(nb.cells.every((c) => !c.outputs || c.outputs.length === 0), `${path.basename(f)} is committed without outputs`);
  }
});
