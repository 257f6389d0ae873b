/**
 * Errors a sampler chain raises while it runs (as opposed to SamplingConfigError, raised before):
 * a NaN logit, or a stage that left no candidate. The chain does not know the decode step; the
 * decode loop adds it with atStep(), so the message names both the step and the token or stage.
 */

export class SamplingStepError extends Error {
  override readonly name: string = 'SamplingStepError';
  constructor(
    /** The problem without the step, e.g. "token 17's logit is NaN". */
    readonly problem: string,
    /** What to do about it. */
    readonly fix: string,
    /** The decode step (0 = the first generated token), when the caller knows it. */
    readonly step?: number,
  ) {
    super(`${step === undefined ? '' : `At step ${step}: `}${problem}. ${fix}`);
  }

  /** The same error, its message naming the step. */
  atStep(step: number): SamplingStepError {
    return new (this.constructor as new (problem: string, fix: string, step?: number) => SamplingStepError)(this.problem, this.fix, step);
  }
}

/** The model gave a NaN logit: no distribution exists, so no token may be drawn. */
export class NaNLogitError extends SamplingStepError {
  override readonly name = 'NaNLogitError';
  static forToken(token: number): NaNLogitError {
    return new NaNLogitError(
      `token ${token}'s logit is NaN, so the step has no distribution and no token was drawn`,
      'The model produced a broken row: try another backend (samplingLab.device, --device) or check the model files.',
    );
  }
}

/** A stage removed every candidate; drawing "position 0" would be a silent wrong token. */
export class EmptyCandidatesError extends SamplingStepError {
  override readonly name = 'EmptyCandidatesError';
  static after(stage: string): EmptyCandidatesError {
    return new EmptyCandidatesError(`${stage} left no candidate tokens`, 'Loosen that stage (or report a bug: every stage should keep at least one token).');
  }
}
