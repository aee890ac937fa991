/**
 * One resolved run (lib/experiments/resolve): flags over the environment over the notebook cell
 * over the registry; seeds derived in one place; GENRE_LAB_SEED reaches the training of a
 * notebook's experiments and metrics.json records it.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { resolveRun, runSeeds, describeRun, runExperiment } from '../lib/experiments';
import { generateGtzan } from '../lib/datasets/generate';
import { NotebookSession } from '../lib/notebook/session';
import { command as trainCommand } from '../lib/cli/train';
import { ROOT } from '../lib/paths';

test('resolveRun: flags > environment > cell > registry, for profile, seed and data', () => {
  const reg = resolveRun('seed001-lstm');
  assert.deepEqual([reg.profile, reg.seed, reg.split, reg.dataDir], ['default', 42, 'track', undefined]);
  assert.deepEqual(reg.sources, { profile: 'registry', seed: 'registry', split: 'registry', dataDir: 'registry' });
  assert.equal(reg.settings, reg.experiment.profiles.default);
  assert.equal(reg.epochs, 60);

  const cell = { profile: 'full' as const, seed: 3, dataDir: '/cell' };
  const env = { GENRE_LAB_PROFILE: 'smoke', GENRE_LAB_SEED: '5', GENRE_LAB_GTZAN: '/env' };
  const fromCell = resolveRun('seed001-lstm', { cell });
  assert.deepEqual([fromCell.profile, fromCell.seed, fromCell.dataDir, fromCell.epochs], ['full', 3, '/cell', 400]);
  const fromEnv = resolveRun('seed001-lstm', { cell, env });
  assert.deepEqual([fromEnv.profile, fromEnv.seed, fromEnv.dataDir], ['smoke', 5, '/env']);
  assert.deepEqual(fromEnv.sources, { profile: 'env', seed: 'env', split: 'registry', dataDir: 'env' });
  const fromFlags = resolveRun('seed001-lstm', { cell, env, flags: { profile: 'default', seed: 9, dataDir: '/flag', split: 'seed', maxEpochs: 2 } });
  assert.deepEqual([fromFlags.profile, fromFlags.seed, fromFlags.dataDir, fromFlags.split, fromFlags.epochs], ['default', 9, '/flag', 'seed', 2]);
  // GENRE_LAB_FMA does not name a GTZAN experiment's data
  assert.equal(resolveRun('seed001-lstm', { env: { GENRE_LAB_FMA: '/fma' } }).dataDir, undefined);

  assert.throws(() => resolveRun('seed001-lstm', { env: { GENRE_LAB_PROFILE: 'huge' } }), /unknown profile 'huge' \(from GENRE_LAB_PROFILE\)/);
  assert.throws(() => resolveRun('seed001-lstm', { env: { GENRE_LAB_SEED: '1.5' } }), /whole number.*GENRE_LAB_SEED/);
  assert.throws(() => resolveRun('seed002-gru', { flags: { split: 'fault-filtered' } }), /GTZAN only/);
  // the sub-seeds the committed results were made with
  assert.deepEqual(runSeeds(42), { split: 42, init: 42, batchOrder: 43, training: 44, tta: 45, validationCrops: 46, stream: 42 });
  assert.match(describeRun(fromCell), /seed001-lstm, full profile: 400 epochs, batch 35, Adam 0\.001, every track, track split, seed 3/);
  assert.match(describeRun(resolveRun('seed000-lstm', { flags: { profile: 'smoke' } })), /6 epochs at most \(early stopping\), batch 50, Adam 0\.001, 4 tracks per genre, model \{"hidden":32\}/);
});

test('nothing outside the resolution looks a profile up or offsets a seed by hand; notebooks train through nb.run', () => {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|ipynb)$/.test(e.name)) files.push(p);
    }
  };
  for (const d of ['lib', 'bench', 'notebooks']) walk(path.join(ROOT, d));
  const offenders: string[] = [];
  for (const f of files) {
    if (f.endsWith(path.join('experiments', 'resolve.ts'))) continue;
    const text = fs.readFileSync(f, 'utf8');
    if (/profiles\[/.test(text)) offenders.push(`${path.relative(ROOT, f)}: profiles[…] lookup`);
    if (/\bseed\s*\+\s*\d/.test(text)) offenders.push(`${path.relative(ROOT, f)}: seed + N`);
    // a notebook trains what nb.run(id) resolved (GENRE_LAB_SEED and the profile included), never an id on its own
    if (f.endsWith('.ipynb') && /\b(prepareData|runExperiment)\((?!nb\.run\()/.test(text)) offenders.push(`${path.relative(ROOT, f)}: prepareData/runExperiment without nb.run`);
  }
  assert.deepEqual(offenders, []);
});

test('GENRE_LAB_SEED reaches a notebook\'s training and metrics.json; two seeds give different numbers', async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-seed-'));
  const saved = { ...process.env };
  try {
    generateGtzan({ out: tmp, tracksPerGenre: 3, durationS: 2, onProgress: () => {} });
    const dataset = { name: 'gtzan' as const, dir: path.join(tmp, 'gtzan'), generated: true, reason: 'test' };
    const notebookRun = async (seed: string | undefined, tag: string) => {
      if (seed === undefined) delete process.env.GENRE_LAB_SEED;
      else process.env.GENRE_LAB_SEED = seed;
      delete process.env.GENRE_LAB_PROFILE;
      // what a notebook's cells do: the configuration cell, then nb.run(id) for each experiment
      const nb = new NotebookSession(`seed-${tag}`, { profile: 'smoke', outDir: path.join(tmp, `nb-${tag}`) }, dataset);
      const run = nb.run('seed004-cnn-code', { cacheDir: path.join(tmp, 'cache') });
      const r = await runExperiment(run, { outDir: path.join(tmp, `run-${tag}`), verbose: false });
      r.model.dispose();
      nb.writeMetrics();
      return { nb: JSON.parse(fs.readFileSync(path.join(tmp, `nb-${tag}`, 'metrics.json'), 'utf8')), run: r.metrics as { seed: number; testLoss: number }, history: r.history };
    };
    const five = await notebookRun('5', 'five');
    assert.equal(five.nb.seed, 5);
    assert.deepEqual(five.nb.runs.map((r: { experiment: string; seed: number }) => [r.experiment, r.seed]), [['seed004-cnn-code', 5]]);
    assert.equal(five.run.seed, 5);
    const own = await notebookRun(undefined, 'own');
    assert.equal(own.nb.seed, 42, "without GENRE_LAB_SEED the notebook records its experiment's registry seed");
    assert.equal(own.run.seed, 42);
    assert.notDeepEqual(five.history.epochs.map((e) => e.loss), own.history.epochs.map((e) => e.loss), 'seed 5 and seed 42 train differently');
    const again = await notebookRun('5', 'again');
    assert.deepEqual(again.history.epochs.map((e) => e.loss), five.history.epochs.map((e) => e.loss), 'the same seed repeats the run');

    // genre-lab train: GENRE_LAB_SEED applies, --seed wins over it
    process.env.GENRE_LAB_SEED = '5';
    const out = path.join(tmp, 'cli');
    const log = console.log, err = console.error;
    console.log = () => {};
    console.error = () => {};
    try {
      assert.equal(await trainCommand.run(['seed004-cnn-code', '--profile', 'smoke', '--data', tmp, '--out', out]), 0);
      assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8')).seed, 5);
      assert.equal(await trainCommand.run(['seed004-cnn-code', '--profile', 'smoke', '--data', tmp, '--out', out, '--seed', '7']), 0);
      const m = JSON.parse(fs.readFileSync(path.join(out, 'metrics.json'), 'utf8'));
      assert.equal(m.seed, 7);
      const meta = JSON.parse(fs.readFileSync(path.join(out, 'model', 'meta.json'), 'utf8'));
      assert.equal(meta.training.seed, 7, "predict's meta.json records the run's seed");
    } finally {
      console.log = log;
      console.error = err;
    }
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
