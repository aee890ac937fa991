/**
 * lib/predict + `genre-lab predict`: a smoke-profile model trained on the generated GTZAN-shaped
 * set predicts held-out generated tracks clearly better than chance; its inputs are exactly the
 * training pipeline's; windowed resampling equals whole-file resampling; the JSON schema; every
 * bad-input case; a multi-label (seed 002) model; and models whose meta.json is not understood
 * are refused with a message naming the setting.
 */
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAudioSync, resample, writeWav } from '../lib/audio';
import { ensureGenerated } from '../lib/datasets/generate';
import { loadGtzan } from '../lib/datasets/gtzan';
import { cutTrack, extractFeatures, layoutExample, EXPERIMENTS, getExperiment, runExperiment } from '../lib/experiments';
import {
  DEFAULT_CLIP_SECONDS, ModelSettingsError, PredictError, Predictor, formatPredictions, parsePredictSpec, planWindows, predictFile,
  predictFiles, predictionRows, readPredictSpec, readWindow, resolveModelDir, savedModels, trainingWindow, type Prediction, type PredictResult,
} from '../lib/predict';
import { runPredict } from '../lib/cli/predict';
import { jsonFromCli } from './helpers/cli';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-predict-'));
const SHARED = path.resolve(__dirname, '..', '..', 'shared', 'data');
/** Seed 001's MFCC CNN: its smoke run is the most reliably better than chance on held-out tracks (0.30-0.39 over seeds 42, 1, 2; chance 0.125). */
const SINGLE = 'seed001-cnn';
const MULTI = 'seed002-gru';
const modelDir = path.join(tmp, SINGLE, 'model');
const multiDir = path.join(tmp, MULTI, 'model');
let gtzanRoot = '';
let fmaRoot = '';

