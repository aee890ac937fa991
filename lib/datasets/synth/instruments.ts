/**
 * A small procedural band: renders one clip of "genre-like" music from a `Style` (tempo, groove,
 * harmony, timbre, bass line, melody, distortion, recording colour) and a seeded Rng.
 *
 * It exists so the project has a dataset it can ship: GTZAN and FMA cannot be redistributed or
 * downloaded here. The music is crude on purpose (wavetable voices, synthetic drums) but the
 * genre differences are the ones genre classifiers are known to pick up: tempo and rhythm
 * pattern (onset/tempogram features), timbre and distortion (MFCC, spectral centroid/contrast),
 * harmony and mode (chroma), plus per-track "recording" variation (low-pass, noise, level).
 * Every parameter is drawn per track from a range, and ranges of neighbouring genres overlap
 * (rock/metal, pop/disco, blues/jazz/country), so the task is learnable but not trivial.
 *
 * This file: the style vocabulary (types), scales and chords, wavetable voices and the drum kit.
 * render.ts plays them into a clip. Pure functions of (style, rng, sr, durationS); no I/O.
 */
import { Rng } from '../rng';

export type Range = readonly [number, number];
export type ChordQuality = 'maj' | 'min' | 'dom7' | 'min7' | 'maj7' | 'power' | 'sus4';
/** How the chord instrument plays: held, strummed on beats, off-beat skank, short stabs, broken chords, palm-muted power chords. */
export type Comp = 'sustain' | 'strum' | 'skank' | 'stab' | 'arpeggio' | 'chug';
export type BassLine = 'none' | 'root' | 'walking' | 'octave' | 'sub' | 'fifths' | 'dub' | 'eighths';
export type TimbreName = 'pluck' | 'guitar' | 'piano' | 'organ' | 'strings' | 'brass' | 'synth' | 'reed' | 'sine' | 'bass';
export type ScaleName = 'major' | 'minor' | 'blues' | 'pentatonic' | 'dorian' | 'phrygian' | 'mixolydian';

/** A drum groove: one bar of 16 sixteenth-note steps per voice ('x' hit, 'o' soft hit, '.' rest). */
export interface Groove {
  kick: string;
  snare: string;
  hat: string;
  /** Played on a ride cymbal instead of a closed hi-hat (jazz). */
  ride?: boolean;
  /** Hat steps played open (long decay; disco). */
  openHat?: string;
}

/** One chord of a progression: root in semitones above the key, and its quality. */
export type ChordSpec = readonly [number, ChordQuality];

/** Everything that makes a genre: ranges and alternatives a track's parameters are drawn from. */
export interface Style {
  tempo: Range;
  /** 0 straight, 1/3 full triplet shuffle (applied to off-beat 8ths; half of it to 16ths). */
  swing: Range;
  grooves: readonly Groove[];
  /** Drum bus level; 0 means no drums. */
  drumLevel: Range;
  kickPitch: Range;
  kickDecay: Range;
  /** Brushes instead of sticks (softer, longer snare noise). */
  brushes?: boolean;
  progressions: ReadonlyArray<readonly ChordSpec[]>;
  scale: readonly ScaleName[];
  comp: readonly Comp[];
  compTimbre: readonly TimbreName[];
  compLevel: Range;
  bass: readonly BassLine[];
  bassLevel: Range;
  melodyTimbre: readonly TimbreName[];
  /** Melody notes per beat (0 = no melody). */
  melodyDensity: Range;
  melodyLevel: Range;
  /** tanh drive on the chord/bass instruments: 0 clean, >2 heavily distorted. */
  drive: Range;
  /** Final one-pole low-pass cutoff in Hz (the "recording"). */
  cutoff: Range;
  /** White-noise level relative to the music (tape hiss, crowd, room). */
  noise: Range;
  /** Depth of slow loudness swells (classical dynamics). */
  dynamics: Range;
  /** Comb-filter reverb feedback (0 dry). */
  reverb: Range;
  /** MIDI note of the chord register's bottom (48 = C3). */
  register: Range;
}

/** Per-track draws, returned with the audio so the generator can record them. */
export interface RenderInfo {
  tempo: number;
  key: number;
  swing: number;
  drive: number;
  cutoff: number;
  noise: number;
}

export const SCALES: Record<ScaleName, number[]> = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  blues: [0, 3, 5, 6, 7, 10],
  pentatonic: [0, 2, 4, 7, 9],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
};

export const CHORD_TONES: Record<ChordQuality, number[]> = {
  maj: [0, 4, 7],
  min: [0, 3, 7],
  dom7: [0, 4, 7, 10],
  min7: [0, 3, 7, 10],
  maj7: [0, 4, 7, 11],
  power: [0, 7, 12],
  sus4: [0, 5, 7],
};

