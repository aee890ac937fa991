/**
 * What every classifier notebook does after `prepareData → buildModel → trainModel → scoreModel`
 * (lib/experiments): the standard figures (training curves; confusion matrix and per-class F1, or
 * per-genre AP and a PR curve), the metrics recorded into metrics.json, and the leakage-free
 * re-run for the closing table. The notebooks call these so their cells stay narrative + calls.
 */
import * as path from 'path';
import type { TF } from '../backend';
import type { PreparedData, Scores } from '../experiments/run';
import { describeRun } from '../experiments/resolve';
import type { History } from '../train/history';
import { barChart, confusionMatrix, trainingCurves } from '../plots/index';
import { formatReport } from '../metrics/classification';
import type { NotebookSession } from './session';
import { published } from './published';
import { markdown } from './display';

/**
 * Two lines about the prepared data: the run's settings (epochs, batch, learning rate, tracks per
 * genre, split, seed: what the notebook's prose talks about), then examples per part, shape, classes.
 */
export function describeData(data: PreparedData): string {
  const c = data.counts.examples;
  return (
    `settings: ${describeRun(data.run)}\n` +
    `${data.config.id} (${data.profile} profile, ${data.split} split, seed ${data.seed}): ` +
    `${c.train} train / ${c.val} validation / ${c.test} test examples of shape [${data.inputShape.map((d) => d ?? 'T').join(', ')}] ` +
    `from ${data.counts.tracks} tracks, ${data.classNames.length} classes` +
    (data.validationFrom === 'test' ? ' (validation numbers come from the test split, as the seed does)' : '') +
    (data.skipped.length ? `; ${data.skipped.length} unreadable track(s) skipped` : '')
  );
}

/**
 * Shows and saves the run's figures under `<prefix>-…` and records its numbers as
 * `metrics[prefix]`: history length, best epoch, test accuracy / report / confusion, or AP.
 */
export function reportRun(nb: NotebookSession, prefix: string, data: PreparedData, history: History, scores: Scores, model?: TF.LayersModel): void {
  nb.saveHistory(`${prefix}-history`, history);
  nb.figure(`${prefix}-training-curves`, trainingCurves(history, { title: `${data.config.id}: training curves (${data.profile})` }));
  const last = history.epochs[history.epochs.length - 1];
  const rec: Record<string, unknown> = {
    experiment: data.config.id,
    split: data.split,
    seed: data.seed,
    counts: data.counts,
    epochsRun: history.epochs.length,
    bestEpoch: history.bestEpoch ?? null,
    trainAccuracy: last?.accuracy ?? null,
    valAccuracy: last?.valAccuracy ?? null,
    testLoss: scores.testLoss,
    params: model ? model.countParams() : undefined,
  };
  if (scores.report && scores.confusion) {
    rec.testAccuracy = scores.accuracy;
    rec.macroF1 = scores.report.macro.f1;
    rec.report = scores.report;
    rec.confusion = scores.confusion;
    console.log(formatReport(scores.report));
    nb.figure(`${prefix}-confusion`, confusionMatrix(scores.confusion, data.classNames, { title: `${data.config.id}: confusion matrix (test, ${data.split} split)` }));
    nb.figure(`${prefix}-f1`, barChart(data.classNames, scores.report.classes.map((c) => c.f1), { title: 'F1 per class (test)', yTitle: 'F1' }));
  }
  if (scores.ap) {
    rec.ap = scores.ap;
    rec.apTta = scores.apTta ?? null;
    rec.apPrior = scores.apPrior ?? null;
    const top = Object.entries(scores.ap.perClass).sort((a, b) => b[1] - a[1]).slice(0, 25);
    nb.figure(`${prefix}-ap-per-genre`, barChart(top.map((t) => t[0]), top.map((t) => t[1]), { title: 'Average precision per genre (best 25, test)', yTitle: 'AP', horizontal: true }));
  }
  nb.record({ [prefix]: rec });
}

/** The closing-table row of `metric` for experiment `id`: this run, the seed's number, the leakage-free one. */
export function publishedRow(id: string, metric: string, thisRun: number | null, leakageFree?: number | null): { metric: string; thisRun: number | null; seed: number | null; leakageFree?: number | null; source: string } {
  const p = published(id, metric);
  return { metric: `${id}: ${metric}`, thisRun, seed: p.value, leakageFree, source: p.source };
}

/**
 * Trains and scores experiment `id` again on the leakage-free track-level split (all segments of
 * a track on one side), quietly, and returns its test accuracy. Results go to
 * `<notebook results>/leakage-free/<id>/`.
 */
export async function leakageFreeAccuracy(nb: NotebookSession, id: string): Promise<number | null> {
  const { runExperiment } = require('../experiments/run') as typeof import('../experiments/run');
  let r: Awaited<ReturnType<typeof runExperiment>>;
  try {
    r = await runExperiment(nb.run(id, { split: 'track' }), { outDir: path.join(nb.outDir, 'leakage-free', id), verbose: false });
  } catch (e) {
    // e.g. a profile keeping too few tracks per genre leaves a part of the track split empty
    const why = (e as Error).message;
    markdown(`No leakage-free re-run of **${id}** with the \`${nb.profile}\` profile: ${why}`);
    nb.record({ [`leakageFree-${id}`]: { skipped: why } });
    return null;
  }
  const acc = (r.metrics as { accuracy?: number }).accuracy ?? null;
  markdown(`Leakage-free re-run of **${id}** (track-level split: every segment of a track on the same side): test accuracy **${acc === null ? '—' : acc.toFixed(3)}**.`);
  r.model.dispose();
  return acc;
}
