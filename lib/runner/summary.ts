/**
 * results/summary.md and results/summary.json: one row per closing-table line of every notebook
 * that ran, read back from each notebook's results/<notebook>/metrics.json, beside the seed's
 * published number and the leakage-free split, with the run's profile, dataset and wall time.
 */
import * as fs from 'fs';
import * as path from 'path';
import { RESULTS_DIR, resultsDir } from '../paths';
import type { NotebookRun } from './runner';
import { formatNumber, type MetricsFile } from '../notebook/session';

export interface SummaryEntry {
  notebook: string;
  ok: boolean;
  seconds: number;
  error: string | null;
  /** metrics.json of the run, or null when the notebook wrote none (failed early, or has no results). */
  metrics: MetricsFile | null;
}

export interface Summary {
  generatedAt: string;
  profile: string;
  totalSeconds: number;
  entries: SummaryEntry[];
}

/**
 * Reads results/<stem>/metrics.json for each run: null when missing, unreadable, or started
 * before `since` (ms epoch; a file left by an earlier run must not pass for this one).
 */
export function collect(runs: readonly NotebookRun[], opts: { since?: number; resultsRoot?: string } = {}): SummaryEntry[] {
  return runs.map((r) => {
    const stem = path.basename(r.notebook, '.ipynb');
    const file = path.join(opts.resultsRoot ? path.join(opts.resultsRoot, stem) : resultsDir(stem), 'metrics.json');
    let metrics: MetricsFile | null = null;
    try {
      const m = JSON.parse(fs.readFileSync(file, 'utf8')) as MetricsFile;
      if (opts.since === undefined || Date.parse(m.startedAt) >= opts.since - 1000) metrics = m;
    } catch {
      metrics = null;
    }
    return { notebook: stem, ok: r.ok, seconds: r.seconds, error: r.error, metrics };
  });
}

const num = formatNumber;

/** The summary as markdown: a status table, then every closing-table row. */
export function summaryMarkdown(s: Summary): string {
  const lines = [
    '# genre-lab results',
    '',
    `Generated ${s.generatedAt} by \`genre-lab run\` (profile \`${s.profile}\`), ${s.entries.length} notebook(s) in ${s.totalSeconds.toFixed(0)} s.`,
    'Numbers from the `default` or `smoke` profile or the generated dataset are not comparable with the seeds\' published ones:',
    '`default` shows what each notebook teaches, `smoke` that the pipeline runs; the `full` profile on the real dataset reproduces the seeds.',
    '',
    '| notebook | status | seconds | profile | dataset |',
    '| --- | --- | ---: | --- | --- |',
  ];
  for (const e of s.entries) {
    const d = e.metrics?.dataset;
    const data = d ? `${d.generated ? 'generated' : 'real'} ${d.name.toUpperCase()}` : '—';
    lines.push(`| ${e.notebook} | ${e.ok ? 'ok' : 'FAILED'} | ${e.seconds.toFixed(1)} | ${e.metrics?.profile ?? '—'} | ${data} |`);
  }
  lines.push('', '## This run beside the seeds', '', '| notebook | metric | this run | seed (published) | leakage-free split | source |', '| --- | --- | ---: | ---: | ---: | --- |');
  for (const e of s.entries) {
    for (const r of e.metrics?.comparison ?? []) {
      lines.push(`| ${e.notebook} | ${r.metric} | ${num(r.thisRun)} | ${num(r.seed)} | ${num(r.leakageFree)} | ${r.source ?? ''} |`);
    }
  }
  const failed = s.entries.filter((e) => !e.ok);
  if (failed.length) lines.push('', '## Failures', '', ...failed.map((e) => `- **${e.notebook}**: ${(e.error ?? '').split('\n').slice(-3).join(' ').slice(0, 400)}`));
  return lines.join('\n') + '\n';
}

/** Writes results/summary.md and results/summary.json; returns their paths. */
export function writeSummary(
  runs: readonly NotebookRun[],
  opts: { profile: string; totalSeconds: number; since?: number; outDir?: string; resultsRoot?: string },
): { md: string; json: string; summary: Summary } {
  const summary: Summary = { generatedAt: new Date().toISOString(), profile: opts.profile, totalSeconds: opts.totalSeconds, entries: collect(runs, opts) };
  const dir = opts.outDir ?? RESULTS_DIR;
  fs.mkdirSync(dir, { recursive: true });
  const md = path.join(dir, 'summary.md');
  const json = path.join(dir, 'summary.json');
  fs.writeFileSync(md, summaryMarkdown(summary));
  fs.writeFileSync(json, JSON.stringify(summary, null, 2));
  return { md, json, summary };
}
