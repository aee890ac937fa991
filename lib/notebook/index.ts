/**
 * Notebook infrastructure: the configuration cell (`setupNotebook`), the results folder of a run
 * (`NotebookSession`), and the headless runner with its summary (`runner`, `summary`).
 * Notebooks import `./lib/notebook` (the kernel's cwd is the repository root).
 */
export { setupNotebook, NotebookSession, comparisonMarkdown, formatNumber, type ComparisonRow, type MetricsFile, type NotebookOptions } from './session';
export { chooseNotebookDataset, resolveProfile, resolveSeed, PROFILES, type DatasetChoice, type DatasetName, type Profile } from './config';
export { markdown } from './display';
export { audioPlayer, audioHtml, type AudioPlayerOptions } from './audioPlayer';
export { PUBLISHED, published, type Published } from './published';
export { describeData, reportRun, seedRow, leakageFreeAccuracy } from './experiment';
