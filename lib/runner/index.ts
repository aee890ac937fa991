/**
 * The headless runner (outside the kernel): executes notebooks on the tslab kernel through
 * nbclient (`runner`), writes results/summary.md (`summary`), the static copies (`staticOutputs`)
 * and HTML exports with rendered math (`export`, `math`). `genre-lab run` drives it. The
 * kernel-side API the notebooks call is lib/notebook.
 */
export { listNotebooks, runNotebook, runNotebookAsync, selectNotebooks, type NotebookRun } from './runner';
export { writeSummary } from './summary';
export { exportHtml } from './export';
export { staticOutputs } from './staticOutputs';
export { renderMarkdownMath } from './math';
