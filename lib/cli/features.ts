/**
 * `genre-lab features <audio> --kind K --out file.npy`: one file's features as a float32 .npy shaped
 * like librosa's output (features × frames), so anyone can np.load it and compare with librosa.
 */
import * as path from 'path';
import type { Command } from './index';
import type { Matrix, Preset, PresetName } from '../features';

const KINDS = ['mfcc', 'mel', 'chroma', 'contrast', 'centroid', 'rolloff', 'zcr', 'rms', 'stft', 'features33'] as const;
type Kind = (typeof KINDS)[number];

const USAGE = [
  'Usage: genre-lab features <audio> --kind KIND --out FILE.npy [options]',
  '',
  'Decodes <audio> (WAV or MP3) like librosa.load (mono, resampled to --sr) and writes the feature',
  'matrix [features, frames] as float32 .npy (np.load(FILE) has the shape librosa returns).',
  '',
  `  --kind KIND      ${KINDS.join(' | ')}`,
  '                   mel: mel power spectrogram (add --db for power_to_db); stft: |STFT| magnitude;',
  '                   features33: seed 001 rows (MFCC 13, centroid, chroma 12, contrast 7)',
  '  --out FILE       .npy to write (required)',
  '  --preset P       librosa (default: n_fft 2048, hop 512, Slaney mel, constant pad) | librosa07',
  '                   (reflect pad, as the seeds ran) | torchaudio (n_fft 400, hop 200, HTK mel, no',
  '                   norm, reflect pad; mfcc = torchaudio.transforms.MFCC, 40 coefficients)',
  '  --sr N           sample rate to load at (default 22050)',
  '  --n-fft N        FFT size          --hop N     hop length',
  '  --n-mels N       mel bands         --n-mfcc N  MFCC coefficients (default 20; torchaudio 40)',
  '  --db             mel in dB (power_to_db, ref 1, top_db 80)',
  '  --offset S       start S seconds in       --duration S  read at most S seconds',
].join('\n');

function opt(argv: string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  if (i < 0) return undefined;
  const v = argv[i + 1];
  if (v === undefined || v.startsWith('--')) throw new Error(`features: ${name} needs a value`);
  return v;
}

function num(argv: string[], name: string, integer = true): number | undefined {
  const v = opt(argv, name);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (integer && !Number.isInteger(n)) || n < 0) throw new Error(`features: ${name} must be a ${integer ? 'non-negative integer' : 'non-negative number'}, got '${v}'`);
  return n;
}

async function run(argv: string[]): Promise<number> {
  const { loadAudio, AudioError } = await import('../audio');
  const F = await import('../features');
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--db') continue;
    if (argv[i].startsWith('--')) i++; // every other option takes a value
    else positional.push(argv[i]);
  }
  const file = positional[0];
  if (!file) {
    console.error(USAGE);
    return 2;
  }
  const kind = opt(argv, '--kind') as Kind | undefined;
  if (!kind || !KINDS.includes(kind)) throw new Error(`features: --kind must be one of ${KINDS.join(', ')}${kind ? `, got '${kind}'` : ''}`);
  const out = opt(argv, '--out');
  if (!out) throw new Error('features: --out FILE.npy is required');
  const preset = (opt(argv, '--preset') ?? 'librosa') as PresetName;
  if (!(preset in F.PRESETS)) throw new Error(`features: --preset must be one of ${Object.keys(F.PRESETS).join(', ')}, got '${preset}'`);
  const p: Preset = F.PRESETS[preset];
  const sr = num(argv, '--sr') ?? 22050;
  const stft = { ...p.stft, nFft: num(argv, '--n-fft') ?? p.stft.nFft, hopLength: num(argv, '--hop') ?? p.stft.hopLength };
  const nMels = num(argv, '--n-mels') ?? p.mel.nMels;
  const nMfcc = num(argv, '--n-mfcc') ?? p.mfcc.nMfcc;
  let loaded;
  try {
    loaded = await loadAudio(file, { sr, offset: num(argv, '--offset', false), duration: num(argv, '--duration', false) });
  } catch (e) {
    if (e instanceof AudioError) {
      console.error(`genre-lab features: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const y = loaded.y;
  const mel = { ...F.melOptions(preset, sr), ...stft, nMels };
  let m: Matrix;
  switch (kind) {
    case 'mel':
      m = F.melspectrogram(y, mel);
      if (argv.includes('--db')) m = F.powerToDb(m, p.db);
      break;
    case 'mfcc':
      m = preset === 'torchaudio' ? F.dct(F.powerToDb(F.melspectrogram(y, mel), p.db), nMfcc) : F.mfcc(y, { ...mel, nMfcc, db: p.db });
      break;
    case 'chroma': m = F.chromaStft(y, { sr, ...stft }); break;
    case 'contrast': m = F.spectralContrast(y, { sr, ...stft }); break;
    case 'centroid': m = F.spectralCentroid(y, { sr, ...stft }); break;
    case 'rolloff': m = F.spectralRolloff(y, { sr, ...stft }); break;
    case 'zcr': m = F.zeroCrossingRate(y, { frameLength: stft.nFft, hopLength: stft.hopLength }); break;
    case 'rms': m = F.rms(y, { frameLength: stft.nFft, hopLength: stft.hopLength }); break;
    case 'stft': m = F.magnitudeSpectrogram(y, stft); break;
    case 'features33': m = F.seed001Features33(y, sr, { padMode: p.stft.padMode === 'reflect' ? 'reflect' : 'constant', hopLength: stft.hopLength }); break;
  }
  F.writeMatrixNpy(out, m);
  console.log(`${path.basename(file)}: ${kind} [${m.rows}, ${m.cols}] (${preset}, sr ${sr}, ${loaded.durationS.toFixed(2)} s) → ${out}`);
  return 0;
}

export const command: Command = {
  name: 'features',
  summary: 'extract librosa-compatible features of one audio file to a .npy',
  usage: USAGE,
  run,
};
