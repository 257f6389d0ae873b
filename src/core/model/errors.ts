/** Errors a user can act on: each names what is wrong and how to fix it. */

export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';
  constructor(
    message: string,
    /** The file at fault, when known. */
    readonly file?: string,
  ) {
    super(message);
  }

  static from(modelId: string, cause: unknown): ModelLoadError {
    if (cause instanceof ModelLoadError) return cause;
    const text = cause instanceof Error ? cause.message : String(cause);
    // transformers.js says "Could not locate file: <url>" for a missing file.
    const missing = /Could not locate file: "?([^"\s]+)"?/.exec(text);
    if (missing) {
      return new ModelLoadError(
        `Model "${modelId}" is missing ${missing[1]}. Pick a folder that holds config.json, tokenizer.json and onnx/model.onnx, or rebuild the bundled model (tools/model/build.sh).`,
        missing[1],
      );
    }
    return new ModelLoadError(`Could not load model "${modelId}": ${text}`);
  }
}

export class PromptError extends Error {
  override readonly name = 'PromptError';
}
