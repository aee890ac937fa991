/**
 * The genre table of the generated dataset: what the procedural band (synth.ts) plays for each
 * of the 10 GTZAN genres. Ranges are musical common knowledge (tempo ranges, one-drop reggae,
 * four-on-the-floor disco, 12-bar blues, swung ride in jazz, double-kick metal) and deliberately
 * overlap between neighbouring genres so the generated set is not trivially separable.
 */
import type { Groove, Style, ChordSpec } from './synth';
import type { GtzanGenre } from './gtzan';

const BACKBEAT = '....x.......x...';
const EIGHTHS = 'x.x.x.x.x.x.x.x.';
const SIXTEENTHS = 'xxxxxxxxxxxxxxxx';

const grooves: Record<string, Groove> = {
  rock: { kick: 'x.......x.x.....', snare: BACKBEAT, hat: EIGHTHS },
  rock2: { kick: 'x......xx.......', snare: BACKBEAT, hat: EIGHTHS },
  shuffle: { kick: 'x.......x.......', snare: BACKBEAT, hat: 'x.xxx.xxx.xxx.xx' },
  train: { kick: 'x.......x.......', snare: '..x...x...x...x.', hat: SIXTEENTHS },
  boomChick: { kick: 'x.......x.......', snare: BACKBEAT, hat: '..x...x...x...x.' },
  fourFloor: { kick: 'x...x...x...x...', snare: BACKBEAT, hat: SIXTEENTHS, openHat: '..x...x...x...x.' },
  fourFloor2: { kick: 'x...x...x...x...', snare: BACKBEAT, hat: '..x...x...x...x.', openHat: '..x...x...x...x.' },
  boomBap: { kick: 'x.....x...x.....', snare: BACKBEAT, hat: EIGHTHS },
  boomBap2: { kick: 'x..x......x..x..', snare: BACKBEAT, hat: SIXTEENTHS },
  trap: { kick: 'x......x..x.....', snare: '........x.......', hat: SIXTEENTHS },
  swingRide: { kick: 'o...o...o...o...', snare: '................', hat: 'x...x.x.x...x.x.', ride: true },
  swingRide2: { kick: 'o.......o.......', snare: '......o.......o.', hat: 'x...x.x.x...x.x.', ride: true },
  blast: { kick: SIXTEENTHS, snare: BACKBEAT, hat: EIGHTHS },
  gallop: { kick: 'x.xxx.xxx.xxx.xx', snare: BACKBEAT, hat: EIGHTHS },
  halfTime: { kick: 'x.x.....x.x.....', snare: '........x.......', hat: EIGHTHS },
  pop: { kick: 'x.......x.x.....', snare: BACKBEAT, hat: EIGHTHS },
  pop2: { kick: 'x..x..x.x.......', snare: BACKBEAT, hat: SIXTEENTHS },
  oneDrop: { kick: '........x.......', snare: '........x.......', hat: EIGHTHS },
  steppers: { kick: 'x...x...x...x...', snare: '........x.......', hat: '..x...x...x...x.' },
};

