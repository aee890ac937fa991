/**
 * LaTeX in exported notebooks, rendered at export time: `$…$` and `$$…$$` in the markdown cells of
 * nbconvert's HTML become MathML (KaTeX, `output: 'mathml'`), which the browser draws natively with
 * no script, no font file and no network request (nbconvert's own template loads MathJax from a CDN,
 * removed by export.ts). Code, preformatted text and every non-markdown output are left alone.
 */
import katex from 'katex';

const MARKDOWN_DIV = /(<div class="jp-RenderedHTMLCommon jp-RenderedMarkdown[^"]*"[^>]*>)([\s\S]*?)(<\/div>)/g;
const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#39;': "'", '&#x27;': "'" };
const decode = (s: string) => s.replace(/&(lt|gt|amp|quot|#39|#x27);/g, (m) => ENTITIES[m]);

/** One formula as MathML (a TeX error shows the source in red instead of throwing). */
export function texToMathml(tex: string, display: boolean): string {
  return katex.renderToString(tex, { output: 'mathml', displayMode: display, throwOnError: false, strict: 'ignore' });
}

/** Formulas in a run of text (no tags inside): `$$…$$` (display) and `$…$` (inline); `\$` is a dollar. */
function renderText(text: string, count: { n: number }): string {
  return text.replace(/\$\$([\s\S]+?)\$\$|(?<![\\$])\$(?!\s)([^$]+?)(?<![\s\\])\$(?!\d)/g, (m, display: string | undefined, inline: string | undefined) => {
    count.n++;
    return texToMathml(decode(display ?? inline!).trim(), display !== undefined);
  });
}

/**
 * Renders the TeX of every markdown cell in nbconvert's HTML to MathML. Returns the page and how
 * many formulas were rendered.
 */
export function renderMarkdownMath(html: string): { html: string; formulas: number } {
  const count = { n: 0 };
  const out = html.replace(MARKDOWN_DIV, (_m, open: string, body: string, close: string) => {
    // Tags and text; text inside <code>/<pre> (inline code, code blocks) is not math.
    let inCode = 0;
    const parts = body.split(/(<[^>]+>)/);
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (p.startsWith('<')) {
        if (/^<(code|pre)\b/i.test(p)) inCode++;
        else if (/^<\/(code|pre)>/i.test(p)) inCode = Math.max(0, inCode - 1);
      } else if (!inCode && p.includes('$')) parts[i] = renderText(p, count);
    }
    return open + parts.join('') + close;
  });
  return { html: out, formulas: count.n };
}
