/**
 * `genre-lab features <audio> --kind K --out file.npy`: one file's features as a float32 .npy shaped
 * like librosa's output (features × frames), so anyone can np.load it and compare with librosa.
 */
import * as path from 'path';
import type { Command } from './index';
import type { FeatureKind, FeatureSpec, Matrix, PresetName } from '../features';
import { ArgsError, choiceArg, flagArg, intArg, numberArg, parseCommandLine, stringArg, type OptionSpec, type Parsed } from './args';

/** The feature kinds (lib/features/spec) this command computes. */
const KINDS = ['mfcc', 'mel', 'chroma', 'contrast', 'centroid', 'rolloff', 'zcr', 'rms', 'stft', 'features33'] as const satisfies readonly FeatureKind[];
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

const OPTIONS: OptionSpec = {
  kind: { type: 'string' }, out: { type: 'string' }, preset: { type: 'string' }, sr: { type: 'string' }, 'n-fft': { type: 'string' }, hop: { type: 'string' },
  'n-mels': { type: 'string' }, 'n-mfcc': { type: 'string' }, db: { type: 'boolean' }, offset: { type: 'string' }, duration: { type: 'string' },
};

/** The FeatureSpec (lib/features/spec, the vocabulary training and predict use) the options ask for. */
function specOf(kind: Kind, preset: PresetName, sr: number, p: Parsed, presets: typeof import('../features').PRESETS): FeatureSpec {
  const stft = { preset, nFft: intArg(p, 'n-fft', 1), hopLength: intArg(p, 'hop', 1) };
  const nMels = intArg(p, 'n-mels', 1) ?? presets[preset].mel.nMels;
  switch (kind) {
    case 'mel': return { kind, sampleRate: sr, nMels, db: flagArg(p, 'db'), ...stft };
    case 'mfcc': return { kind, sampleRate: sr, nMels, nMfcc: intArg(p, 'n-mfcc', 1) ?? presets[preset].mfcc.nMfcc, ...stft };
    default: return { kind, sampleRate: sr, ...stft };
  }
}

async function run(argv: string[]): Promise<number> {
  let p: Parsed;
  try {
    p = parseCommandLine(argv, OPTIONS, { maxPositionals: 1 });
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    console.error(`genre-lab features: ${e.message}\n\n${USAGE}`);
    return 2;
  }
  const file = p.positionals[0];
  if (!file) {
    console.error(USAGE);
    return 2;
  }
  const { loadAudio, AudioError } = await import('../audio');
  const F = await import('../features');
  let spec: FeatureSpec, out: string, preset: PresetName, offset: number | undefined, duration: number | undefined;
  try {
    const kind = choiceArg(p, 'kind', KINDS);
    if (!kind) throw new ArgsError(`--kind must be one of ${KINDS.join(', ')}`);
    const o = stringArg(p, 'out');
    if (!o) throw new ArgsError('--out FILE.npy is required');
    out = o;
    preset = choiceArg(p, 'preset', Object.keys(F.PRESETS) as PresetName[]) ?? 'librosa';
    spec = specOf(kind, preset, intArg(p, 'sr', 1) ?? 22050, p, F.PRESETS);
    offset = numberArg(p, 'offset');
    duration = numberArg(p, 'duration');
  } catch (e) {
    if (!(e instanceof ArgsError)) throw e;
    throw new Error(`features: ${e.message}`);
  }
  let loaded;
  try {
    loaded = await loadAudio(file, { sr: spec.sampleRate, offset, duration });
  } catch (e) {
    if (e instanceof AudioError) {
      console.error(`genre-lab features: ${e.message}`);
      return 1;
    }
    throw e;
  }
  const m: Matrix = F.extractFeatures(loaded.y, spec);
  F.writeMatrixNpy(out, m);
  console.log(`${path.basename(file)}: ${spec.kind} [${m.rows}, ${m.cols}] (${preset}, sr ${spec.sampleRate}, ${loaded.durationS.toFixed(2)} s) → ${out}`);
  return 0;
}

export const command: Command = {
  name: 'features',
  summary: 'extract librosa-compatible features of one audio file to a .npy',
  usage: USAGE,
  run,
};