/** Harmonic amplitudes and envelope of each instrument (attack/decay in seconds, sustain 0..1). */
interface TimbreDef {
  harmonics: number[];
  attack: number;
  decay: number;
  sustain: number;
  release: number;
  vibrato: number;
}

const TIMBRES: Record<TimbreName, TimbreDef> = {
  pluck: { harmonics: [1, 0.6, 0.45, 0.3, 0.22, 0.15, 0.1, 0.08, 0.05, 0.04], attack: 0.002, decay: 0.25, sustain: 0, release: 0.05, vibrato: 0 },
  guitar: { harmonics: [1, 0.7, 0.5, 0.4, 0.3, 0.25, 0.18, 0.12, 0.1, 0.07, 0.05, 0.04], attack: 0.003, decay: 0.7, sustain: 0.15, release: 0.08, vibrato: 0 },
  piano: { harmonics: [1, 0.45, 0.3, 0.18, 0.12, 0.08, 0.06, 0.04], attack: 0.003, decay: 0.9, sustain: 0.08, release: 0.15, vibrato: 0 },
  organ: { harmonics: [1, 0.85, 0.1, 0.6, 0.05, 0.35, 0, 0.25], attack: 0.01, decay: 0.2, sustain: 0.95, release: 0.04, vibrato: 0.002 },
  strings: { harmonics: [1, 0.5, 0.33, 0.25, 0.2, 0.16, 0.14, 0.12, 0.1, 0.08], attack: 0.18, decay: 0.5, sustain: 0.85, release: 0.3, vibrato: 0.005 },
  brass: { harmonics: [1, 0.8, 0.65, 0.5, 0.4, 0.3, 0.2, 0.15], attack: 0.05, decay: 0.3, sustain: 0.8, release: 0.08, vibrato: 0.004 },
  synth: { harmonics: [1, 0.05, 0.33, 0.04, 0.2, 0.03, 0.14, 0.02, 0.11], attack: 0.005, decay: 0.2, sustain: 0.7, release: 0.06, vibrato: 0 },
  reed: { harmonics: [1, 0.25, 0.6, 0.2, 0.4, 0.12, 0.25, 0.08], attack: 0.03, decay: 0.2, sustain: 0.8, release: 0.06, vibrato: 0.006 },
  sine: { harmonics: [1], attack: 0.005, decay: 0.4, sustain: 0.6, release: 0.05, vibrato: 0 },
  bass: { harmonics: [1, 0.5, 0.25, 0.12, 0.06], attack: 0.004, decay: 0.35, sustain: 0.4, release: 0.05, vibrato: 0 },
};

const TABLE_SIZE = 2048;

/** One period of an instrument's waveform with this track's harmonic jitter. */
export interface Voice {
  table: Float32Array;
  def: TimbreDef;
}

export function makeVoice(name: TimbreName, rng: Rng): Voice {
  const def = TIMBRES[name];
  const table = new Float32Array(TABLE_SIZE + 1);
  let peak = 0;
  const amps = def.harmonics.map((a) => a * Math.exp(0.35 * rng.normal()));
  const phases = def.harmonics.map(() => rng.uniform(0, 2 * Math.PI));
  for (let i = 0; i <= TABLE_SIZE; i++) {
    let v = 0;
    for (let h = 0; h < amps.length; h++) v += amps[h] * Math.sin((2 * Math.PI * (h + 1) * i) / TABLE_SIZE + phases[h]);
    table[i] = v;
    peak = Math.max(peak, Math.abs(v));
  }
  for (let i = 0; i <= TABLE_SIZE; i++) table[i] /= peak || 1;
  return { table, def };
}

const midiHz = (m: number) => 440 * 2 ** ((m - 69) / 12);

