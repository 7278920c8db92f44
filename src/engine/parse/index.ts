// The answer side of the engine: parse FO1's output text into cited boxes, whole or while streaming.
export { extractCount, parseAnswer, type CitedRegion, type GroundGroup, type ParsedAnswer, type Section } from './answer.ts';
export { AnswerStream, type StreamUpdate } from './stream.ts';
