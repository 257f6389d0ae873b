/** What constraint.ts and sequenceConstraint.ts both name (constraint.ts re-exports them). */
import type { SequenceConstraint } from '../decode/decodeBatch';

/** A schema no engine can enforce while decoding; the message names the keywords and where they are. */
export class UnsupportedSchemaError extends Error {
  override readonly name = 'UnsupportedSchemaError';
}

export interface SchemaSequenceConstraint extends SequenceConstraint {
  /** The step at which the budget forced closing, or undefined when the model closed the document itself. */
  readonly closingFromStep: number | undefined;
  /** The step at which the masks left no token (the output ends there, invalid). */
  readonly deadEndAtStep: number | undefined;
  dispose(): void;
}