// Progressions: [semitones above the key, chord quality] per bar.
const I = (q: ChordSpec[1]): ChordSpec => [0, q];
const twelveBar: ChordSpec[] = [I('dom7'), I('dom7'), I('dom7'), I('dom7'), [5, 'dom7'], [5, 'dom7'], I('dom7'), I('dom7'), [7, 'dom7'], [5, 'dom7'], I('dom7'), [7, 'dom7']];
const quickChange: ChordSpec[] = [I('dom7'), [5, 'dom7'], I('dom7'), I('dom7'), [5, 'dom7'], [5, 'dom7'], I('dom7'), I('dom7'), [7, 'dom7'], [5, 'dom7'], I('dom7'), [7, 'dom7']];
const IIVV: ChordSpec[] = [I('maj'), [5, 'maj'], [7, 'maj'], I('maj')];
const IIVV2: ChordSpec[] = [I('maj'), I('maj'), [5, 'maj'], [7, 'maj']];
const axis: ChordSpec[] = [I('maj'), [7, 'maj'], [9, 'min'], [5, 'maj']]; // I-V-vi-IV
const axis2: ChordSpec[] = [[9, 'min'], [5, 'maj'], I('maj'), [7, 'maj']]; // vi-IV-I-V
const minorLoop: ChordSpec[] = [I('min7'), [5, 'min7']];
const discoMinor: ChordSpec[] = [I('min7'), [10, 'maj'], [8, 'maj7'], [10, 'maj']];
const iiVI: ChordSpec[] = [[2, 'min7'], [7, 'dom7'], I('maj7'), I('maj7')];
const jazzTurn: ChordSpec[] = [I('maj7'), [9, 'min7'], [2, 'min7'], [7, 'dom7']];
const classicalMaj: ChordSpec[] = [I('maj'), [5, 'maj'], [7, 'dom7'], I('maj'), [9, 'min'], [2, 'min'], [7, 'maj'], I('maj')];
const classicalMin: ChordSpec[] = [I('min'), [5, 'min'], [7, 'maj'], I('min'), [8, 'maj'], [3, 'maj'], [7, 'dom7'], I('min')];
const metalPower: ChordSpec[] = [I('power'), I('power'), [8, 'power'], [10, 'power']];
const phrygianPower: ChordSpec[] = [I('power'), [1, 'power'], I('power'), [3, 'power']];
const rockPower: ChordSpec[] = [I('power'), [10, 'power'], [5, 'power'], I('power')];
const hipLoop: ChordSpec[] = [I('min7'), [8, 'maj7']];
const reggaeMaj: ChordSpec[] = [I('maj'), [5, 'maj']];
const reggaeMin: ChordSpec[] = [I('min'), [5, 'min'], I('min'), [7, 'min']];


