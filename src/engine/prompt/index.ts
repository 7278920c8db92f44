// The prompt side of the engine: tokenizer, FO1 tags, task presets, the prompt's token sequence, M-RoPE.
export { Fo1Tokenizer, TokenizerError, type AddedTokenJson, type TextSegment, type TokenizerJson } from './tokenizer.ts';
export { addFo1Tokens, FO1_TAGS, MAX_REGIONS, regionTag, type AddFo1TokensOptions } from './fo1-tokens.ts';
export { PromptError, renderTask, TASK_KINDS, TASK_TEMPLATES, taskFromText, type PromptPart, type Task, type TaskKind, type UserText } from './tasks.ts';
export { buildPromptSequence, REGION_SLOT_ID, type PromptIds, type PromptInputs, type PromptSequence, type Slot } from './sequence.ts';
export { decodePosition, ropeIndex, RopeIndexError, type GridThw, type RopeIndex } from './mrope.ts';
