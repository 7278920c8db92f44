// What the model screen says when converting from the Hub or a picked folder fails: the worker's `{type:'error', name, message}`
// (src/protocol/convert.ts; `name` is the converter's error class, converter/read/hub-errors.ts,
// converter/read/config.ts, converter/report.ts) as a title, a message with what to do, and whether the
// conversion can continue from where it stopped (converter/resume.ts keeps every finished graph).

export interface ConvertFailure {
  title: string;
  message: string;
  /** What was converted is kept and Resume continues after the last finished graph. */
  resumable: boolean;
  /** Gated or private: the access token field is what helps. */
  needsToken: boolean;
}

/** The converter's errors that mean the repository (or folder) holds something other than a VLM-FO1 checkpoint. */
const NOT_FO1 = new Set(['ConfigError', 'UnknownTensorError', 'SafetensorsError', 'TokenizerFilesError']);

/** `repo`: the repository, or the picked folder's name (hub-convert.ts sourceName). */
export function convertFailure(e: { name: string; message: string }, repo: string): ConvertFailure {
  const plain = { resumable: false, needsToken: false };
  if (e.name === 'RepoNotFoundError') return { ...plain, title: `Repository not found: ${repo}`, message: `${e.message}. Check the repository name (owner/name) and the Hub address.` };
  if (e.name === 'RepoAccessError') {
    return { ...plain, needsToken: true, title: `${repo} needs an access token`, message: `${e.message}. Accept the model's licence on its Hub page, then enter an access token (read access) in "Access token (optional)" and try again; the token is not stored.` };
  }
  if (NOT_FO1.has(e.name)) return { ...plain, title: `Not a VLM-FO1 checkpoint: ${repo}`, message: e.message };
  if (e.name === 'ConnectionLostError') {
    return { ...plain, resumable: true, title: 'Connection lost: the conversion is paused', message: `${e.message}. What was converted is kept in this browser; Resume continues after the last finished graph.` };
  }
  if (e.name === 'QuotaExceededError') {
    return { ...plain, resumable: true, title: "This site's storage is full", message: `${e.message}. What was converted is kept; free space (delete a stored model), then Resume.` };
  }
  if (e.name.startsWith('Hub')) return { ...plain, title: `Could not read ${repo} from the Hub`, message: e.message };
  return { ...plain, title: `Converting ${repo} failed`, message: `${e.name}: ${e.message}` };
}
