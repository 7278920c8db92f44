// Every failure inside the engine as its typed EngineError (engine-error.ts), so the
// worker reports a code the page can act on and the engine stays usable after any of them.
import { EngineError } from './engine-error.ts';
import { ImageError } from './image/rgb-image.ts';
import { LoadError } from './load/folder.ts';
import { BoxError } from './preprocess/boxes.ts';
import { RopeIndexError } from './prompt/mrope.ts';
import { ContextError } from './prompt/budget.ts';
import { PromptError } from './prompt/tasks.ts';
import { TokenizerError } from './prompt/tokenizer.ts';
import { SamplingError } from './decode/sampler.ts';
import { SessionError } from './session.ts';

export function toEngineError(e: unknown): EngineError {
  if (e instanceof EngineError) return e;
  if (e instanceof Error && e.name === 'AbortError') return new EngineError('cancelled', e.message);
  if (e instanceof ImageError) return new EngineError('bad-input', `image: ${e.message}`);
  if (e instanceof BoxError) return new EngineError('bad-input', `boxes: ${e.message}`);
  if (e instanceof PromptError || e instanceof TokenizerError || e instanceof RopeIndexError || e instanceof SamplingError || e instanceof ContextError) return new EngineError('bad-input', e.message);
  if (e instanceof LoadError) return new EngineError('load-failed', e.message);
  if (e instanceof SessionError) return new EngineError('backend-failed', e.message);
  return new EngineError('internal', e instanceof Error ? `${e.name}: ${e.message}` : String(e));
}
