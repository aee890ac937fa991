/**
 * The kernel-side API the notebooks call: the configuration cell (`setupNotebook`), the results
 * folder of a run (`NotebookSession`, `nb.run(id)` for an experiment's resolved run), displays and
 * the standard reports. Notebooks import `./lib/notebook` (the kernel's cwd is the repository
 * root). The headless runner that executes notebooks from outside is lib/runner.
 */
export { setupNotebook, NotebookSession, comparisonMarkdown, formatNumber, type ComparisonRow, type MetricsFile, type NotebookOptions } from './session';
export { chooseNotebookDataset, resolveProfile, resolveSeed, PROFILES, type DatasetChoice, type DatasetName, type Profile } from './config';
export { markdown } from './display';
export { audioPlayer, audioHtml, type AudioPlayerOptions } from './audioPlayer';
export { PUBLISHED, published, type Published } from './published';
export { describeData, reportRun, publishedRow, leakageFreeAccuracy } from './experiment';
