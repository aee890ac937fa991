/**
 * lib/audio and lib/features inside the real tslab kernel (which compiles notebooks to CommonJS):
 * MP3 decoding (mpg123-decoder is ESM-only; we load its UMD build), features, meyda, and the
 * worker-thread batch path started from a notebook.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { runNotebook } from '../lib/runner/runner';
import { ROOT } from '../lib/paths';

interface Output { output_type: string; text?: string | string[] }
const text = (o: Output) => (Array.isArray(o.text) ? o.text.join('') : o.text ?? '');

test('tslab: MP3 decode, features, meyda and extractBatch run in a notebook cell', () => {
  const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-audio-nb-'));
  const r = runNotebook(path.join(ROOT, 'test', 'fixtures', 'audio', 'tslab_audio.ipynb'), { outDir, timeoutS: 180 });
  assert.ok(r.ok, `notebook failed: ${r.error}`);
  const nb = JSON.parse(fs.readFileSync(r.executed, 'utf8'));
  const out = nb.cells.map((c: { outputs: Output[] }) => c.outputs.map(text).join(''));
  assert.match(out[0], /\{"mp3":\{"sr":44100,"channels":2,"n":44100\}\}/);
  assert.match(out[1], /\{"mfcc":\[13,87\],"meydaFrames":86\}/);
  assert.match(out[2], /\{"batch":\[\[13,5\],\[13,44\]\]\}/);
});
