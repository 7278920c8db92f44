// Typed engine errors. They cross the worker boundary as plain `{name, code, message}` records (never
// stringified blobs) and become `EngineError`s again on the other side, so callers branch on `code`.

export type ErrorCode =
  | 'bad-request' // the message was not a well-formed request
  | 'no-model' // a request that needs a model arrived before a successful load
  | 'not-available' // the engine cannot do this in this build / on this machine
  | 'cancelled' // stopped by a cancel request or the caller's AbortSignal
  | 'disposed' // the engine was disposed while the request waited
  | 'bad-input' // the request was well-formed but its content is unusable (image, boxes, text)
  | 'load-failed' // model files missing, wrong hash, HTTP errors, quota
  | 'backend-failed' // onnxruntime could not create or run a session
  | 'internal'; // anything else: a bug

export interface EngineErrorData {
  name: string;
  code: ErrorCode;
  message: string;
}

export class EngineError extends Error {
  override readonly name = 'EngineError';

  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }

  toData(): EngineErrorData {
    return { name: this.name, code: this.code, message: this.message };
  }

  static fromData(data: EngineErrorData): EngineError {
    return new EngineError(data.code, data.message);
  }
}

/** Any thrown value as wire data: EngineErrors keep their code, aborts become `cancelled`, the rest `internal`. */
export function toErrorData(e: unknown): EngineErrorData {
  if (e instanceof EngineError) return e.toData();
  if (e instanceof Error) {
    const code: ErrorCode = e.name === 'AbortError' ? 'cancelled' : 'internal';
    return { name: e.name, code, message: e.message };
  }
  return { name: 'Error', code: 'internal', message: `non-Error thrown: ${String(e)}` };
}

export function cancelledError(what: string): EngineError {
  return new EngineError('cancelled', `${what} was cancelled`);
}
