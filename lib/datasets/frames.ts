/**
 * danfojs, loaded on first use. danfojs-node pulls in @tensorflow/tfjs-node, so lib/backend.ts is
 * loaded first (it is the one place that picks and configures the TensorFlow backend, and silences
 * TF's C++ INFO lines) and code paths that never read a CSV never pay for TensorFlow.
 */
import type * as Danfo from 'danfojs-node';
// Type-only: keeps backend.ts in the compiled program (tslab only emits files the cell's imports
// reach) without loading TensorFlow until a CSV is read.
import type * as Backend from '../backend';

export type DataFrame = Danfo.DataFrame;

let danfo: typeof Danfo | null = null;

export function loadDanfo(): typeof Danfo {
  if (!danfo) {
    require('../backend') as typeof Backend; // selects and configures the TensorFlow backend
    danfo = require('danfojs-node') as typeof Danfo;
  }
  return danfo;
}

/**
 * Reads a CSV with danfojs. `header: false` gives columns '0', '1', … and every row as data
 * (used for FMA's multi-row header). All values stay strings unless `dynamicTyping` is set.
 */
export async function readCsvFrame(file: string, opts: { header?: boolean; dynamicTyping?: boolean } = {}): Promise<DataFrame> {
  const dfd = loadDanfo();
  try {
    const config = { header: opts.header ?? true, dynamicTyping: opts.dynamicTyping ?? false, skipEmptyLines: true };
    return (await dfd.readCSV(file, config as unknown as Parameters<typeof dfd.readCSV>[1])) as DataFrame;
  } catch (e) {
    throw new Error(`${file}: cannot read CSV: ${(e as Error).message}`);
  }
}
