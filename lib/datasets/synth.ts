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
 * Pure functions of (style, rng, sr, durationS); no I/O.
 */
import { Rng } from './rng';

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

const SCALES: Record<ScaleName, number[]> = {
  major: [0, 2, 4, 5, 7, 9, 11],
  minor: [0, 2, 3, 5, 7, 8, 10],
  blues: [0, 3, 5, 6, 7, 10],
  pentatonic: [0, 2, 4, 7, 9],
  dorian: [0, 2, 3, 5, 7, 9, 10],
  phrygian: [0, 1, 3, 5, 7, 8, 10],
  mixolydian: [0, 2, 4, 5, 7, 9, 10],
};

const CHORD_TONES: Record<ChordQuality, number[]> = {
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
interface Voice {
  table: Float32Array;
  def: TimbreDef;
}

function makeVoice(name: TimbreName, rng: Rng): Voice {
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
function addNote(out: Float32Array, sr: number, voice: Voice, t0: number, dur: number, midi: number, amp: number): void {
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
interface Kit {
  kick: Float32Array;
  snare: Float32Array;
  hat: Float32Array;
  openHat: Float32Array;
  ride: Float32Array;
  crash: Float32Array;
}

function makeKit(sr: number, rng: Rng, kickPitch: number, kickDecay: number, brushes: boolean): Kit {
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

function addSample(out: Float32Array, sample: Float32Array, at: number, gain: number): void {
  const start = Math.round(at);
  if (start < 0 || start >= out.length) return;
  const n = Math.min(sample.length, out.length - start);
  for (let i = 0; i < n; i++) out[start + i] += gain * sample[i];
}

/** Scale degrees in semitones, extended over octaves: degree 0 = key root. */
function scaleNote(scale: number[], degree: number): number {
  const oct = Math.floor(degree / scale.length);
  const i = ((degree % scale.length) + scale.length) % scale.length;
  return scale[i] + 12 * oct;
}

const rangeDraw = (rng: Rng, r: Range) => rng.uniform(r[0], r[1]);

/**
 * Renders `durationS` seconds of music in `style` at `sr` Hz: `[samples]` mono, peak-normalised
 * to a random level in [0.5, 0.9] (recordings differ in level). Deterministic given `rng`'s state.
 */
export function renderClip(style: Style, rng: Rng, sr: number, durationS: number): { y: Float32Array; info: RenderInfo } {
  const n = Math.round(sr * durationS);
  const tempo = rangeDraw(rng, style.tempo);
  const beat = 60 / tempo;
  const bar = 4 * beat;
  const swing = rangeDraw(rng, style.swing);
  const key = rng.int(0, 11);
  const scale = SCALES[rng.pick(style.scale)];
  const progression = rng.pick(style.progressions);
  const groove = rng.pick(style.grooves);
  const comp = rng.pick(style.comp);
  const bassLine = rng.pick(style.bass);
  const register = Math.round(rangeDraw(rng, style.register));
  const drumLevel = rangeDraw(rng, style.drumLevel);
  const compLevel = rangeDraw(rng, style.compLevel);
  const bassLevel = rangeDraw(rng, style.bassLevel);
  const melodyLevel = rangeDraw(rng, style.melodyLevel);
  const melodyDensity = rangeDraw(rng, style.melodyDensity);
  const drive = rangeDraw(rng, style.drive);
  const cutoff = Math.min(rangeDraw(rng, style.cutoff), sr * 0.45);
  const noise = rangeDraw(rng, style.noise);
  const dynamics = rangeDraw(rng, style.dynamics);
  const reverb = rangeDraw(rng, style.reverb);
  const compVoice = makeVoice(rng.pick(style.compTimbre), rng);
  const melodyVoice = makeVoice(rng.pick(style.melodyTimbre), rng);
  const bassVoice = makeVoice(bassLine === 'sub' ? 'sine' : 'bass', rng);
  const kit = makeKit(sr, rng, rangeDraw(rng, style.kickPitch), rangeDraw(rng, style.kickDecay), !!style.brushes);
  const jitter = rng.uniform(0.002, 0.012); // human timing spread, seconds

  const drums = new Float32Array(n);
  const harmony = new Float32Array(n);
  const lead = new Float32Array(n);
  const low = new Float32Array(n);
  // GTZAN clips are excerpts: start somewhere inside the song, not on its first downbeat.
  const offset = -rng.uniform(0, bar);
  const nBars = Math.ceil((durationS - offset) / bar) + 1;
  const step16 = beat / 4;
  const stepTime = (barT: number, s: number) =>
    barT + s * step16 + (s % 4 === 2 ? (swing * beat) / 2 : 0) + (s % 2 === 1 ? (swing * step16) / 2 : 0) + jitter * rng.normal();

  let melodyDegree = rng.int(5, 9);
  const sectionMelody = Array.from({ length: Math.ceil(nBars / 4) }, () => rng.chance(0.75)); // verses with and without a lead
  for (let b = 0; b < nBars; b++) {
    const barT = offset + b * bar;
    const section = Math.floor(b / 4);
    const breakdown = b % 8 === 7 && rng.chance(0.25); // occasional drum drop
    const melodyOn = melodyDensity > 0 && (sectionMelody[section] || section === 0);
    const [root, quality] = progression[b % progression.length];
    const chordRoot = register + ((key + root) % 12);
    const tones = CHORD_TONES[quality].map((t) => chordRoot + t);

    // Drums.
    if (drumLevel > 0 && !breakdown) {
      if (b % 4 === 0 && rng.chance(0.5)) addSample(drums, kit.crash, stepTime(barT, 0) * sr, 0.5);
      for (let s = 0; s < 16; s++) {
        const t = stepTime(barT, s) * sr;
        const hit = (p: string) => (p[s] === 'x' ? 1 : p[s] === 'o' ? 0.45 : 0);
        const k = hit(groove.kick);
        if (k) addSample(drums, kit.kick, t, k * rng.uniform(0.85, 1));
        const sn = hit(groove.snare);
        if (sn) addSample(drums, kit.snare, t, sn * rng.uniform(0.7, 1));
        else if (style.brushes && rng.chance(0.12)) addSample(drums, kit.snare, t, 0.25); // comping ghost notes
        const h = hit(groove.hat);
        if (h) {
          const open = groove.openHat && groove.openHat[s] === 'x';
          addSample(drums, groove.ride ? kit.ride : open ? kit.openHat : kit.hat, t, h * rng.uniform(0.5, 0.8));
        }
      }
    }

    // Chord instrument.
    const strum = (t: number, dur: number, amp: number, notes: number[]) =>
      notes.forEach((m, i) => addNote(harmony, sr, compVoice, t + i * rng.uniform(0.006, 0.018), dur, m, amp));
    switch (comp) {
      case 'sustain':
        strum(barT, bar * 0.98, 0.5, tones);
        break;
      case 'strum':
        for (const s of [0, 4, 8, 12]) if (s % 8 === 0 || rng.chance(0.6)) strum(stepTime(barT, s), beat * 0.9, 0.45, tones);
        break;
      case 'skank':
        for (const s of [2, 6, 10, 14]) strum(stepTime(barT, s), step16 * 1.2, 0.5, tones.map((m) => m + 12));
        break;
      case 'stab':
        for (let s = 0; s < 16; s += 2) if (rng.chance(s % 4 === 2 ? 0.7 : 0.25)) strum(stepTime(barT, s), step16 * 1.5, 0.45, tones.map((m) => m + 12));
        break;
      case 'arpeggio': {
        const notes = [...tones, tones[0] + 12, ...tones.slice(1).reverse()];
        for (let s = 0; s < 16; s += 2) addNote(harmony, sr, compVoice, stepTime(barT, s), step16 * 3, notes[(s / 2) % notes.length], 0.45);
        break;
      }
      case 'chug': {
        const power = [chordRoot - 12, chordRoot - 5, chordRoot];
        for (let s = 0; s < 16; s += 2) strum(stepTime(barT, s), s % 8 === 0 ? step16 * 1.8 : step16 * 0.8, 0.45, power);
        break;
      }
    }

    // Bass.
    const bassRoot = chordRoot - 24 < 28 ? chordRoot - 12 : chordRoot - 24;
    const bassNote = (t: number, dur: number, m: number, amp = 0.8) => addNote(low, sr, bassVoice, t, dur, m, amp);
    switch (bassLine) {
      case 'root':
        bassNote(stepTime(barT, 0), beat * 1.8, bassRoot);
        bassNote(stepTime(barT, 8), beat * 1.8, bassRoot + (rng.chance(0.3) ? 7 : 0));
        break;
      case 'fifths':
        bassNote(stepTime(barT, 0), beat * 0.9, bassRoot);
        bassNote(stepTime(barT, 8), beat * 0.9, bassRoot + 7 - (bassRoot + 7 > 52 ? 12 : 0));
        break;
      case 'walking':
        for (let q = 0; q < 4; q++) {
          const m = q === 0 ? bassRoot : bassRoot + scaleNote(scale, rng.int(0, 5));
          bassNote(stepTime(barT, q * 4), beat * 0.95, m);
        }
        break;
      case 'octave':
        for (let s = 0; s < 16; s += 2) bassNote(stepTime(barT, s), step16 * 1.6, bassRoot + (s % 4 === 2 ? 12 : 0));
        break;
      case 'eighths':
        for (let s = 0; s < 16; s += 2) bassNote(stepTime(barT, s), step16 * 1.7, bassRoot);
        break;
      case 'sub':
        for (let s = 0; s < 16; s++) if (groove.kick[s] === 'x') bassNote(stepTime(barT, s), beat * 1.5, bassRoot, 1);
        break;
      case 'dub':
        bassNote(stepTime(barT, 0), beat * 1.4, bassRoot, 1);
        bassNote(stepTime(barT, 6), beat * 0.6, bassRoot + 7, 0.9);
        bassNote(stepTime(barT, 10), beat * 1.2, bassRoot + scaleNote(scale, rng.int(0, 4)), 0.9);
        break;
      case 'none':
        break;
    }

    // Melody: a random walk on the scale, more often landing on chord tones.
    if (melodyOn) {
      const perBar = Math.max(1, Math.round(melodyDensity * 4 * rng.uniform(0.7, 1.3)));
      const slots = rng.shuffle([...Array(16).keys()].filter((s) => s % 2 === 0)).slice(0, Math.min(8, perBar)).sort((a, c) => a - c);
      for (let i = 0; i < slots.length; i++) {
        melodyDegree = Math.max(3, Math.min(14, melodyDegree + rng.pick([-2, -1, -1, 0, 1, 1, 2, 3, -3])));
        const next = i + 1 < slots.length ? slots[i + 1] : 16;
        const m = register + 12 + key + scaleNote(scale, melodyDegree);
        addNote(lead, sr, melodyVoice, stepTime(barT, slots[i]), (next - slots[i]) * step16 * 0.9, m, 0.6);
      }
    }
  }

  // Mix: distortion on the band, drums clean, then the "recording": reverb, low-pass, noise, level.
  const y = new Float32Array(n);
  const driveNorm = drive > 0 ? Math.tanh(1 + drive) : 1;
  const dynRate = (2 * Math.PI) / rng.uniform(6, 14);
  const dynPhase = rng.uniform(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    let h = harmony[i] * compLevel + low[i] * bassLevel;
    if (drive > 0) h = Math.tanh(h * (1 + drive)) / driveNorm;
    const swell = 1 - dynamics * 0.5 * (1 + Math.sin(dynRate * (i / sr) + dynPhase));
    y[i] = (h + lead[i] * melodyLevel) * swell + drums[i] * drumLevel;
  }
  if (reverb > 0) {
    const delays = [0.0297, 0.0371, 0.0411].map((s) => Math.round(s * sr));
    const wet = new Float32Array(n);
    for (const d of delays) {
      const c = new Float32Array(n);
      for (let i = 0; i < n; i++) c[i] = y[i] + (i >= d ? reverb * c[i - d] : 0);
      for (let i = 0; i < n; i++) wet[i] += c[i] / delays.length;
    }
    for (let i = 0; i < n; i++) y[i] = 0.6 * y[i] + 0.4 * wet[i];
  }
  const a = Math.exp((-2 * Math.PI * cutoff) / sr);
  let lp = 0;
  let peak = 0;
  for (let i = 0; i < n; i++) {
    lp = (1 - a) * y[i] + a * lp;
    y[i] = lp;
    peak = Math.max(peak, Math.abs(lp));
  }
  const level = rng.uniform(0.5, 0.9);
  const g = level / (peak || 1);
  for (let i = 0; i < n; i++) {
    const v = y[i] * g + noise * level * rng.uniform(-1, 1);
    y[i] = v > 1 ? 1 : v < -1 ? -1 : v;
  }
  return { y, info: { tempo, key, swing, drive, cutoff, noise } };
}