/** Captures runPredict's output. */
async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await runPredict(argv, { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n') });
  return { code, out, err };
}

function tone(seconds: number, sr: number, amp = 0.3): Float32Array {
  const y = new Float32Array(Math.round(seconds * sr));
  for (let i = 0; i < y.length; i++) y[i] = amp * Math.sin((2 * Math.PI * 440 * i) / sr) * (1 + 0.5 * Math.sin((2 * Math.PI * 3 * i) / sr));
  return y;
}

before(async () => {
  ({ gtzan: gtzanRoot, fma: fmaRoot } = await ensureGenerated());
  // Two smoke runs (a few seconds each on 2 cores once the feature cache is warm).
  await runExperiment(SINGLE, { profile: 'smoke', outDir: path.join(tmp, SINGLE), verbose: false });
  await runExperiment(MULTI, { profile: 'smoke', outDir: path.join(tmp, MULTI), verbose: false });
});

after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Generated tracks the smoke run never saw: it keeps the first maxTracksPerClass of each genre, in loadGtzan's order. */
function heldOutTracks(): { path: string; genre: string }[] {
  const keep = getExperiment(SINGLE).profiles.smoke.maxTracksPerClass!;
  const classes: readonly string[] | undefined = getExperiment(SINGLE).classes;
  const seen = new Map<string, number>();
  return loadGtzan(gtzanRoot).tracks.filter((t) => !classes || classes.includes(t.genre)).filter((t) => {
    const k = seen.get(t.genre) ?? 0;
    seen.set(t.genre, k + 1);
    return k >= keep;
  });
}

test('held-out generated tracks: the smoke model is right clearly more often than chance', async () => {
  const tracks = heldOutTracks();
  const cfg = getExperiment(SINGLE);
  const genres = new Set(tracks.map((t) => t.genre));
  assert.equal(genres.size, cfg.classes!.length);
  assert.ok(tracks.length >= 50, `${tracks.length} held-out tracks`);
  const chance = 1 / genres.size;
  const results = await predictFiles(tracks.map((t) => t.path), { modelDir, top: 3 });
  let right = 0;
  results.forEach((r, i) => {
    assert.ok(r.ok, `${tracks[i].path}: ${!r.ok && r.error}`);
    if (r.top[0].genre === tracks[i].genre) right++;
    assert.equal(r.windows, 5, '30-s track = 5 windows of 6 s (seed 001 CNN: 5 segments)');
  });
  const accuracy = right / tracks.length;
  console.log(`# held-out accuracy of the ${SINGLE} smoke model: ${right}/${tracks.length} = ${accuracy.toFixed(3)} (chance ${chance.toFixed(3)})`);
  // Twice chance: P(≥ 14 of 56 right by chance 1/8) ≈ 0.005 (binomial).
  assert.ok(accuracy >= 2 * chance, `accuracy ${accuracy.toFixed(3)} is not clearly above chance (${chance.toFixed(3)})`);
});

test("a file's model inputs are exactly the training pipeline's examples", async () => {
  const p = await Predictor.load(modelDir);
  const cfg = getExperiment(SINGLE);
  const track = heldOutTracks()[0];
  const y = loadAudioSync(track.path, { sr: cfg.features.sampleRate }).y;
  const want = cutTrack(y, cfg.features.sampleRate, cfg.cut).map((c) => layoutExample(extractFeatures(c, cfg.features), cfg.layout, cfg.frames));
  const got = await p.inputs(track.path);
  assert.equal(got.examples.length, want.length);
  got.examples.forEach((e, i) => {
    assert.deepEqual(e.shape, want[i].shape);
    assert.deepEqual(e.data, want[i].data, `window ${i}`);
  });
});

test('the same track at 44.1 kHz gets (nearly) the same prediction', async () => {
  const track = heldOutTracks()[1];
  const y = loadAudioSync(track.path, { sr: null }).y;
  const up = path.join(tmp, 'up44100.wav');
  writeWav(up, resample(y, 22050, 44100), 44100, '32f');
  const [a, b] = (await predictFiles([track.path, up], { modelDir, top: 0 })) as Prediction[];
  assert.ok(a.ok && b.ok);
  assert.equal(b.sampleRate, 44100);
  for (const g of Object.keys(a.probabilities)) assert.ok(Math.abs(a.probabilities[g] - b.probabilities[g]) < 0.03, `${g}: ${a.probabilities[g]} vs ${b.probabilities[g]}`);
  assert.equal(a.top[0].genre, b.top[0].genre);
});

test('readWindow equals the same slice of a whole-file resample', () => {
  for (const [srIn, srOut] of [[44100, 22050], [16000, 22050], [48000, 16000], [22050, 22050], [8000, 22050]]) {
    const y = new Float32Array(srIn * 3);
    let s = 1;
    for (let i = 0; i < y.length; i++) y[i] = ((s = (s * 16807) % 2147483647) / 2147483647 - 0.5) * Math.sin(i / 50);
    const full = resample(y, srIn, srOut);
    for (const [start, len] of [[0, 5000], [12345, 4000], [full.length - 3000, 3000], [full.length - 1000, 3000]]) {
      const w = readWindow(y, srIn, srOut, start, len);
      assert.equal(w.length, len);
      let m = 0;
      for (let i = 0; i < len; i++) m = Math.max(m, Math.abs(w[i] - (start + i < full.length ? full[start + i] : 0)));
      assert.ok(m < 1e-5, `${srIn}→${srOut} at ${start}: max diff ${m}`);
    }
  }
});

test('planWindows: consecutive windows, end-aligned tail, one padded window, even spread when capped', () => {
  const w = { length: 100, stride: 100 };
  assert.deepEqual(planWindows(40, w), { starts: [0], padded: true, total: 1 });
  assert.deepEqual(planWindows(100, w), { starts: [0], padded: false, total: 1 });
  assert.deepEqual(planWindows(300, w).starts, [0, 100, 200]);
  assert.deepEqual(planWindows(349, w).starts, [0, 100, 200], 'a tail under half a window is dropped');
  assert.deepEqual(planWindows(350, w).starts, [0, 100, 200, 250], 'a longer tail gets an end-aligned window');
  const capped = planWindows(10_000, w, 5);
  assert.deepEqual(capped, { starts: [0, 2475, 4950, 7425, 9900], padded: false, total: 100 });
  // seed 000: a window of 66000 samples every 3000 ms
  assert.deepEqual(planWindows(661500, { length: 66000, stride: 66150 }).starts, Array.from({ length: 10 }, (_, i) => i * 66150));
});

test("every registry experiment's window yields its examples' frame count", () => {
  for (const cfg of EXPERIMENTS) {
    const sr = cfg.features.sampleRate;
    const w = trainingWindow(cfg.cut, sr, DEFAULT_CLIP_SECONDS);
    // the training cut of a 30-s clip gives examples of the window's length
    const clip = tone(DEFAULT_CLIP_SECONDS, sr);
    const pieces = cutTrack(clip, sr, cfg.cut);
    assert.equal(pieces[0].length, w.length, `${cfg.id}: first example ${pieces[0].length} samples, window ${w.length}`);
    if (cfg.frames !== null && cfg.cut.kind !== 'head') {
      const m = extractFeatures(pieces[0], cfg.features);
      assert.ok(m.cols >= cfg.frames, `${cfg.id}: ${m.cols} frames < ${cfg.frames}`);
    }
  }
});

test('bad input: each file gets a clear message or a sensible answer, and the batch goes on', async () => {
  const sr = 22050;
  const files = {
    good: heldOutTracks()[2].path,
    missing: path.join(tmp, 'no-such-file.wav'),
    text: path.join(tmp, 'notes.wav'),
    empty: path.join(tmp, 'empty.mp3'),
    silence: path.join(tmp, 'silence.wav'),
    click: path.join(tmp, 'click.wav'),
    short: path.join(tmp, 'short.wav'),
    long: path.join(tmp, 'ten-minutes.wav'),
    quietIntro: path.join(tmp, 'quiet-intro.wav'),
  };
  fs.writeFileSync(files.text, 'these are my notes, not audio\n'.repeat(20));
  fs.writeFileSync(files.empty, '');
  writeWav(files.silence, new Float32Array(sr * 10), sr);
  writeWav(files.click, new Float32Array([0.9, -0.9, 0.5]), sr);
  writeWav(files.short, tone(0.1, 48000), 48000);
  // 10 minutes at 16 kHz: exercises upsampling and the window cap
  const long = new Float32Array(16000 * 600);
  const music = loadAudioSync(files.good, { sr: 16000 }).y;
  for (let o = 0; o < long.length; o += music.length) long.set(music.subarray(0, Math.min(music.length, long.length - o)), o);
  writeWav(files.long, long, 16000);
  // 12 s of silence, then 12 s of music: two silent 6-s windows, two with music
  const intro = new Float32Array(sr * 24);
  intro.set(loadAudioSync(files.good).y.subarray(0, sr * 12), sr * 12);
  writeWav(files.quietIntro, intro, sr);

  const t0 = Date.now();
  const results = await predictFiles(Object.values(files), { modelDir });
  const byName = Object.fromEntries(Object.keys(files).map((k, i) => [k, results[i]])) as Record<keyof typeof files, PredictResult>;
  console.log(`# ${results.length} files incl. a 10-minute one predicted in ${((Date.now() - t0) / 1000).toFixed(1)} s (2 shared cores)`);
  console.log(formatPredictions(results).split('\n').map((l) => `#   ${l}`).join('\n'));
  assert.deepEqual(results.map((r) => r.file), Object.values(files), 'one result per file, in order');

  const fail = (k: keyof typeof files, reason: string, pattern: RegExp) => {
    const r = byName[k];
    assert.ok(!r.ok, `${k} should fail`);
    assert.equal(r.reason, reason, `${k}: ${r.error}`);
    assert.match(r.error, new RegExp(`^${path.basename(files[k]).replace('.', '\\.')}: `), 'the message names the file');
    assert.match(r.error, pattern);
  };
  fail('missing', 'missing', /not found/);
  fail('text', 'not-audio', /not an audio file/);
  fail('empty', 'empty', /empty/);
  fail('silence', 'silent', /silent/);
  fail('click', 'too-short', /too short/);

  const ok = (k: keyof typeof files) => {
    const r = byName[k];
    assert.ok(r.ok, `${k}: ${!r.ok && r.error}`);
    return r;
  };
  const good = ok('good');
  assert.equal(good.warnings.length, 0);
  const short = ok('short');
  assert.equal(short.windows, 1);
  assert.match(short.warnings.join(' '), /padded with silence/);
  const ten = ok('long');
  assert.ok(Math.abs(ten.durationS - 600) < 1e-6);
  assert.equal(ten.windows, 20, '120 s of 6-s windows');
  assert.ok(ten.analysedS <= 120 + 1e-9, `${ten.analysedS} s analysed`);
  assert.match(ten.warnings.join(' '), /20 of its 100 windows/);
  const intro2 = ok('quietIntro');
  assert.equal(intro2.windows, 2);
  assert.match(intro2.warnings.join(' '), /2 silent window/);
  for (const r of [good, short, ten, intro2]) {
    const sum = r.top.reduce((s, t) => s + t.probability, 0);
    assert.ok(sum <= 1 + 1e-5);
    assert.equal(r.top.length, 5);
  }
  // The 10-minute file is the good track repeated: its prediction agrees with the track's.
  assert.equal(ten.top[0].genre, good.top[0].genre);

  // predictFile throws what predictFiles reports.
  await assert.rejects(predictFile(files.silence, { modelDir }), (e: unknown) => e instanceof PredictError && e.reason === 'silent');

  // CLI: non-zero only when every file failed; usage errors are 2.
  assert.equal((await cli([files.good, files.missing, '--model', modelDir])).code, 0);
  const allBad = await cli([files.missing, files.text, '--model', modelDir]);
  assert.equal(allBad.code, 1);
  assert.match(allBad.out, /no-such-file\.wav: file not found/);
  assert.match(allBad.err, /2 of 2 file\(s\) could not be predicted/);
  assert.equal((await cli(['--model', modelDir])).code, 2);
  assert.equal((await cli([files.good, '--top', 'x', '--model', modelDir])).code, 2);
  assert.equal((await cli([files.good, '--bogus'])).code, 2);
});

test('--json: the documented schema, one entry per file in order', async () => {
  const good = heldOutTracks().slice(0, 2).map((t) => t.path);
  const missing = path.join(tmp, 'gone.mp3');
  const r = await cli([good[0], missing, good[1], '--model', modelDir, '--top', '3', '--json']);
  assert.equal(r.code, 0);
  const doc = JSON.parse(r.out);
  assert.deepEqual(Object.keys(doc).sort(), ['model', 'results', 'schema']);
  assert.equal(doc.schema, 'genre-lab.predict/1');
  assert.deepEqual(Object.keys(doc.model).sort(), ['assumed', 'classes', 'cropFrames', 'dir', 'experiment', 'multiLabel', 'output', 'sampleRate', 'windowS'].sort());
  assert.equal(doc.model.experiment, SINGLE);
  assert.equal(doc.model.multiLabel, false);
  assert.equal(doc.model.classes.length, 8);
  assert.equal(doc.model.windowS, 6);
  assert.deepEqual(doc.results.map((x: { file: string }) => x.file), [good[0], missing, good[1]]);
  for (const x of [doc.results[0], doc.results[2]]) {
    assert.deepEqual(Object.keys(x).sort(), ['analysedS', 'channels', 'durationS', 'file', 'ok', 'sampleRate', 'top', 'warnings', 'windows'].sort());
    assert.equal(x.ok, true);
    assert.equal(x.top.length, 3);
    for (const t of x.top) {
      assert.deepEqual(Object.keys(t).sort(), ['genre', 'probability']);
      assert.ok(doc.model.classes.includes(t.genre));
      assert.ok(t.probability >= 0 && t.probability <= 1);
    }
    assert.ok(x.top[0].probability >= x.top[1].probability && x.top[1].probability >= x.top[2].probability, 'sorted');
    assert.equal(typeof x.durationS, 'number');
    assert.ok(Array.isArray(x.warnings));
  }
  assert.deepEqual(doc.results[1], { file: missing, ok: false, reason: 'missing', error: 'gone.mp3: file not found' });
});

test('genre-lab predict <wav> --json | python3 json.load: the real command, stdout is the JSON alone, logs on stderr', () => {
  const wav = heldOutTracks()[0].path;
  const r = jsonFromCli(['predict', wav, '--model', modelDir, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const doc = r.json as { schema: string; results: { file: string; ok: boolean }[] };
  assert.equal(doc.schema, 'genre-lab.predict/1');
  assert.deepEqual(doc.results.map((x) => [x.file, x.ok]), [[wav, true]]);
  assert.match(r.stderr, /\[genre-lab\] tfjs backend: /);
  assert.doesNotMatch(r.stderr, /absl::InitializeLog|oneDNN custom operations/);
});

test('multi-label (seed 002 FMA) model: per-genre sigmoid probabilities over crops of its clips', async () => {
  const mp3s = fs.readdirSync(path.join(fmaRoot, 'fma_small'), { recursive: true }).map(String).filter((f) => f.endsWith('.mp3')).sort().slice(0, 2).map((f) => path.join(fmaRoot, 'fma_small', f));
  const wav = heldOutTracks()[0].path; // 22050 Hz WAV into a 16-kHz model
  const results = await predictFiles([...mp3s, wav], { modelDir: multiDir, top: 0 });
  const p = await Predictor.load(multiDir);
  const crop = p.spec.crop!.max;
  for (const r of results) {
    assert.ok(r.ok, !r.ok ? r.error : '');
    assert.equal(r.multiLabel, true);
    assert.equal(r.top.length, p.spec.classNames.length, '--top 0 lists every genre');
    for (const t of r.top) assert.ok(t.probability > 0 && t.probability < 1);
    // a 30-s clip at 16 kHz, hop 512 → 938 frames → 14 consecutive crops of 64 + one end-aligned
    assert.equal(r.windows, planWindows(Math.floor((r.durationS * 16000) / 512) + 1, { length: crop, stride: crop }).starts.length);
  }
  // sigmoid outputs are independent: they do not sum to 1 (27 genres around 0.5 each after 2 epochs)
  const r0 = results[0] as Prediction;
  assert.notEqual(Math.round(Object.values(r0.probabilities).reduce((a, b) => a + b, 0) * 100), 100);
  const rows = predictionRows(results);
  assert.equal(rows.length, results.length * p.spec.classNames.length);
});

test('models whose settings are not understood are refused with a message naming the setting', async () => {
  const meta = JSON.parse(fs.readFileSync(path.join(modelDir, 'meta.json'), 'utf8'));
  const spec = parsePredictSpec(meta, modelDir);
  assert.equal(spec.frames, 259);
  assert.deepEqual(spec.inputShape, [13, 259, 1]);
  const refused = (change: (m: any) => void, pattern: RegExp) => {
    const m = structuredClone(meta);
    change(m);
    assert.throws(() => parsePredictSpec(m, 'x/model'), (e: unknown) => e instanceof ModelSettingsError && pattern.test(e.message), pattern.source);
  };
  refused((m) => (m.version = 2), /format version 2 is not understood/);
  refused((m) => (m.features.kind = 'cqt'), /unknown feature kind "cqt"/);
  refused((m) => (m.features.preEmphasis = 0.97), /setting 'preEmphasis' that this version of genre-lab predict does not understand/);
  refused((m) => (m.features.cut.overlap = 0.5), /features\.cut has setting 'overlap'/);
  refused((m) => (m.features.cut = { kind: 'random-crops', n: 3 }), /unknown cut kind "random-crops"/);
  refused((m) => (m.features.layout = 'channels-first'), /unknown layout "channels-first"/);
  refused((m) => (m.features.nMfcc = 'thirteen'), /features\.nMfcc must be a positive integer/);
  refused((m) => delete m.features, /no feature settings/);
  refused((m) => (m.output = 'regression'), /predicts a number, not genre probabilities/);
  refused((m) => (m.output = 'softplus'), /unknown output kind "softplus"/);
  refused((m) => (m.inputShape = [20, 259, 1]), /inputShape \[20,259,1\] does not match the feature settings, which give examples of shape \[13,259,1\]/);
  refused((m) => (m.classNames = []), /classNames/);
  refused((m) => ((m.features.frames = null), (m.features.layout = 'time-major'), (m.inputShape = [null, 13])), /without features\.crop/);

  // Through the CLI: a copied model folder with one unknown setting.
  const bad = path.join(tmp, 'bad-model');
  fs.cpSync(modelDir, bad, { recursive: true });
  const m = structuredClone(meta);
  m.features.dither = true;
  fs.writeFileSync(path.join(bad, 'meta.json'), JSON.stringify(m));
  const r = await cli([heldOutTracks()[0].path, '--model', bad]);
  assert.equal(r.code, 1);
  assert.match(r.err, /model .*bad-model: meta\.json features has setting 'dither'/);
  assert.throws(() => readPredictSpec(path.join(tmp, 'nowhere')), /no such folder/);
  fs.writeFileSync(path.join(bad, 'meta.json'), '{ not json');
  assert.throws(() => readPredictSpec(bad), /meta\.json is not valid JSON/);
  // a network whose input disagrees with meta.json
  const m2 = structuredClone(meta);
  m2.features.frames = 65;
  m2.inputShape = [13, 65, 1];
  fs.writeFileSync(path.join(bad, 'meta.json'), JSON.stringify(m2));
  await assert.rejects(Predictor.load(bad), /the network reads inputs of shape \[13,259,1\] but meta\.json says \[13,65,1\]/);
});

test('real GTZAN / FMA samples decode and get a prediction (skipped without /work/shared/data)', async (t) => {
  if (!fs.existsSync(SHARED)) return t.skip(`no ${SHARED}`);
  const all = fs.readdirSync(SHARED, { recursive: true }).map(String);
  const pick = [...all.filter((f) => f.endsWith('.wav')).sort().slice(0, 2), ...all.filter((f) => f.endsWith('.mp3')).sort().slice(0, 2)].map((f) => path.join(SHARED, f));
  if (!pick.length) return t.skip(`no audio in ${SHARED}`);
  const results = await predictFiles(pick, { modelDir, top: 3 });
  for (const r of results) assert.ok(r.ok && r.windows >= 1, !r.ok ? r.error : '');
});

test('model folders: by path, by experiment id, newest saved by default; unknown ones named', () => {
  assert.deepEqual(savedModels(tmp), [multiDir, modelDir], 'newest first (the multi-label run was saved last)');
  assert.equal(resolveModelDir(modelDir), modelDir);
  assert.throws(() => resolveModelDir('no-such-experiment'), /model no-such-experiment: no such folder/);
});
