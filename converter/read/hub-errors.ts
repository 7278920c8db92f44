// What can go wrong reading a checkpoint from a Hugging Face Hub layout, one class per case so that the CLI
// and the page can say what happened and what to do (give a token, check the name, run again to resume).

export class HubError extends Error {
  override name = 'HubError';
}

/** 404 on the repository or revision: a wrong name, or a private repository seen without a token. */
export class RepoNotFoundError extends HubError {
  override name = 'RepoNotFoundError';
}

/** 401 / 403: gated or private; an access token (accepted licence) is needed. */
export class RepoAccessError extends HubError {
  override name = 'RepoAccessError';
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** A file the listing names is not served (404 on resolve). */
export class HubFileNotFoundError extends HubError {
  override name = 'HubFileNotFoundError';
}

/** The bytes served disagree with the listing (size) or the commit asked for (X-Repo-Commit). */
export class HubFileMismatchError extends HubError {
  override name = 'HubFileMismatchError';
}

/** The connection failed or was cut and the retries ran out; what was converted so far is kept. */
export class ConnectionLostError extends HubError {
  override name = 'ConnectionLostError';
}