export const GTZAN_STYLES: Record<GtzanGenre, Style> = {
  blues: {
    tempo: [62, 112], swing: [0.18, 0.33], grooves: [grooves.shuffle, grooves.boomChick, grooves.rock], drumLevel: [0.35, 0.7],
    kickPitch: [50, 62], kickDecay: [0.12, 0.22], progressions: [twelveBar, quickChange], scale: ['blues', 'mixolydian'],
    comp: ['strum', 'sustain', 'stab'], compTimbre: ['guitar', 'piano', 'organ'], compLevel: [0.45, 0.75],
    bass: ['walking', 'root', 'fifths'], bassLevel: [0.5, 0.8], melodyTimbre: ['guitar', 'reed', 'brass', 'piano'], melodyDensity: [0.6, 1.6],
    melodyLevel: [0.5, 0.9], drive: [0, 0.9], cutoff: [2800, 7000], noise: [0.005, 0.035], dynamics: [0, 0.15], reverb: [0, 0.3], register: [50, 58],
  },
  classical: {
    tempo: [50, 110], swing: [0, 0.02], grooves: [grooves.rock], drumLevel: [0, 0], kickPitch: [50, 60], kickDecay: [0.1, 0.2],
    progressions: [classicalMaj, classicalMin, IIVV], scale: ['major', 'minor'], comp: ['sustain', 'arpeggio', 'arpeggio'],
    compTimbre: ['strings', 'piano', 'strings', 'organ'], compLevel: [0.4, 0.7], bass: ['root', 'none'], bassLevel: [0.3, 0.6],
    melodyTimbre: ['strings', 'reed', 'piano', 'brass'], melodyDensity: [0.5, 1.8], melodyLevel: [0.5, 0.9], drive: [0, 0],
    cutoff: [3500, 9000], noise: [0.001, 0.012], dynamics: [0.25, 0.7], reverb: [0.3, 0.6], register: [48, 60],
  },
  country: {
    tempo: [88, 150], swing: [0, 0.12], grooves: [grooves.boomChick, grooves.train, grooves.rock], drumLevel: [0.35, 0.65],
    kickPitch: [52, 64], kickDecay: [0.1, 0.18], progressions: [IIVV, IIVV2, axis], scale: ['pentatonic', 'major', 'mixolydian'],
    comp: ['strum', 'strum', 'arpeggio'], compTimbre: ['guitar', 'pluck', 'piano'], compLevel: [0.5, 0.8],
    bass: ['fifths', 'root', 'walking'], bassLevel: [0.5, 0.8], melodyTimbre: ['pluck', 'guitar', 'strings', 'reed'], melodyDensity: [0.8, 2],
    melodyLevel: [0.5, 0.85], drive: [0, 0.6], cutoff: [4000, 9000], noise: [0.003, 0.02], dynamics: [0, 0.1], reverb: [0, 0.25], register: [52, 60],
  },
  disco: {
    tempo: [108, 134], swing: [0, 0.06], grooves: [grooves.fourFloor, grooves.fourFloor2], drumLevel: [0.6, 0.95],
    kickPitch: [48, 60], kickDecay: [0.1, 0.2], progressions: [discoMinor, minorLoop, axis], scale: ['dorian', 'minor', 'major'],
    comp: ['stab', 'skank', 'sustain'], compTimbre: ['synth', 'strings', 'brass', 'guitar'], compLevel: [0.4, 0.7],
    bass: ['octave', 'octave', 'eighths'], bassLevel: [0.6, 0.9], melodyTimbre: ['strings', 'synth', 'brass', 'reed'], melodyDensity: [0.6, 1.6],
    melodyLevel: [0.45, 0.8], drive: [0, 0.5], cutoff: [5000, 10000], noise: [0.002, 0.015], dynamics: [0, 0.1], reverb: [0, 0.3], register: [52, 62],
  },
  hiphop: {
    tempo: [76, 102], swing: [0.04, 0.22], grooves: [grooves.boomBap, grooves.boomBap2, grooves.trap], drumLevel: [0.75, 1],
    kickPitch: [42, 56], kickDecay: [0.25, 0.55], progressions: [hipLoop, minorLoop, [I('min'), I('min'), [8, 'maj'], [7, 'min']]], scale: ['minor', 'dorian', 'blues'],
    comp: ['sustain', 'stab'], compTimbre: ['piano', 'synth', 'strings', 'organ'], compLevel: [0.2, 0.5], bass: ['sub', 'sub', 'root'],
    bassLevel: [0.7, 1], melodyTimbre: ['piano', 'synth', 'reed', 'pluck'], melodyDensity: [0.15, 0.7], melodyLevel: [0.3, 0.6],
    drive: [0, 0.4], cutoff: [2500, 7500], noise: [0.004, 0.03], dynamics: [0, 0.05], reverb: [0, 0.2], register: [48, 58],
  },
  jazz: {
    tempo: [96, 210], swing: [0.22, 0.33], grooves: [grooves.swingRide, grooves.swingRide2], drumLevel: [0.3, 0.6], brushes: true,
    kickPitch: [55, 68], kickDecay: [0.08, 0.15], progressions: [iiVI, jazzTurn], scale: ['dorian', 'mixolydian', 'blues', 'major'],
    comp: ['stab', 'sustain', 'strum'], compTimbre: ['piano', 'organ', 'guitar'], compLevel: [0.35, 0.6], bass: ['walking', 'walking', 'root'],
    bassLevel: [0.6, 0.9], melodyTimbre: ['reed', 'brass', 'piano', 'guitar'], melodyDensity: [1, 2.5], melodyLevel: [0.55, 0.95],
    drive: [0, 0.2], cutoff: [3500, 8000], noise: [0.003, 0.02], dynamics: [0.05, 0.3], reverb: [0.1, 0.45], register: [50, 60],
  },
  metal: {
    tempo: [110, 210], swing: [0, 0.02], grooves: [grooves.blast, grooves.gallop, grooves.rock, grooves.halfTime], drumLevel: [0.55, 0.9],
    kickPitch: [52, 66], kickDecay: [0.06, 0.12], progressions: [metalPower, phrygianPower, rockPower], scale: ['phrygian', 'minor'],
    comp: ['chug', 'chug', 'strum'], compTimbre: ['guitar', 'guitar', 'synth'], compLevel: [0.5, 0.8], bass: ['eighths', 'root'],
    bassLevel: [0.5, 0.8], melodyTimbre: ['guitar', 'synth', 'brass'], melodyDensity: [0, 2], melodyLevel: [0.3, 0.7],
    drive: [2.5, 9], cutoff: [4500, 10000], noise: [0.008, 0.045], dynamics: [0, 0.05], reverb: [0, 0.25], register: [40, 50],
  },
  pop: {
    tempo: [92, 130], swing: [0, 0.06], grooves: [grooves.pop, grooves.pop2, grooves.fourFloor2], drumLevel: [0.5, 0.85],
    kickPitch: [48, 60], kickDecay: [0.12, 0.25], progressions: [axis, axis2, IIVV2], scale: ['pentatonic', 'major'],
    comp: ['strum', 'sustain', 'arpeggio', 'stab'], compTimbre: ['synth', 'piano', 'guitar', 'strings'], compLevel: [0.4, 0.7],
    bass: ['eighths', 'root', 'octave'], bassLevel: [0.5, 0.85], melodyTimbre: ['synth', 'reed', 'brass', 'piano'], melodyDensity: [0.8, 2],
    melodyLevel: [0.55, 0.95], drive: [0, 0.8], cutoff: [5500, 10000], noise: [0.002, 0.012], dynamics: [0, 0.1], reverb: [0.05, 0.35], register: [52, 62],
  },
  reggae: {
    tempo: [64, 96], swing: [0.04, 0.16], grooves: [grooves.oneDrop, grooves.oneDrop, grooves.steppers], drumLevel: [0.45, 0.8],
    kickPitch: [46, 58], kickDecay: [0.15, 0.3], progressions: [reggaeMaj, reggaeMin, axis], scale: ['major', 'minor', 'dorian'],
    comp: ['skank', 'skank', 'stab'], compTimbre: ['organ', 'guitar', 'piano'], compLevel: [0.4, 0.7], bass: ['dub', 'dub', 'root'],
    bassLevel: [0.75, 1], melodyTimbre: ['reed', 'brass', 'organ', 'synth'], melodyDensity: [0.3, 1.2], melodyLevel: [0.4, 0.75],
    drive: [0, 0.3], cutoff: [3000, 7500], noise: [0.004, 0.025], dynamics: [0, 0.1], reverb: [0.1, 0.5], register: [52, 62],
  },
  rock: {
    tempo: [96, 165], swing: [0, 0.06], grooves: [grooves.rock, grooves.rock2, grooves.halfTime, grooves.train], drumLevel: [0.5, 0.85],
    kickPitch: [50, 62], kickDecay: [0.09, 0.18], progressions: [rockPower, IIVV, axis, metalPower], scale: ['pentatonic', 'minor', 'blues', 'mixolydian'],
    comp: ['chug', 'strum', 'strum'], compTimbre: ['guitar', 'guitar', 'organ', 'piano'], compLevel: [0.5, 0.8],
    bass: ['eighths', 'root'], bassLevel: [0.5, 0.8], melodyTimbre: ['guitar', 'synth', 'reed'], melodyDensity: [0.4, 1.6], melodyLevel: [0.4, 0.8],
    drive: [0.7, 3.5], cutoff: [4000, 9500], noise: [0.005, 0.035], dynamics: [0, 0.1], reverb: [0, 0.3], register: [45, 55],
  },
};

