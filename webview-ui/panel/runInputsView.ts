/**
 * The toolbar's per-run fields: "Max tokens" (blank: `samplingLab.maxNewTokens`, shown as the
 * placeholder) and "Stop at" (stop strings separated by commas or line breaks, escapes such as
 * `\n` understood). Each field is checked as it is typed by the parser the CLI uses; a value no
 * run can take is refused at the field, naming the range, and the host is told so the next
 * comparison is refused too rather than run with something else. The text survives a reload.
 */
import { MAX_NEW_TOKENS_RANGE, parseMaxTokens, parseStopList } from '../../src/core/decode/runInputs';
import type { RunInputsAction } from '../../src/protocol/messages';

/** The fields' text as typed, kept in the webview state. */
export interface RunInputsText {
  maxTokens: string;
  stopAt: string;
}

export class RunInputsView {
  constructor(
    private readonly maxTokens: HTMLInputElement,
    private readonly stopAt: HTMLTextAreaElement,
    private readonly error: HTMLElement,
    private readonly send: (inputs: RunInputsAction) => void,
    private readonly persist: (text: RunInputsText) => void,
    saved: RunInputsText | undefined,
  ) {
    const { min, max } = MAX_NEW_TOKENS_RANGE;
    this.maxTokens.title = `Tokens each completion of the next comparison may generate, ${min} to ${max}. Blank: samplingLab.maxNewTokens.`;
    this.stopAt.title = 'Completions of the next comparison end where one of these appears. Separate them with commas or new lines; write \\n for a line break, \\, for a comma.';
    this.maxTokens.value = saved?.maxTokens ?? '';
    this.stopAt.value = saved?.stopAt ?? '';
    for (const field of [this.maxTokens, this.stopAt]) field.addEventListener('input', () => this.changed());
    this.check();
  }

  /** The setting's value, shown while the field is blank. */
  showDefault(maxNewTokens: number): void {
    this.maxTokens.placeholder = String(maxNewTokens);
  }

  /** Tells the host what the fields hold now (the panel starts, or a field changed). */
  announce(): void {
    this.send(this.check());
  }

  private changed(): void {
    this.persist({ maxTokens: this.maxTokens.value, stopAt: this.stopAt.value });
    this.announce();
  }

  /** Checks both fields, marks the one that is wrong, and returns what the host should keep. */
  private check(): RunInputsAction {
    const problems: string[] = [];
    const read = <T>(field: HTMLElement, parse: () => T): T | undefined => {
      try {
        const value = parse();
        field.setAttribute('aria-invalid', 'false');
        return value;
      } catch (e) {
        field.setAttribute('aria-invalid', 'true');
        problems.push((e as Error).message);
        return undefined;
      }
    };
    const maxNewTokens = read(this.maxTokens, () => parseMaxTokens(this.maxTokens.value));
    const stopStrings = read(this.stopAt, () => parseStopList(this.stopAt.value)) ?? [];
    this.error.textContent = problems.join(' ');
    this.error.hidden = problems.length === 0;
    const inputs: RunInputsAction = { type: 'runInputs', stopStrings };
    if (maxNewTokens !== undefined) inputs.maxNewTokens = maxNewTokens;
    if (problems.length > 0) inputs.invalid = `The panel's run fields: ${problems.join(' ')}`;
    return inputs;
  }
}
