/**
 * What a user sees, in a real browser (Chromium driven by playwright-core, Debian's `chromium`, no
 * browser download; installed with apt-get when missing and root, see ensureChromium):
 * - `npm run lab` (scripts/lab.js) opens on notebooks/ with lib/, results/ and data/ one click up in
 *   the file browser, and no "Jupyter news" prompt;
 * - while a training cell runs after a finished one (Run All), the status bar says Busy (tslab
 *   1.0.22 said Idle there: scripts/tslab-preload.js), and Idle once all cells are done;
 * - an exported notebook (lib/runner/export.ts) shows its formulas rendered, with no request
 *   leaving the page.
 */
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { spawn, type ChildProcess } from 'child_process';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ensureChromium } from '../lib/plots/chromium';
import { exportHtml } from '../lib/runner/export';
import { renderMarkdownMath } from '../lib/runner/math';
import { ROOT } from '../lib/paths';

/** What the page-side callbacks use of the browser's globals (tsconfig has no DOM lib). */
interface PageGlobals {
  document: { body: { innerText: string } };
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });

async function until<T>(what: string, f: () => Promise<T | null | undefined | false>, timeoutMs: number, everyMs = 250): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

test('renderMarkdownMath: $…$ and $$…$$ in markdown cells become MathML; code, escaped dollars and other outputs stay', () => {
  const cell = (body: string) => `<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown jp-MarkdownOutput" data-mime-type="text/markdown">${body}</div>`;
  const html =
    cell('<p>wave $y(t) = A \\sin(2\\pi f t)$ and $a &lt; b$, code <code>${x} $y$</code></p>\n<p>$$E = \\frac{1}{2}(p - y)^2$$</p>') +
    '<div class="jp-OutputArea-output"><pre>$not math$</pre></div>' +
    cell('<p>costs 5 \\$ only</p>');
  const r = renderMarkdownMath(html);
  assert.equal(r.formulas, 3);
  assert.equal((r.html.match(/<math /g) ?? []).length, 3);
  assert.match(r.html, /<math [^>]*display="block"/, '$$…$$ is display math');
  assert.match(r.html, /<mo>&lt;<\/mo>/, 'entities decoded before KaTeX, re-escaped in MathML');
  assert.ok(r.html.includes('<code>${x} $y$</code>'), 'inline code untouched');
  assert.ok(r.html.includes('<pre>$not math$</pre>'), 'outputs untouched');
  assert.ok(r.html.includes('costs 5 \\$ only'));
});