/** Adds one note to `out` (wavetable oscillator, attack/decay/sustain/release envelope). */
export function addNote(out: Float32Array, sr: number, voice: Voice, t0: number, dur: number, midi: number, amp: number): void {
  const { table, def } = voice;
  const start = Math.max(0, Math.round(t0 * sr));
  const holdN = Math.max(1, Math.round(dur * sr));
  const relN = Math.round(def.release * sr);
  const end = Math.min(out.length, start + holdN + relN);
  if (start >= end) return;
  const freq = midiHz(midi);
  if (freq * 2 > sr) return;
  const inc = (freq * TABLE_SIZE) / sr;
  const attackN = Math.max(1, Math.round(def.attack * sr));
  const decayK = Math.exp(-1 / (def.decay * sr));
  const relK = Math.exp(-1 / (Math.max(def.release, 0.005) * sr));
  // Vibrato at 5.5 Hz from a rotating phasor (no Math.sin per sample).
  const vc = Math.cos((2 * Math.PI * 5.5) / sr);
  const vs = Math.sin((2 * Math.PI * 5.5) / sr);
  let vx = 1;
  let vy = 0;
  let phase = 0;
  let d = 1; // decaying part of the envelope
  let rel = 1;
  for (let n = start, i = 0; n < end; n++, i++) {
    let env = i < attackN ? i / attackN : def.sustain + (1 - def.sustain) * d;
    if (i >= attackN) d *= decayK;
    if (i >= holdN) {
      rel *= relK;
      env *= rel;
    }
    const idx = phase | 0;
    const frac = phase - idx;
    out[n] += amp * env * (table[idx] + frac * (table[idx + 1] - table[idx]));
    if (def.vibrato) {
      const nx = vx * vc - vy * vs;
      vy = vx * vs + vy * vc;
      vx = nx;
      phase += inc * (1 + def.vibrato * vy);
    } else phase += inc;
    if (phase >= TABLE_SIZE) phase -= TABLE_SIZE;
  }
}

/** Drum one-shots rendered once per track. */
export interface Kit {
  kick: Float32Array;
  snare: Float32Array;
  hat: Float32Array;
  openHat: Float32Array;
  ride: Float32Array;
  crash: Float32Array;
}

export function makeKit(sr: number, rng: Rng, kickPitch: number, kickDecay: number, brushes: boolean): Kit {
  const len = (s: number) => new Float32Array(Math.round(s * sr));
  const kick = len(kickDecay * 5);
  let ph = 0;
  for (let i = 0; i < kick.length; i++) {
    const t = i / sr;
    const f = kickPitch + kickPitch * 2.5 * Math.exp(-t / 0.025);
    ph += (2 * Math.PI * f) / sr;
    kick[i] = Math.sin(ph) * Math.exp(-t / kickDecay) + (i < sr * 0.003 ? rng.uniform(-0.3, 0.3) : 0);
  }
  const snareDecay = brushes ? 0.18 : rng.uniform(0.08, 0.16);
  const snare = len(snareDecay * 5);
  const snareTone = rng.uniform(160, 240);
  for (let i = 0; i < snare.length; i++) {
    const t = i / sr;
    const noiseAmp = brushes ? 0.35 : 0.8;
    snare[i] = noiseAmp * rng.uniform(-1, 1) * Math.exp(-t / snareDecay) + (brushes ? 0.1 : 0.5) * Math.sin(2 * Math.PI * snareTone * t) * Math.exp(-t / 0.04);
  }
  const hiNoise = (dur: number, decay: number) => {
    const b = len(dur);
    let prev = 0;
    for (let i = 0; i < b.length; i++) {
      const x = rng.uniform(-1, 1);
      b[i] = (x - prev) * 0.5 * Math.exp(-i / sr / decay); // first difference = crude high-pass
      prev = x;
    }
    return b;
  };
  const hat = hiNoise(0.15, rng.uniform(0.02, 0.045));
  const openHat = hiNoise(0.6, rng.uniform(0.15, 0.3));
  const crash = hiNoise(2.0, rng.uniform(0.6, 1.2));
  const ride = len(1.2);
  const rideFreqs = [rng.uniform(3000, 3600), rng.uniform(4200, 5000), rng.uniform(5300, 6000)].map((f) => Math.min(f, sr * 0.45));
  let prev = 0;
  for (let i = 0; i < ride.length; i++) {
    const t = i / sr;
    let v = 0;
    for (const f of rideFreqs) v += Math.sin(2 * Math.PI * f * t);
    const x = rng.uniform(-1, 1);
    ride[i] = (0.15 * v + 0.3 * (x - prev)) * Math.exp(-t / 0.45);
    prev = x;
  }
  return { kick, snare, hat, openHat, ride, crash };
}

export function addSample(out: Float32Array, sample: Float32Array, at: number, gain: number): void {
  const start = Math.round(at);
  if (start < 0 || start >= out.length) return;
  const n = Math.min(sample.length, out.length - start);
  for (let i = 0; i < n; i++) out[start + i] += gain * sample[i];
}

/** Scale degrees in semitones, extended over octaves: degree 0 = key root. */
export function scaleNote(scale: number[], degree: number): number {
  const oct = Math.floor(degree / scale.length);
  const i = ((degree % scale.length) + scale.length) % scale.length;
  return scale[i] + 12 * oct;
}

