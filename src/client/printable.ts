/**
 * Text from outside (a server's bytes quoted by a JSON error, a file name, a mirror's status line,
 * a version) reaches a person's terminal. Control characters there are instructions to the
 * terminal, not text: ESC starts an escape sequence (colours, cursor moves, window titles, on some
 * terminals writing to the clipboard), BEL rings, CR rewrites the line, and the C1 block
 * (U+0080–U+009F) holds one-byte forms of the same sequences. Bidirectional overrides and
 * invisible format characters make a name read as another. All of them are shown as escapes
 * instead, in this one place, so no message can carry them.
 */

// C0, DEL, C1, soft hyphen, Arabic letter mark, bidi embeddings/overrides/isolates, zero-width
// and other invisible format characters, line/paragraph separators, BOM, interlinear annotations,
// and lone surrogates (which the `u` flag matches only when unpaired).
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\ud800-\udfff]/gu;

/** `text` with every control and invisible format character written as `\xNN` or `\uNNNN`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n < 0x100 ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
