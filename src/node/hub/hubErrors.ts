/** Errors of the hub client, each with a kind a caller can act on (ask for a token, say "offline") and a message naming the fix. */

export type HubErrorKind = 'auth' | 'forbidden' | 'notFound' | 'network' | 'integrity' | 'write' | 'offline' | 'http';

export class HubError extends Error {
  override readonly name = 'HubError';
  constructor(
    readonly kind: HubErrorKind,
    message: string,
    /** The repository, when the error is about one. */
    readonly repo?: string,
  ) {
    super(message);
  }

  /** An HTTP error status as a HubError; `what` names the repository or file. The hub names the cause in X-Error-Code. */
  static fromStatus(status: number, errorCode: string | null, what: string, repo?: string, endpoint?: string): HubError {
    const page = endpoint && repo ? `${endpoint}/${repo}` : 'the model page';
    if (status === 401) {
      return new HubError(
        'auth',
        `${what} needs a Hugging Face token${errorCode === 'GatedRepo' ? ' (the repository is gated)' : ''}. Set HF_TOKEN or run "Sampling Lab: Set Hugging Face Token…", and accept the model's terms on ${page}.`,
        repo,
      );
    }
    if (status === 403) return new HubError('forbidden', `Your token was not granted access to ${what}. Request access on ${page}, or use a token of an account that has it.`, repo);
    if (status === 404) {
      const text =
        errorCode === 'RevisionNotFound'
          ? `${what}: no such revision.`
          : errorCode === 'EntryNotFound'
            ? `${what}: no such file in the repository.`
            : `${what}: no such repository (or it is private: set HF_TOKEN).`;
      return new HubError('notFound', `${text} Check the id and revision (owner/name@revision).`, repo);
    }
    return new HubError('http', `${what}: the hub answered HTTP ${status}${errorCode ? ` (${errorCode})` : ''}.`, repo);
  }
}
