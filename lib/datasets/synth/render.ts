/**
 * `renderClip`: one clip of a `Style` played by the band of instruments.ts. In parts: the track's
 * draws (`drawTrack`), then bar by bar the drums, the chord instrument, the bass and the melody,
 * then the mix and the "recording" (reverb, low-pass, level, noise). Every part draws from the one
 * Rng in a fixed order, so a clip is a pure function of (style, rng state, sr, duration).
 */
import type { Rng } from '../rng';
import { addNote, addSample, CHORD_TONES, makeKit, makeVoice, scaleNote, SCALES, type Kit, type Range, type RenderInfo, type Style, type Voice } from './instruments';

const rangeDraw = (rng: Rng, r: Range) => rng.uniform(r[0], r[1]);

/** What one track draws from its style before the first note. */
interface Track {
  tempo: number; beat: number; bar: number; step16: number; swing: number; key: number; scale: number[];
  progression: Style['progressions'][number]; groove: Style['grooves'][number]; comp: Style['comp'][number]; bassLine: Style['bass'][number];
  register: number; drumLevel: number; compLevel: number; bassLevel: number; melodyLevel: number; melodyDensity: number;
  drive: number; cutoff: number; noise: number; dynamics: number; reverb: number;
  compVoice: Voice; melodyVoice: Voice; bassVoice: Voice; kit: Kit;
  /** Human timing spread, seconds. */
  jitter: number;
}

function drawTrack(style: Style, rng: Rng, sr: number): Track {
  const tempo = rangeDraw(rng, style.tempo);
  const beat = 60 / tempo;
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
  const jitter = rng.uniform(0.002, 0.012);
  return {
    tempo, beat, bar: 4 * beat, step16: beat / 4, swing, key, scale, progression, groove, comp, bassLine, register, drumLevel, compLevel, bassLevel,
    melodyLevel, melodyDensity, drive, cutoff, noise, dynamics, reverb, compVoice, melodyVoice, bassVoice, kit, jitter,
  };
}

/** The four stems a clip is mixed from. */
interface Stems {
  drums: Float32Array;
  harmony: Float32Array;
  lead: Float32Array;
  low: Float32Array;
}

/** One bar's context: where it starts, its chord, and the time of its 16th-note steps (swung, humanised). */
interface Bar {
  index: number;
  start: number;
  chordRoot: number;
  tones: number[];
  stepTime: (s: number) => number;
}

function playDrums(t: Track, style: Style, rng: Rng, sr: number, bar: Bar, out: Float32Array): void {
  const { kit, groove } = t;
  if (bar.index % 4 === 0 && rng.chance(0.5)) addSample(out, kit.crash, bar.stepTime(0) * sr, 0.5);
  for (let s = 0; s < 16; s++) {
    const at = bar.stepTime(s) * sr;
    const hit = (p: string) => (p[s] === 'x' ? 1 : p[s] === 'o' ? 0.45 : 0);
    const k = hit(groove.kick);
    if (k) addSample(out, kit.kick, at, k * rng.uniform(0.85, 1));
    const sn = hit(groove.snare);
    if (sn) addSample(out, kit.snare, at, sn * rng.uniform(0.7, 1));
    else if (style.brushes && rng.chance(0.12)) addSample(out, kit.snare, at, 0.25); // comping ghost notes
    const h = hit(groove.hat);
    if (h) {
      const open = groove.openHat && groove.openHat[s] === 'x';
      addSample(out, groove.ride ? kit.ride : open ? kit.openHat : kit.hat, at, h * rng.uniform(0.5, 0.8));
    }
  }
}

