/**
 * Inline display in tslab. `show(fig)` sends one Jupyter display_data message carrying:
 *  - `application/vnd.plotly.v1+json`: the figure itself; JupyterLab draws it natively when the
 *    `plotly` Python package (its renderer extension) is in the venv, as scripts/setup.js installs;
 *  - `text/html`: a `<div>` + script for every other front end and for nbconvert's HTML export;
 *    plotly.js is INLINED from plotly.js-dist in the first figure of a kernel session (once per
 *    notebook, as plotly's own `init_notebook_mode(connected=False)`), never loaded from a CDN;
 *  - `text/plain`: a one-line description for consoles.
 * tslab's public `display.raw(type, data)` sends one MIME type per message, so this writes the
 * whole bundle through the same kernel hook `display.raw` uses (`tslab/dist/jupyter`).
 */
import { figureDiv, plotlyScript } from './html';
import type { Figure } from './types';

export const PLOTLY_MIME = 'application/vnd.plotly.v1+json';
/** Output metadata key naming a shown figure's saved file (lib/runner/staticOutputs reads it). */
export const FIGURE_META = 'genre-lab/figure';

export interface DisplayData {
  data: Record<string, unknown>;
  metadata: Record<string, unknown>;
  transient?: Record<string, unknown>;
}

type DisplayWriter = (data: DisplayData, update: boolean) => void;

let libraryEmitted = false;

/**
 * The kernel's display hook, or null outside a tslab kernel (plain node, tests, the CLI): the one
 * test of "are we in a notebook" (lib/log.ts asks it too). A kernel has loaded tslab's jupyter
 * module; elsewhere it is not loaded, and not loading it keeps the CLI's start light.
 */
export function kernelWriter(): DisplayWriter | null {
  try {
    const jupyter = require.cache[require.resolve('tslab/dist/jupyter')]?.exports as { lastWriteDisplayData?: DisplayWriter | null } | undefined;
    return jupyter?.lastWriteDisplayData ?? null;
  } catch {
    return null;
  }
}

/** One line for text front ends: the figure's title and what it draws. */
export function describeFigure(fig: Figure): string {
  const t = (fig.layout.title as { text?: string } | undefined)?.text;
  const kinds = [...new Set(fig.data.map((d) => d.type))].join(', ');
  return `<plotly figure${t ? ` "${t}"` : ''}: ${fig.data.length} trace(s) (${kinds})>`;
}

/** The MIME bundle `show` sends; `includeLibrary` inlines plotly.js into its text/html. */
export function mimeBundle(fig: Figure, opts: { includeLibrary: boolean }): DisplayData {
  return {
    data: {
      [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: { responsive: true, displaylogo: false } },
      'text/html': (opts.includeLibrary ? plotlyScript() + '\n' : '') + figureDiv(fig),
      'text/plain': describeFigure(fig),
    },
    metadata: {},
  };
}

/**
 * Displays `fig` inline in the notebook. Outside a kernel it prints the text description (so
 * library code that calls `show` still runs in plain node). `writer` replaces the kernel hook (tests).
 */
export function show(fig: Figure, writer: DisplayWriter | null = kernelWriter(), opts: { savedAs?: string } = {}): void {
  if (!writer) {
    console.log(describeFigure(fig));
    return;
  }
  const bundle = mimeBundle(fig, { includeLibrary: !libraryEmitted });
  // Where the figure was saved (`<stem>.json`): the headless runner puts its static SVG into this output.
  if (opts.savedAs) bundle.metadata[FIGURE_META] = { saved: opts.savedAs };
  writer({ ...bundle, transient: {} }, false);
  libraryEmitted = true;
}

/**
 * Sends any MIME bundle (`{ 'text/markdown': md, 'text/plain': txt }`) as one display_data
 * message; outside a kernel prints its text/plain. Returns whether a kernel took it.
 */
export function displayBundle(data: Record<string, unknown>, writer: DisplayWriter | null = kernelWriter()): boolean {
  if (!writer) {
    const text = data['text/plain'];
    if (typeof text === 'string') console.log(text);
    return false;
  }
  writer({ data, metadata: {}, transient: {} }, false);
  return true;
}

/** Forget that plotly.js was sent (e.g. after the notebook's outputs were cleared). */
export function resetShow(): void {
  libraryEmitted = false;
}
