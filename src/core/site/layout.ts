/**
 * The page shell (docs/site.md "How it is built"): plain HTML and CSS, no script, a
 * Content-Security-Policy that lets nothing load from outside the publish root, an empty icon so
 * the browser asks for no favicon, landmarks, light and dark colours with AA contrast.
 */
import { html, Html } from './html.js';

/** The policy of the spec, to the letter: styles inline or from the publish root, images likewise or data:. */
export const CSP = "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; form-action 'none'";

const CSS = `
:root{color-scheme:light dark;--bg:#fbfaf8;--fg:#1d1b19;--muted:#5b564f;--card:#fff;--line:#d9d4cc;--accent:#b34700;--accent-bg:#fff1e6;--good:#1f7a3a;--bad:#b3261e;--warn-bg:#fff4d6;--warn:#6b4a00;--bar:#e8e3db;--code:#f3f0ea}
@media (prefers-color-scheme:dark){:root{--bg:#161412;--fg:#ece8e2;--muted:#b5aea4;--card:#201d1a;--line:#3a3530;--accent:#ff9a4d;--accent-bg:#33230f;--good:#5fd38a;--bad:#ff8a80;--warn-bg:#3a2e0c;--warn:#ffd978;--bar:#3a3530;--code:#2a2622}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
a{color:var(--accent)}
a:focus-visible{outline:3px solid var(--accent);outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:var(--card);padding:.5rem}
header,main,footer{max-width:72rem;margin:0 auto;padding:1rem 1.25rem}
header{border-bottom:4px solid var(--accent)}
header p{margin:.25rem 0;color:var(--muted)}
h1{margin:.25rem 0;font-size:1.9rem}h1 span{color:var(--accent)}
h2{margin:2rem 0 .75rem;font-size:1.35rem}h3{margin:0 0 .5rem;font-size:1.1rem}section h3{margin-top:1.4rem}
.cards{display:grid;gap:1rem;grid-template-columns:repeat(auto-fill,minmax(20rem,1fr))}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:1rem 1.1rem}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem .9rem;margin:.5rem 0 0}
.card dt{color:var(--muted)}.card dd{margin:0;min-width:0;overflow-wrap:anywhere}
.big{font-size:1.5rem;font-weight:700}
.bar{display:block;height:.6rem;background:var(--bar);border-radius:99px;overflow:hidden;margin-top:.2rem}
.bar>span{display:block;height:100%;background:var(--accent)}
.warn{display:inline-block;background:var(--warn-bg);color:var(--warn);border-radius:6px;padding:0 .4rem;font-weight:600}
.ok{color:var(--good);font-weight:600}.bad{color:var(--bad);font-weight:600}
.award{background:var(--accent-bg);border-radius:10px;padding:.75rem 1rem;margin:.5rem 0}
.award strong{color:var(--accent)}
ul.plain{list-style:none;padding:0;margin:0}ul.plain li{padding:.35rem 0;border-bottom:1px solid var(--line)}
.meta{color:var(--muted);font-size:.9rem}
.table{overflow-x:auto}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}caption{text-align:left;padding:.25rem 0}
code,pre{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,monospace;font-size:.85rem;background:var(--code);border-radius:4px}
code{padding:.05rem .3rem;overflow-wrap:anywhere}
pre{padding:.6rem .8rem;overflow-x:auto;white-space:pre-wrap;word-break:break-all}
.chart{width:100%;max-width:40rem;height:auto;display:block;margin:.5rem 0}
.chart .frame{fill:none;stroke:var(--line)}.chart .axis,.chart .grid{stroke:var(--line)}
.chart .grid{stroke-dasharray:4 4}
.chart text{fill:var(--muted);font-size:12px}.chart .empty{font-size:14px}
.chart .good{fill:var(--good)}.chart .bad{fill:var(--bad)}.chart .unknown{fill:var(--muted)}
footer{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);margin-top:2rem}
@media (max-width:40rem){h1{font-size:1.5rem}.cards{grid-template-columns:1fr}th,td{padding:.35rem .4rem}}
`;

export function renderPage(opts: { title: string; heading: Html; lead: Html; nav: Html; main: Html; footer: Html }): string {
  return `<!doctype html>\n${
    html`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta http-equiv="Content-Security-Policy" content="${CSP}" />
        <meta name="color-scheme" content="light dark" />
        <link rel="icon" href="data:," />
        <title>${opts.title}</title>
        <style>
          ${new Html(CSS)}
        </style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to the content</a>
        <header>
          <nav aria-label="Pages">${opts.nav}</nav>
          <h1>${opts.heading}</h1>
          <p>${opts.lead}</p>
        </header>
        <main id="main">${opts.main}</main>
        <footer>${opts.footer}</footer>
      </body>
    </html> `.text
  }`;
}