function playComp(t: Track, rng: Rng, sr: number, bar: Bar, out: Float32Array): void {
  const { beat, step16, compVoice } = t;
  const { tones, stepTime, chordRoot } = bar;
  const strum = (at: number, dur: number, amp: number, notes: number[]) =>
    notes.forEach((m, i) => addNote(out, sr, compVoice, at + i * rng.uniform(0.006, 0.018), dur, m, amp));
  switch (t.comp) {
    case 'sustain':
      strum(bar.start, t.bar * 0.98, 0.5, tones);
      break;
    case 'strum':
      for (const s of [0, 4, 8, 12]) if (s % 8 === 0 || rng.chance(0.6)) strum(stepTime(s), beat * 0.9, 0.45, tones);
      break;
    case 'skank':
      for (const s of [2, 6, 10, 14]) strum(stepTime(s), step16 * 1.2, 0.5, tones.map((m) => m + 12));
      break;
    case 'stab':
      for (let s = 0; s < 16; s += 2) if (rng.chance(s % 4 === 2 ? 0.7 : 0.25)) strum(stepTime(s), step16 * 1.5, 0.45, tones.map((m) => m + 12));
      break;
    case 'arpeggio': {
      const notes = [...tones, tones[0] + 12, ...tones.slice(1).reverse()];
      for (let s = 0; s < 16; s += 2) addNote(out, sr, compVoice, stepTime(s), step16 * 3, notes[(s / 2) % notes.length], 0.45);
      break;
    }
    case 'chug': {
      const power = [chordRoot - 12, chordRoot - 5, chordRoot];
      for (let s = 0; s < 16; s += 2) strum(stepTime(s), s % 8 === 0 ? step16 * 1.8 : step16 * 0.8, 0.45, power);
      break;
    }
  }
}

function playBass(t: Track, rng: Rng, sr: number, bar: Bar, out: Float32Array): void {
  const { beat, step16, scale, groove } = t;
  const { stepTime, chordRoot } = bar;
  const bassRoot = chordRoot - 24 < 28 ? chordRoot - 12 : chordRoot - 24;
  const bassNote = (at: number, dur: number, m: number, amp = 0.8) => addNote(out, sr, t.bassVoice, at, dur, m, amp);
  switch (t.bassLine) {
    case 'root':
      bassNote(stepTime(0), beat * 1.8, bassRoot);
      bassNote(stepTime(8), beat * 1.8, bassRoot + (rng.chance(0.3) ? 7 : 0));
      break;
    case 'fifths':
      bassNote(stepTime(0), beat * 0.9, bassRoot);
      bassNote(stepTime(8), beat * 0.9, bassRoot + 7 - (bassRoot + 7 > 52 ? 12 : 0));
      break;
    case 'walking':
      for (let q = 0; q < 4; q++) {
        const m = q === 0 ? bassRoot : bassRoot + scaleNote(scale, rng.int(0, 5));
        bassNote(stepTime(q * 4), beat * 0.95, m);
      }
      break;
    case 'octave':
      for (let s = 0; s < 16; s += 2) bassNote(stepTime(s), step16 * 1.6, bassRoot + (s % 4 === 2 ? 12 : 0));
      break;
    case 'eighths':
      for (let s = 0; s < 16; s += 2) bassNote(stepTime(s), step16 * 1.7, bassRoot);
      break;
    case 'sub':
      for (let s = 0; s < 16; s++) if (groove.kick[s] === 'x') bassNote(stepTime(s), beat * 1.5, bassRoot, 1);
      break;
    case 'dub':
      bassNote(stepTime(0), beat * 1.4, bassRoot, 1);
      bassNote(stepTime(6), beat * 0.6, bassRoot + 7, 0.9);
      bassNote(stepTime(10), beat * 1.2, bassRoot + scaleNote(scale, rng.int(0, 4)), 0.9);
      break;
    case 'none':
      break;
  }
}

/** A random walk on the scale, more often landing on chord tones; returns the degree reached. */
function playMelody(t: Track, rng: Rng, sr: number, bar: Bar, degree: number, out: Float32Array): number {
  const perBar = Math.max(1, Math.round(t.melodyDensity * 4 * rng.uniform(0.7, 1.3)));
  const slots = rng.shuffle([...Array(16).keys()].filter((s) => s % 2 === 0)).slice(0, Math.min(8, perBar)).sort((a, c) => a - c);
  for (let i = 0; i < slots.length; i++) {
    degree = Math.max(3, Math.min(14, degree + rng.pick([-2, -1, -1, 0, 1, 1, 2, 3, -3])));
    const next = i + 1 < slots.length ? slots[i + 1] : 16;
    const m = t.register + 12 + t.key + scaleNote(t.scale, degree);
    addNote(out, sr, t.melodyVoice, bar.stepTime(slots[i]), (next - slots[i]) * t.step16 * 0.9, m, 0.6);
  }
  return degree;
}