/**
 * A track that borrows one ingredient from another genre (a disco groove under a rock song, a
 * jazz organ on a reggae skank): real genres share instruments and rhythms, and without this
 * every per-genre range would be a perfect classifier cue. The label stays the track's own genre.
 */
export function borrow(style: Style, donor: Style, what: 'grooves' | 'compTimbre' | 'tempo' | 'bass' | 'melodyTimbre' | 'progressions'): Style {
  return { ...style, [what]: donor[what] } as Style;
}
export const BORROWABLE = ['grooves', 'compTimbre', 'tempo', 'bass', 'melodyTimbre', 'progressions'] as const;

/**
 * The generated FMA-shaped set uses FMA's real genre ids and titles (fma_metadata/genres.csv,
 * Defferrard et al. 2017, CC BY 4.0): the 8 top-level genres of `fma_small` and three of each one's
 * most frequent children. Each child changes the parent's sound in a fixed way (tempo, drive,
 * brightness, noise), so the multi-label target over all genres is learnable from audio too.
 */
export interface FmaGenreDef {
  id: number;
  title: string;
  /** 0 for a top-level genre. */
  parent: number;
}
export interface FmaSubStyle extends FmaGenreDef {
  tempoScale: number;
  driveAdd: number;
  cutoffScale: number;
  noiseScale: number;
}

