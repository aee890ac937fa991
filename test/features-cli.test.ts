/** `genre-lab features` and the .npy writer/reader the dataset cache reuses. */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { loadAudioSync } from '../lib/audio';
import { mfcc, readNpy, torchMfcc, writeNpy } from '../lib/features';
import { ROOT } from '../lib/paths';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-feat-cli-'));
const WAV = path.join(ROOT, 'test', 'fixtures', 'audio', 'files', 'pcm16_stereo_44100.wav');

test('writeNpy → readNpy round trip; header is numpy format 1.0, 64-byte aligned', () => {
  const f = path.join(tmp, 'a.npy');
  const data = Float32Array.from({ length: 12 }, (_, i) => i / 3 - 1);
  writeNpy(f, data, [3, 4]);
  const buf = fs.readFileSync(f);
  assert.equal(buf.toString('latin1', 0, 6), '\x93NUMPY');
  const hlen = buf.readUInt16LE(8);
  assert.equal((10 + hlen) % 64, 0);
  assert.match(buf.toString('latin1', 10, 10 + hlen), /^\{'descr': '<f4', 'fortran_order': False, 'shape': \(3, 4\), \} *\n$/);
  const back = readNpy(f);
  assert.deepEqual(back.shape, [3, 4]);
  assert.deepEqual(back.data, data);
  writeNpy(f, data, [12]);
  assert.match(fs.readFileSync(f).toString('latin1', 10, 80), /'shape': \(12,\)/);
  assert.throws(() => writeNpy(f, data, [5, 5]), /shape \[5,5\] holds 25 values/);
  fs.writeFileSync(f, Buffer.from('not numpy'));
  assert.throws(() => readNpy(f), /a\.npy: not a \.npy file/);
});

function cli(args: string[]) {
  return spawnSync(process.execPath, [path.join(ROOT, 'bin', 'genre-lab.js'), 'features', ...args], { encoding: 'utf8' });
}

test('genre-lab features writes librosa-shaped float32 .npy (librosa and torchaudio presets); bad input exits 1', () => {
  const out = path.join(tmp, 'mfcc.npy');
  let r = cli([WAV, '--kind', 'mfcc', '--n-mfcc', '13', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /mfcc \[13, 5\]/);
  const y = loadAudioSync(WAV).y;
  const want = mfcc(y, { sr: 22050, nMfcc: 13 });
  const got = readNpy(out);
  assert.deepEqual(got.shape, [13, want.cols]);
  assert.deepEqual(got.data, want.data);

  r = cli([WAV, '--kind', 'mfcc', '--preset', 'torchaudio', '--n-mels', '40', '--sr', '16000', '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const t = torchMfcc(loadAudioSync(WAV, { sr: 16000 }).y, 16000, { nMels: 40 });
  assert.deepEqual(readNpy(out).data, t.data);

  r = cli([path.join(tmp, 'missing.wav'), '--kind', 'mel', '--out', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /missing\.wav: file not found/);
  r = cli([WAV, '--kind', 'spectrum', '--out', out]);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--kind must be one of mfcc, mel/);
});
