/**
 * Settings a notebook's prose states, checked against the registry: "`default` profile … 15
 * epochs", "Adam 0.001, batch 50", "`smoke` … 4 tracks per genre", "patience 20". A sentence's
 * numbers belong to the profile it names (the nearest named before them, else the first after);
 * a sentence naming none describes the source's own settings, the `full` profile. A claim holds
 * when one of the notebook's experiments has that value in that profile.
 */
import type { ExperimentConfig, Profile, TrainSettings } from '../../lib/experiments/types';

export interface ProseClaim {
  profile: Profile;
  what: 'epochs' | 'batch' | 'learning rate' | 'tracks per genre' | 'patience';
  value: number;
  text: string;
}

const PATTERNS: [ProseClaim['what'], RegExp][] = [
  // "not improved for 10 epochs" is a patience, not a training length
  ['patience', /(?:patience|improved for) (\d+)/g],
  ['epochs', /(?<!improved for )\b(\d+) epochs/g],
  ['batch', /\bbatch(?:es of| size)? (\d+)/g],
  ['learning rate', /(?:Adam|learning rate|\bLR) (\d+(?:\.\d+)?(?:e-?\d+)?)/g],
  ['tracks per genre', /\b(\d+) (?:tracks )?per genre/g],
];

const PROFILE_WORDS: [Profile, RegExp][] = [
  ['smoke', /`smoke`|\bsmoke profile/g],
  ['default', /`default`|\bdefault profile/g],
  ['full', /`full`|\bfull profile/g],
];

/** The claims of one markdown text. */
export function proseClaims(markdown: string): ProseClaim[] {
  const out: ProseClaim[] = [];
  const text = markdown.replace(/\*\*/g, '').replace(/\s+/g, ' ');
  for (const sentence of text.split(/(?<=[.!?])\s+(?=[A-Z`(*])/)) {
    const named: { at: number; profile: Profile }[] = [];
    for (const [profile, re] of PROFILE_WORDS) for (const m of sentence.matchAll(re)) named.push({ at: m.index!, profile });
    named.sort((a, b) => a.at - b.at);
    for (const [what, re] of PATTERNS) {
      for (const m of sentence.matchAll(re)) {
        const before = named.filter((n) => n.at < m.index!);
        const profile = before.length ? before[before.length - 1].profile : named.length ? named[0].profile : 'full';
        out.push({ profile, what, value: Number(m[1]), text: sentence.trim() });
      }
    }
  }
  return out;
}

/** Tracks per genre of the whole dataset (a profile without maxTracksPerClass keeps them all). */
const DATASET_TRACKS_PER_GENRE: Record<ExperimentConfig['dataset'], number | undefined> = { gtzan: 100, fma: undefined };

function valuesOf(e: ExperimentConfig, s: TrainSettings, what: ProseClaim['what']): (number | undefined)[] {
  switch (what) {
    case 'epochs': return [s.epochs];
    case 'batch': return [s.batchSize];
    case 'learning rate': return [(s.optimizer as { learningRate?: number }).learningRate];
    case 'tracks per genre': return [s.maxTracksPerClass ?? DATASET_TRACKS_PER_GENRE[e.dataset]];
    case 'patience': return [s.earlyStopping?.patience, (s.scheduler as { patience?: number } | undefined)?.patience];
  }
}

/** The claims no experiment of the notebook supports. */
export function contradictions(markdown: string, experiments: ExperimentConfig[]): ProseClaim[] {
  return proseClaims(markdown).filter((c) => !experiments.some((e) => valuesOf(e, e.profiles[c.profile], c.what).some((v) => v !== undefined && Math.abs(v - c.value) <= 1e-12 * Math.max(1, v))));
}