test('JupyterLab in Chromium: lib/ and results/ in the file browser, Busy while a training cell runs, exported formulas render offline', { timeout: 300_000 }, async () => {
  const executablePath = ensureChromium();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'genre-lab-lab-'));
  // The notebook is run in a copy under data/ (git-ignored, inside the server's root).
  const work = fs.mkdtempSync(path.join(ROOT, 'data', 'lab-test-')) // not hidden: Jupyter serves no hidden files;
  fs.copyFileSync(path.join(ROOT, 'test', 'notebooks', 'lab_status.ipynb'), path.join(work, 'lab_status.ipynb'));
  const port = await freePort();
  const token = crypto.randomBytes(16).toString('hex');
  let lab: ChildProcess | null = null;
  let browser: Browser | null = null;
  let log = '';
  try {
    lab = spawn(
      process.execPath,
      [path.join(ROOT, 'scripts', 'lab.js'), '--no-browser', `--ServerApp.port=${port}`, '--ServerApp.port_retries=0', '--ServerApp.ip=127.0.0.1', `--IdentityProvider.token=${token}`, '--LabApp.expose_app_in_browser=True'],
      {
        cwd: ROOT,
        // The user's own Jupyter settings, workspaces and runtime files stay out of it.
        env: { ...process.env, JUPYTERLAB_SETTINGS_DIR: path.join(tmp, 'settings'), JUPYTERLAB_WORKSPACES_DIR: path.join(tmp, 'workspaces'), JUPYTER_RUNTIME_DIR: path.join(tmp, 'runtime') },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    lab.stdout!.on('data', (d) => (log += d));
    lab.stderr!.on('data', (d) => (log += d));
    const base = `http://127.0.0.1:${port}`;
    await until('JupyterLab to listen', async () => (await fetch(`${base}/api/status?token=${token}`).catch(() => null))?.ok, 90_000, 500).catch((e) => {
      throw new Error(`${e.message}\n${log.slice(-3000)}`);
    });

    browser = await chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    const page: Page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const listing = () => page.$$eval('.jp-DirListing-item .jp-DirListing-itemText', (els) => els.map((e) => (e.textContent ?? '').trim()));

    // 1. Opens on notebooks/; lib/, results/, data/ are one level up, in the same file browser.
    await page.goto(`${base}/?token=${token}`);
    await until('the notebooks folder in the file browser', async () => (await listing()).some((n) => n.startsWith('01-neuron')), 90_000);
    assert.match(page.url(), /\/lab\/tree\/notebooks/);
    await page.goto(`${base}/lab/tree?token=${token}`);
    const top = await until('the repository root in the file browser', async () => ((l) => (l.includes('lib') ? l : null))(await listing()), 60_000);
    for (const d of ['lib', 'results', 'data', 'notebooks']) assert.ok(top.includes(d), `${d}/ in the file browser: ${top.join(', ')}`);

    // 2. Run All on a notebook whose second cell trains: Busy while it runs, Idle at the end.
    await page.goto(`${base}/lab/tree/${path.relative(ROOT, work)}/lab_status.ipynb?token=${token}`);
    const status = () => page.$$eval('.jp-StatusBar-TextItem', (els) => els.map((e) => (e.textContent ?? '').trim()).find((t) => /\| (Idle|Busy|Starting|Connecting|Unknown|Restarting)/.test(t)) ?? '');
    await until('the kernel to be idle', async () => /TypeScript \| Idle/.test(await status()), 90_000).catch(async (e) => {
      const bar = await page.$$eval('.jp-StatusBar-Widget', (els) => els.map((el) => (el.textContent ?? '').trim()));
      await page.screenshot({ path: path.join(os.tmpdir(), 'genre-lab-lab-failure.png') });
      throw new Error(`${e.message}; status bar: ${JSON.stringify(bar)} (screenshot: ${path.join(os.tmpdir(), 'genre-lab-lab-failure.png')})`);
    });
    // Not awaited in the page: the command's promise resolves only when every cell has run.
    await page.evaluate(() => {
      void (globalThis as unknown as { jupyterapp: { commands: { execute(id: string): Promise<unknown> } } }).jupyterapp.commands.execute('notebook:run-all-cells');
    });
    const prompts = () => page.$$eval('.jp-CodeCell .jp-InputPrompt', (els) => els.map((e) => (e.textContent ?? '').trim()));
    const outputs = () => page.$$eval('.jp-CodeCell', (els) => els.map((e) => e.querySelector('.jp-OutputArea')?.textContent ?? ''));
    const t0 = Date.now();
    const timeline: string[] = [];
    await until('the first cell to finish and training to print', async () => {
      const [p, o, st] = [await prompts(), await outputs(), await status()];
      timeline.push(`${Date.now() - t0} ${JSON.stringify(p)} ${st} ${o.map((x) => x.length)}`);
      return /\[1\]/.test(p[0]) && /epoch 2 /.test(o[1]);
    }, 120_000);
    const seen: string[] = [];
    let last: string[] = [];
    for (let i = 0; i < 8; i++) {
      const [s, p] = [await status(), (last = await prompts())];
      if (!/\[\*\]/.test(p[1])) break; // training done already
      seen.push(s);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(seen.length >= 4, `watched the training cell run (${seen.length} samples; prompts ${JSON.stringify(last)})`);
    assert.deepEqual([...new Set(seen)], ['TypeScript | Busy'], `status bar while cells 2-3 are queued or running: ${seen.join(', ')}\n(ms, prompts, status, output lengths):\n${timeline.slice(-8).join('\n')}`);
    await until('all cells done and Idle', async () => {
      const [p, s] = [await prompts(), await status()];
      return /\[3\]/.test(p[2]) && /TypeScript \| Idle/.test(s);
    }, 120_000);
    assert.match((await outputs())[2], /after training/);
    const text = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
    assert.doesNotMatch(text, /Jupyter news/i, 'no news prompt');

    // 3. The exported page: rendered formulas, nothing fetched from outside.
    const x = exportHtml(path.join(ROOT, 'notebooks', '03-backprop-gradient-descent.ipynb'), path.join(tmp, 'export', '03.html'));
    assert.ok(x.formulas >= 10, `formulas rendered at export: ${x.formulas}`);
    const external: string[] = [];
    const offline = await browser.newPage();
    await offline.route('**/*', (route) => {
      const u = route.request().url();
      if (u.startsWith('file:') || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
      external.push(u);
      return route.abort();
    });
    await offline.goto(`file://${x.html}`, { waitUntil: 'load' });
    const math = await offline.$$eval('math', (els) => els.map((e) => { const r = e.getBoundingClientRect(); return { w: r.width, h: r.height, block: e.getAttribute('display') === 'block' }; }));
    assert.equal(math.length, x.formulas);
    assert.ok(math.every((m) => m.w > 0 && m.h > 0), 'every formula has a size');
    const shown = await offline.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
    assert.doesNotMatch(shown, /\\frac|\\partial|\$\$/, 'no TeX source on the page');
    assert.deepEqual(external, [], 'no request left the page');
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (lab && lab.exitCode === null) {
      lab.kill('SIGTERM');
      await new Promise((r) => { lab!.once('exit', r); setTimeout(r, 10_000); });
    }
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(tmp, { recursive: true, force: true });
  }
});
