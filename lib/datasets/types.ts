/**
 * What every dataset loader returns (mirdata's shape): an index of tracks with lazy audio, the
 * fixed class list, and the problems found while indexing or validating. GTZAN (real or
 * generated) and FMA (real or generated) all produce this, through one code path each.
 */
import type { AudioErrorReason, Loaded, LoadOptions } from '../audio/index';

export interface Track {
  /** Unique within the dataset: 'blues.00007' (GTZAN), '2' (FMA track_id). */
  id: string;
  /** Absolute path of the audio file. */
  path: string;
  /** Single label: the GTZAN genre folder, FMA's `genre_top` ('' when FMA has none). */
  genre: string;
  /** Multi-label (FMA `track.genres` titles); GTZAN: `[genre]`. */
  genres: string[];
  artist?: string;
  title?: string;
  /** The dataset's own partition, when it has one (FMA `set.split`: training / validation / test). */
  split?: string;
  /** FMA `set.subset`: small / medium / large. */
  subset?: string;
  /** Decodes the audio (librosa.load semantics, see lib/audio); nothing is read until called. */
  audio(opts?: LoadOptions): Promise<Loaded>;
}

/** Why a file or folder was left out. Audio reasons come from lib/audio's AudioError. */
export type ProblemReason = AudioErrorReason | 'missing-folder' | 'unknown-folder' | 'stray-file' | 'bad-name' | 'bad-metadata';

export interface Problem {
  /** The file or folder concerned. */
  file: string;
  reason: ProblemReason;
  message: string;
}

export interface Dataset {
  name: 'gtzan' | 'fma';
  /** Which layout was found: 'gtzan-original', 'gtzan-kaggle', 'fma'. */
  layout: string;
  /** The dataset root as given (absolute). */
  root: string;
  /** Class names in their fixed order (index = label id). */
  classes: readonly string[];
  tracks: Track[];
  /** Problems found while indexing (missing folders, stray files, bad names); audio is not read yet. */
  problems: Problem[];
  /** Decodes every track once: readable tracks, and the unreadable ones with reasons (validateTracks). */
  validate(opts?: { onProgress?: (done: number, total: number) => void }): Promise<Validation>;
}

/** Result of reading every track's audio once. */
export interface Validation {
  /** Tracks whose audio decoded. */
  ok: Track[];
  /** Unreadable or missing tracks, with reasons; they are skipped, never fatal. */
  problems: Problem[];
  /** Per readable track: native sample rate, channels, duration. */
  stats: Array<{ id: string; sr: number; channels: number; durationS: number }>;
}
