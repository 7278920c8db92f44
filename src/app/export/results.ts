// "Export results as JSON": the image, its boxes and the conversation, with every box in original image
// pixels (rounded, as displayed) and every cited region resolved to the box it named when asked.

import type { AnswerTimings, Backend, PixelBox, Task } from '../../protocol/messages.ts';
import { roundBox } from '../overlay/geometry.ts';
import type { Turn } from '../store/askSlice.ts';
import type { AppBox } from '../store/boxesSlice.ts';

export interface ResultsJson {
  format: 'fo1-web-results';
  version: 1;
  model: string | null;
  image: { name: string; width: number; height: number };
  boxes: { region: number; box: PixelBox; source: AppBox['source']; score?: number }[];
  conversation: {
    question: string;
    task: Task;
    regions: { region: number; box: PixelBox }[];
    answer: string;
    status: Turn['status'];
    cited: { label: string; region: number; box: PixelBox }[];
    count?: number;
    timings?: AnswerTimings;
    backend?: Backend;
  }[];
}

export function resultsJson(input: { model: string | null; image: { name: string; width: number; height: number }; boxes: readonly AppBox[]; turns: readonly Turn[] }): ResultsJson {
  return {
    format: 'fo1-web-results',
    version: 1,
    model: input.model,
    image: { name: input.image.name, width: input.image.width, height: input.image.height },
    boxes: input.boxes.map((b, region) => ({ region, box: roundBox(b.box), source: b.source, ...(b.score === undefined ? {} : { score: b.score }) })),
    conversation: input.turns.map((t) => ({
      question: t.question,
      task: t.task,
      regions: t.regions.map((region) => ({ region, box: roundBox(t.boxes[region]) })),
      answer: t.answer?.text ?? t.text,
      status: t.status,
      cited: (t.answer?.regions ?? []).flatMap((r) => r.indices.map((region) => ({ label: r.label, region, box: roundBox(t.boxes[region]) }))),
      ...(t.answer?.count === undefined ? {} : { count: t.answer.count }),
      ...(t.answer ? { timings: t.answer.timings, backend: t.answer.backend } : {}),
    })),
  };
}
