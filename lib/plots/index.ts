/**
 * Plotly figures for notebooks and results/: one builder per figure kind (each returns a plain
 * `{ data, layout }` figure), `show` for inline display in tslab, `saveFigure` / `renderStatic`
 * for files. Import from './lib/plots'.
 */
export type { Figure, PlotMatrix, Trace } from './types';
export { waveform, spectrum, heatmap, type HeatmapKind, type HeatmapOptions, type WaveformOptions, type SpectrumOptions } from './audio';
export { trainingCurves, historySeries, lineChart, type SeriesHistory, type EpochHistory, type LineSeries, type LineChartOptions, type TrainingCurvesOptions } from './training';
export { confusionMatrix, prCurve, barChart, table, type PRCurve, type ConfusionOptions, type BarOptions } from './evaluation';
export { show, mimeBundle, describeFigure, resetShow, PLOTLY_MIME } from './show';
export { saveFigure, renderStatic, type SavedFigure, type SaveOptions, type StaticFormat } from './save';
export { pageHtml, figureDiv, plotlyScript, plotlyVersion } from './html';