const experimental: Style = {
  ...GTZAN_STYLES.classical, tempo: [60, 160], grooves: [grooves.halfTime, grooves.trap, grooves.blast], drumLevel: [0, 0.5],
  progressions: [phrygianPower, [[0, 'sus4'], [1, 'min'], [6, 'maj'], [11, 'min']]], scale: ['phrygian', 'blues'],
  comp: ['sustain', 'stab', 'arpeggio'], compTimbre: ['synth', 'organ', 'sine', 'strings'], drive: [0, 4], noise: [0.02, 0.12],
  dynamics: [0.2, 0.7], reverb: [0.3, 0.7],
};
const electronic: Style = {
  ...GTZAN_STYLES.disco, tempo: [100, 150], grooves: [grooves.fourFloor, grooves.steppers, grooves.trap], compTimbre: ['synth', 'sine', 'organ'],
  melodyTimbre: ['synth', 'sine'], comp: ['stab', 'arpeggio', 'sustain'], bass: ['octave', 'sub', 'eighths'], reverb: [0.1, 0.5],
};
const folk: Style = { ...GTZAN_STYLES.country, drumLevel: [0, 0.3], comp: ['arpeggio', 'strum'], compTimbre: ['guitar', 'pluck'], bass: ['none', 'root'] };
const instrumental: Style = { ...GTZAN_STYLES.classical, compTimbre: ['strings', 'piano', 'synth'], reverb: [0.4, 0.7], melodyDensity: [0.2, 1] };

export const FMA_TOP_STYLES: Array<FmaGenreDef & { style: Style }> = [
  { id: 15, title: 'Electronic', parent: 0, style: electronic },
  { id: 38, title: 'Experimental', parent: 0, style: experimental },
  { id: 17, title: 'Folk', parent: 0, style: folk },
  { id: 21, title: 'Hip-Hop', parent: 0, style: GTZAN_STYLES.hiphop },
  { id: 1235, title: 'Instrumental', parent: 0, style: instrumental },
  { id: 2, title: 'International', parent: 0, style: GTZAN_STYLES.reggae },
  { id: 10, title: 'Pop', parent: 0, style: GTZAN_STYLES.pop },
  { id: 12, title: 'Rock', parent: 0, style: GTZAN_STYLES.rock },
];

const sub = (id: number, title: string, parent: number, tempoScale: number, driveAdd: number, cutoffScale: number, noiseScale: number): FmaSubStyle => ({
  id, title, parent, tempoScale, driveAdd, cutoffScale, noiseScale,
});
/** Children (ids and titles from FMA's genres.csv) with the sound change each one makes. */
export const FMA_SUB_STYLES: FmaSubStyle[] = [
  sub(42, 'Ambient Electronic', 15, 0.75, 0, 0.6, 1), sub(236, 'IDM', 15, 1.1, 0.5, 1, 1.5), sub(181, 'Techno', 15, 1.15, 0, 1.2, 0.7),
  sub(1, 'Avant-Garde', 38, 0.9, 0, 1, 1), sub(32, 'Noise', 38, 1, 3, 1.2, 3), sub(41, 'Electroacoustic', 38, 0.8, 0, 0.7, 0.6),
  sub(103, 'Singer-Songwriter', 17, 0.85, 0, 0.8, 0.7), sub(33, 'Psych-Folk', 17, 1, 0.6, 1, 1.5), sub(94, 'Freak-Folk', 17, 1.15, 0.3, 1.1, 1.3),
  sub(811, 'Hip-Hop Beats', 21, 1, 0, 0.8, 1.5), sub(100, 'Alternative Hip-Hop', 21, 1.1, 0.5, 1.1, 1), sub(539, 'Rap', 21, 0.95, 0, 1.2, 0.7),
  sub(107, 'Ambient', 1235, 0.7, 0, 0.6, 1.2), sub(18, 'Soundtrack', 1235, 1, 0, 1, 0.7), sub(267, 'New Age', 1235, 0.8, 0, 0.9, 0.5),
  sub(79, 'Reggae - Dub', 2, 0.95, 0, 0.7, 1.2), sub(46, 'Latin America', 2, 1.35, 0, 1.1, 0.8), sub(92, 'African', 2, 1.2, 0.2, 1, 1),
  sub(76, 'Experimental Pop', 10, 1, 0.8, 0.9, 1.8), sub(362, 'Synth Pop', 10, 1.05, 0, 1.15, 0.6), sub(66, 'Indie-Rock', 12, 1, -0.3, 0.9, 1),
  sub(25, 'Punk', 12, 1.35, 2, 1.1, 1.5), sub(27, 'Lo-Fi', 12, 0.9, 0.5, 0.55, 2.5), sub(58, 'Psych-Rock', 12, 0.85, 0.8, 0.9, 1.2),
];
