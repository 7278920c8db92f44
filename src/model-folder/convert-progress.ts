// How far a conversion has come, as the converter reports it to its hosts: the CLI's bar (converter/progress.ts)
// and the page, through the converter worker's `progress` events (src/protocol/convert.ts). Here, beside the
// conversion report, because both the converter and the page read it and neither may import the other.

export interface ConvertProgress {
  /** e.g. "decoder_model_merged (q4)". */
  stage: string;
  tensorsDone: number;
  tensorsTotal: number;
  bytesDone: number;
  bytesTotal: number;
}
