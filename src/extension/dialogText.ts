/**
 * Text for a modal dialog's detail: the dialog collapses leading spaces, so JSON shown there lost
 * its indentation; indentation becomes non-breaking spaces, which it keeps.
 */
export function dialogText(text: string, maxChars = 2_000): string {
  const cut = text.length > maxChars ? `${text.slice(0, maxChars)}\n…` : text;
  return cut.replace(/^ +/gm, (spaces) => '\u00a0'.repeat(spaces.length));
}
