/**
 * The shape every CausalLM.forward() checks before it runs: a batch of rows, each at least one
 * token and all the same length. One check for every adapter (the
 * transformers.js and llama.cpp adapters each had their own copy).
 */
export interface ForwardShape {
  batch: number;
  newLength: number;
}

export function forwardShape(ids: readonly (readonly number[])[]): ForwardShape {
  const batch = ids.length;
  const newLength = ids[0]?.length ?? 0;
  if (batch === 0 || newLength === 0) throw new Error('forward needs at least one token in each row');
  if (ids.some((r) => r.length !== newLength)) throw new Error('all rows of a forward pass must have the same length');
  return { batch, newLength };
}
