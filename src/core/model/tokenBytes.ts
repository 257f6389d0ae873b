/**
 * A token's raw bytes and how a token that holds only part of a UTF-8 character is written.
 * Byte-level BPE (GPT-2, Qwen, Llama 3) and SentencePiece's byte fallback (Llama 2, Gemma) can
 * split one character across tokens; decoded alone such a token is "�", which says nothing. It is
 * written instead as its bytes in SentencePiece's own notation (`<0xE4><0xBD>`), any whole
 * characters around them as text, so " 你" split as ` \xE4\xBD` + `\xA0` shows ` <0xE4><0xBD>` and
 * `<0xA0>`. The bytes come from the vocabulary, never from the "�".
 */

/** One byte of a split character as it is shown: `<0xE4>` (upper-case hex, as SentencePiece names its byte tokens). */
export const SPLIT_BYTE = /<0x[0-9A-F]{2}>/;

let byteOfChar: Map<string, number> | undefined;

/**
 * GPT-2's bytes_to_unicode table, inverted: each byte is written in a vocabulary as one printable
 * character (printable Latin-1 bytes as themselves, the other 68 as U+0100 onwards, in byte order).
 * Source: openai/gpt-2 src/encoder.py bytes_to_unicode, which tokenizers' ByteLevel uses too.
 */
function byteLevelTable(): Map<string, number> {
  if (byteOfChar) return byteOfChar;
  const table = new Map<string, number>();
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table.set(String.fromCharCode(printable ? b : 256 + extra++), b);
  }
  byteOfChar = table;
  return table;
}

/** The bytes a byte-level BPE vocabulary entry stands for (`ĠâĢ` → 20 E2 80); undefined if a character is not in the table. */
export function byteLevelBytes(piece: string): number[] | undefined {
  const table = byteLevelTable();
  const bytes: number[] = [];
  for (const c of piece) {
    const b = table.get(c);
    if (b === undefined) return undefined;
    bytes.push(b);
  }
  return bytes;
}

/** The byte of a SentencePiece byte-fallback token (`<0xE4>` → E4); undefined for any other piece. */
export function byteFallbackByte(piece: string): number | undefined {
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  return m ? Number.parseInt(m[1]!, 16) : undefined;
}

/** Length of the well-formed UTF-8 sequence at `bytes[i]` (RFC 3629 table 3-7), or 0 when there is none. */
function sequenceLength(bytes: readonly number[], i: number): number {
  const b = bytes[i]!;
  if (b < 0x80) return 1;
  const cont = (j: number, lo = 0x80, hi = 0xbf) => j < bytes.length && bytes[j]! >= lo && bytes[j]! <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    const [lo, hi] = b === 0xe0 ? [0xa0, 0xbf] : b === 0xed ? [0x80, 0x9f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    const [lo, hi] = b === 0xf0 ? [0x90, 0xbf] : b === 0xf4 ? [0x80, 0x8f] : [0x80, 0xbf];
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** Whether `bytes` are whole UTF-8: every character complete, so the token's decoded text is its text. */
export function isWholeUtf8(bytes: readonly number[]): boolean {
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) return false;
    i += n;
  }
  return true;
}

function codePoint(bytes: readonly number[], i: number, n: number): number {
  if (n === 1) return bytes[i]!;
  let cp = bytes[i]! & (0xff >> (n + 1));
  for (let k = 1; k < n; k++) cp = (cp << 6) | (bytes[i + k]! & 0x3f);
  return cp;
}

/** `bytes` as shown: whole characters as text, the bytes of a split character as `<0xNN>` each. */
export function bytesText(bytes: readonly number[]): string {
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const n = sequenceLength(bytes, i);
    if (n === 0) {
      out += `<0x${bytes[i]!.toString(16).toUpperCase().padStart(2, '0')}>`;
      i += 1;
    } else {
      out += String.fromCodePoint(codePoint(bytes, i, n));
      i += n;
    }
  }
  return out;
}

/**
 * A token's text as shown: its decoded text, unless that holds a "�" its bytes do not (a split
 * character), then its bytes written by bytesText. `bytes` undefined (not known): the decoded text.
 */
export function tokenDisplayText(decoded: string, bytes: readonly number[] | undefined): string {
  if (!decoded.includes('\uFFFD') || bytes === undefined || isWholeUtf8(bytes)) return decoded;
  return bytesText(bytes);
}

/**
 * The text a run of shown tokens stands for, joined: each `<0xNN>` (a byte of a split character,
 * as bytesText writes it) is that byte again, so a character split across tokens is whole. A
 * continuation from a card's text sends this, never the shown `<0xNN>` notation.
 */
export function shownTokensText(texts: readonly string[]): string {
  const encoder = new TextEncoder();
  const bytes: number[] = [];
  for (const text of texts) {
    for (const part of text.split(/(<0x[0-9A-F]{2}>)/)) {
      if (SPLIT_BYTE.test(part) && part.length === 6) bytes.push(Number.parseInt(part.slice(3, 5), 16));
      else if (part) bytes.push(...encoder.encode(part));
    }
  }
  return new TextDecoder().decode(Uint8Array.from(bytes));
}