/** Plays every bar of `durationS` seconds into the stems. */
function playBars(t: Track, style: Style, rng: Rng, sr: number, durationS: number, n: number): Stems {
  const stems: Stems = { drums: new Float32Array(n), harmony: new Float32Array(n), lead: new Float32Array(n), low: new Float32Array(n) };
  // GTZAN clips are excerpts: start somewhere inside the song, not on its first downbeat.
  const offset = -rng.uniform(0, t.bar);
  const nBars = Math.ceil((durationS - offset) / t.bar) + 1;
  let melodyDegree = rng.int(5, 9);
  const sectionMelody = Array.from({ length: Math.ceil(nBars / 4) }, () => rng.chance(0.75)); // verses with and without a lead
  for (let b = 0; b < nBars; b++) {
    const start = offset + b * t.bar;
    const section = Math.floor(b / 4);
    const breakdown = b % 8 === 7 && rng.chance(0.25); // occasional drum drop
    const melodyOn = t.melodyDensity > 0 && (sectionMelody[section] || section === 0);
    const [root, quality] = t.progression[b % t.progression.length];
    const chordRoot = t.register + ((t.key + root) % 12);
    const bar: Bar = {
      index: b, start, chordRoot, tones: CHORD_TONES[quality].map((x) => chordRoot + x),
      stepTime: (s) => start + s * t.step16 + (s % 4 === 2 ? (t.swing * t.beat) / 2 : 0) + (s % 2 === 1 ? (t.swing * t.step16) / 2 : 0) + t.jitter * rng.normal(),
    };
    if (t.drumLevel > 0 && !breakdown) playDrums(t, style, rng, sr, bar, stems.drums);
    playComp(t, rng, sr, bar, stems.harmony);
    playBass(t, rng, sr, bar, stems.low);
    if (melodyOn) melodyDegree = playMelody(t, rng, sr, bar, melodyDegree, stems.lead);
  }
  return stems;
}

/** Distortion on the band, drums clean, a slow swell of the dynamics. */
function mixStems(t: Track, rng: Rng, sr: number, s: Stems, n: number): Float32Array {
  const y = new Float32Array(n);
  const driveNorm = t.drive > 0 ? Math.tanh(1 + t.drive) : 1;
  const dynRate = (2 * Math.PI) / rng.uniform(6, 14);
  const dynPhase = rng.uniform(0, 2 * Math.PI);
  for (let i = 0; i < n; i++) {
    let h = s.harmony[i] * t.compLevel + s.low[i] * t.bassLevel;
    if (t.drive > 0) h = Math.tanh(h * (1 + t.drive)) / driveNorm;
    const swell = 1 - t.dynamics * 0.5 * (1 + Math.sin(dynRate * (i / sr) + dynPhase));
    y[i] = (h + s.lead[i] * t.melodyLevel) * swell + s.drums[i] * t.drumLevel;
  }
  return y;
}

/** Three comb filters averaged, 40 % wet. */
function addReverb(y: Float32Array, sr: number, amount: number): void {
  const n = y.length;
  const delays = [0.0297, 0.0371, 0.0411].map((s) => Math.round(s * sr));
  const wet = new Float32Array(n);
  for (const d of delays) {
    const c = new Float32Array(n);
    for (let i = 0; i < n; i++) c[i] = y[i] + (i >= d ? amount * c[i - d] : 0);
    for (let i = 0; i < n; i++) wet[i] += c[i] / delays.length;
  }
  for (let i = 0; i < n; i++) y[i] = 0.6 * y[i] + 0.4 * wet[i];
}

/** The "recording": one-pole low-pass at `cutoff`, peak level drawn in [0.5, 0.9], hiss, clipping. */
function record(y: Float32Array, rng: Rng, sr: number, cutoff: number, noise: number): void {
  const n = y.length;
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
}

/**
 * Renders `durationS` seconds of music in `style` at `sr` Hz: `[samples]` mono, peak-normalised
 * to a random level in [0.5, 0.9] (recordings differ in level). Deterministic given `rng`'s state.
 */
export function renderClip(style: Style, rng: Rng, sr: number, durationS: number): { y: Float32Array; info: RenderInfo } {
  const n = Math.round(sr * durationS);
  const t = drawTrack(style, rng, sr);
  const stems = playBars(t, style, rng, sr, durationS, n);
  const y = mixStems(t, rng, sr, stems, n);
  if (t.reverb > 0) addReverb(y, sr, t.reverb);
  record(y, rng, sr, t.cutoff, t.noise);
  return { y, info: { tempo: t.tempo, key: t.key, swing: t.swing, drive: t.drive, cutoff: t.cutoff, noise: t.noise } };
}
