/**
 * A notebook run: what the configuration cell returns. It holds the resolved settings and owns
 * `results/<notebook>/`: figures (shown inline AND saved), `metrics.json`, training histories,
 * and the closing comparison table (this run vs the seed's published numbers vs the
 * leakage-free split). `finish()` renders the static figures and writes metrics.json; the runner
 * (`genre-lab run`) reads those files for results/summary.md.
 *
 *   const nb = await setupNotebook('07-mlp-genre-classifier', { dataset: 'gtzan', profile: 'default' });
 *   nb.figure('training-curves', trainingCurves(history));
 *   nb.compare([{ metric: 'test accuracy', thisRun: acc, seed: 0.63, source: 'seed 003 §13' }]);
 *   nb.finish();
 */
import * as fs from 'fs';
import * as path from 'path';
import { resultsDir } from '../paths';
import { type Figure, saveFigure, renderStatic, show } from '../plots/index';
import { displayBundle, kernelWriter } from '../plots/show';
import { type DatasetChoice, type DatasetName, type Profile, NOTEBOOK_SEED, chooseNotebookDataset } from './config';
import { chooseProfile, chooseSeed, resolveRun, subSeed, type ExperimentRun, type RunChoices } from '../experiments/resolve';

export interface NotebookOptions {
  /** The dataset this notebook reads; omit for notebooks without one (the from-scratch lectures). */
  dataset?: DatasetName;
  profile?: Profile;
  seed?: number;
  /** Write results here instead of results/<name>/ (default: $GENRE_LAB_RESULTS_DIR/<name> when set). */
  outDir?: string;
}

/** One line of the closing table. `null` = not measured in this run / not published. */
export interface ComparisonRow {
  metric: string;
  thisRun: number | null;
  /** The seed's published number. */
  seed?: number | null;
  /** This run's model scored on the leakage-free (track-level / fault-filtered) split. */
  leakageFree?: number | null;
  /** Where the published number comes from (seed, section, table). */
  source?: string;
}

/** One experiment run a notebook resolved (`nb.run(id)`), as metrics.json lists it. */
export interface RunRecord {
  experiment: string;
  profile: Profile;
  split: string;
  seed: number;
  epochs: number;
}

export interface MetricsFile {
  notebook: string;
  profile: Profile;
  /** The seed this notebook ran with: $GENRE_LAB_SEED or the cell's, else its experiments' (when they agree) or the notebook default. */
  seed: number;
  /** Every experiment run the notebook resolved, with its own seed. */
  runs: RunRecord[];
  dataset: DatasetChoice | null;
  backend: string | null;
  startedAt: string;
  wallSeconds: number;
  metrics: Record<string, unknown>;
  comparison: ComparisonRow[];
  figures: string[];
  histories: string[];
  staticFigures: string;
}

/** A number for a results table: integers as is, others with 3 decimals (4 significant digits when tiny). */
export function formatNumber(v: number | null | undefined): string {
  if (v === null || v === undefined) return '—';
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v) || Math.abs(v) >= 100) return v.toFixed(0);
  return Math.abs(v) < 0.01 && v !== 0 ? v.toExponential(3) : v.toFixed(3);
}
const fmt = formatNumber;

/** The closing table as markdown. */
export function comparisonMarkdown(rows: readonly ComparisonRow[], run: { profile: Profile; dataset: DatasetChoice | null }): string {
  const data = run.dataset ? `${run.dataset.generated ? 'generated' : 'real'} ${run.dataset.name.toUpperCase()}` : 'no dataset';
  const head = `| metric | this run (${run.profile}, ${data}) | seed (published) | leakage-free split | source |`;
  const lines = rows.map((r) => `| ${r.metric} | ${fmt(r.thisRun)} | ${fmt(r.seed)} | ${fmt(r.leakageFree)} | ${r.source ?? ''} |`);
  return [head, '| --- | ---: | ---: | ---: | --- |', ...lines].join('\n');
}

