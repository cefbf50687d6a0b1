/**
 * The one way the release page puts text into HTML (docs/site.md "Escaping"): every value that
 * goes through the `html` template is escaped unless it is already `Html` built by this template,
 * so an issue title, a user name, a reason or a signature from outside can never become markup.
 */

/** Markup built by `html` (or `attrUrl`): the only values inserted unescaped. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

const SPECIAL = /[&<>"']/;

export function escapeHtml(s: string): string {
  return SPECIAL.test(s) ? s.replace(/[&<>"']/g, (c) => ENTITIES[c]!) : s;
}

/** Values: `Html` as is, arrays joined, null/undefined/false as nothing, anything else escaped as text. */
function piece(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(piece).join('');
  if (v === null || v === undefined || v === false) return '';
  if (typeof v === 'number') return String(v); // digits, '.', '-', 'e', 'Infinity', 'NaN': nothing to escape
  return escapeHtml(String(v));
}

export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += piece(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** A path segment a link may carry: a version, a file name, `index.html`; never `..`, a scheme or a slash. */
const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._+-]{0,254}$/;

/**
 * A link to a file inside the publish root, relative to the page: only from validated segments
 * (docs/site.md "Links"), `up` folders first. Null when a segment is not one: the caller shows
 * the text without a link.
 */
export function relativeHref(up: number, ...segments: string[]): Html | null {
  if (!segments.length || !segments.every((s) => SEGMENT.test(s) && !s.includes('..'))) return null;
  return new Html(escapeHtml('../'.repeat(up) + segments.map(encodeURIComponent).join('/')));
}

/** An issue of the configured repository (`issues.repo`, "owner/name", validated by the config schema). */
export function issueHref(repo: string | null, id: unknown): Html | null {
  if (!repo || !/^[\w.-]+\/[\w.-]+$/.test(repo) || typeof id !== 'number' || !Number.isSafeInteger(id) || id <= 0) return null;
  return new Html(escapeHtml(`https://github.com/${repo}/issues/${id}`));
}

/** `<a>` when there is a link, plain text otherwise. */
export function link(href: Html | null, text: unknown): Html {
  return href ? html`<a href="${href}">${text}</a>` : html`${text}`;
}

/** A table with column headers (screen readers announce them with each cell), scrolling sideways on a phone. */
export function table(headers: readonly string[], rows: readonly Html[], caption?: string): Html {
  return html`<div class="table">
    <table>
      ${
        caption
          ? html`<caption class="meta">
              ${caption}
            </caption>`
          : ''
      }
      <thead>
        <tr>
          ${headers.map((h) => html`<th scope="col">${h}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${rows}
      </tbody>
    </table>
  </div>`;
}