export class NotebookSession {
  readonly name: string;
  readonly profile: Profile;
  /** The seed for the notebook's own random draws (splits, weights, data): the chosen one or NOTEBOOK_SEED. */
  readonly seed: number;
  /** The seed chosen by $GENRE_LAB_SEED or the cell; undefined = each experiment runs with its registry seed. */
  readonly chosenSeed: number | undefined;
  readonly dataset: DatasetChoice | null;
  readonly runs: RunRecord[] = [];
  private readonly cell: RunChoices;
  readonly outDir: string;
  readonly figuresDir: string;
  readonly metrics: Record<string, unknown> = {};
  readonly comparison: ComparisonRow[] = [];
  private readonly figures: string[] = [];
  private readonly histories: string[] = [];
  private readonly started = Date.now();

  /** Use `await setupNotebook(name, opts)`, which resolves the dataset first. */
  constructor(name: string, opts: NotebookOptions = {}, dataset: DatasetChoice | null = null) {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`notebook name '${name}' must be a file stem (letters, digits, - _ .)`);
    this.name = name;
    // lib/experiments/resolve's order: environment over the cell over the defaults
    this.cell = { profile: opts.profile, seed: opts.seed };
    this.profile = chooseProfile({ env: process.env, cell: this.cell }).profile;
    this.chosenSeed = chooseSeed({ env: process.env, cell: this.cell }).seed;
    this.seed = this.chosenSeed ?? NOTEBOOK_SEED;
    this.dataset = dataset;
    // GENRE_LAB_RESULTS_DIR moves every notebook's results (the tests write to a temporary folder).
    const root = process.env.GENRE_LAB_RESULTS_DIR;
    this.outDir = opts.outDir ?? (root ? path.join(path.resolve(root), name) : resultsDir(name));
    this.figuresDir = path.join(this.outDir, 'figures');
    fs.mkdirSync(this.figuresDir, { recursive: true });
  }

  /** True with the `smoke` profile: notebooks pick small settings with `nb.pick({ smoke, full })`. */
  get smoke(): boolean {
    return this.profile === 'smoke';
  }

  /** The value for the current profile (`default` falls back to `full` when not given). */
  pick<T>(values: { smoke: T; default?: T; full: T }): T {
    return this.profile === 'default' ? values.default ?? values.full : values[this.profile];
  }

  /** A short description of the configuration, for the configuration cell's output. */
  describe(): string {
    const d = this.dataset ? `${this.dataset.name} at ${this.dataset.dir} (${this.dataset.reason})` : 'none';
    const seed = this.chosenSeed !== undefined ? `${this.chosenSeed} (${process.env.GENRE_LAB_SEED ? 'GENRE_LAB_SEED' : 'this cell'})` : `each experiment's own; ${this.seed} for this notebook's own draws`;
    return [`notebook: ${this.name}`, `profile:  ${this.profile}`, `seed:     ${seed}`, `dataset:  ${d}`, `results:  ${this.outDir}`].join('\n');
  }

  /**
   * Experiment `id` resolved with this notebook's choices (environment over the configuration
   * cell, lib/experiments/resolve): its profile, seed and the notebook's dataset; `choices` (e.g.
   * a split) are the call's own options, on top. Every run is listed in metrics.json.
   */
  run(id: string, choices: RunChoices = {}): ExperimentRun {
    // The dataset was resolved once by setupNotebook (GENRE_LAB_DATASET, GENRE_LAB_GTZAN / _FMA, data/, generated).
    const r = resolveRun(id, { flags: { dataDir: this.dataset?.dir, ...choices }, env: process.env, cell: this.cell });
    this.runs.push({ experiment: r.experiment.id, profile: r.profile, split: r.split, seed: r.seed, epochs: r.epochs });
    return r;
  }

  /** Random stream `n` of the notebook's seed (lib/experiments/resolve's `subSeed`), for its own draws. */
  subSeed(n: number): number {
    return subSeed(this.seed, n);
  }

  /** The seed metrics.json records: the chosen one, else the one every resolved run used, else the notebook's. */
  private recordedSeed(): number {
    if (this.chosenSeed !== undefined) return this.chosenSeed;
    const seeds = [...new Set(this.runs.map((r) => r.seed))];
    return seeds.length === 1 ? seeds[0] : this.seed;
  }

  /** Shows `fig` inline and saves it as figures/<name>.json + .html (static SVG at `finish`). */
  figure(name: string, fig: Figure, opts: { show?: boolean } = {}): void {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`figure name '${name}' must be a file stem (letters, digits, - _ .)`);
    const saved = saveFigure(fig, path.join(this.figuresDir, name));
    if (!this.figures.includes(saved.json)) this.figures.push(saved.json);
    if (opts.show !== false) show(fig, kernelWriter(), { savedAs: saved.json });
  }

  /** Records metrics (merged into metrics.json's `metrics`). */
  record(values: Record<string, unknown>): void {
    Object.assign(this.metrics, values);
  }

  /**
   * Writes a training history as `<name>.json`: a Keras-style record (metric → per-epoch values)
   * or lib/train's `History` object as it is.
   */
  saveHistory(name: string, history: object): void {
    if (!/^[\w.-]+$/.test(name)) throw new Error(`history name '${name}' must be a file stem (letters, digits, - _ .)`);
    const file = path.join(this.outDir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(history, null, 1));
    if (!this.histories.includes(file)) this.histories.push(file);
  }

  /** Adds rows to the closing table and displays the whole table (markdown) inline. */
  compare(rows: readonly ComparisonRow[]): void {
    this.comparison.push(...rows);
    const md = comparisonMarkdown(this.comparison, this);
    displayBundle({ 'text/markdown': md, 'text/plain': md });
  }

  /** Writes metrics.json (can be called again; the last call wins). */
  writeMetrics(staticFigures = 'not rendered yet'): string {
    let backend: string | null = null;
    // lib/backend loads TensorFlow (seconds): ask it only when the notebook already loaded tfjs.
    const loaded = Object.keys(require.cache).some((k) => k.includes(`${path.sep}@tensorflow${path.sep}`));
    if (loaded) backend = (require('../backend') as typeof import('../backend')).describeBackend();
    const file: MetricsFile = {
      notebook: this.name,
      profile: this.profile,
      seed: this.recordedSeed(),
      runs: this.runs,
      dataset: this.dataset,
      backend,
      startedAt: new Date(this.started).toISOString(),
      wallSeconds: Math.round((Date.now() - this.started) / 100) / 10,
      metrics: this.metrics,
      comparison: this.comparison,
      figures: this.figures.map((f) => path.relative(this.outDir, f)),
      histories: this.histories.map((f) => path.relative(this.outDir, f)),
      staticFigures,
    };
    const out = path.join(this.outDir, 'metrics.json');
    fs.writeFileSync(out, JSON.stringify(file, null, 2));
    return out;
  }

  /**
   * Ends the run: renders every saved figure to SVG in one headless-Chromium pass (skipped with a
   * note when Chromium is missing) and writes metrics.json, then prints a one-line summary.
   */
  finish(): void {
    let note: string;
    try {
      const r = renderStatic(this.figures, { formats: ['svg'] });
      note = r.skipped ? `skipped: ${r.skipped}` : `${this.figures.length} SVG file(s) in ${path.relative(this.outDir, this.figuresDir)}/`;
    } catch (e) {
      note = `failed: ${(e as Error).message}`;
    }
    const out = this.writeMetrics(note);
    console.log(`${this.name}: ${this.figures.length} figure(s), static render ${note}; metrics in ${path.relative(path.dirname(this.outDir), out)}`);
  }
}

/**
 * The configuration cell's call: resolves settings (environment variables win), finds or
 * generates the dataset, prepares results/<name>/, and prints what it chose.
 */
export async function setupNotebook(name: string, opts: NotebookOptions = {}): Promise<NotebookSession> {
  const dataset = opts.dataset ? await chooseNotebookDataset(opts.dataset) : null;
  const nb = new NotebookSession(name, opts, dataset);
  console.log(nb.describe());
  return nb;
}
