// The typed messages between the page and the in-page converter (workers/convert-worker.ts), and how a
// conversion's model folder is named in the origin-private file system (OPFS). The page first `inspect`s a
// repository — the revision resolved to its commit, the listing's sizes, the headers' tensor count — so the
// person sees what it costs before any weight moves, then `convert`s it pinned to that commit.
// Here, not beside the worker, so the app imports only src/protocol (src/testing/import-rules.test.ts).

import type { ConversionReport } from '../model-folder/conversion-report.ts';
export type { ConversionReport };
import type { ConvertProgress } from '../model-folder/convert-progress.ts';
import type { ModelDtype } from '../model-folder/manifest.ts';

/** The dtypes the page converts to: the ones a browser runs (src/engine/load/load-model.ts pickDtype). */
export type ConvertDtype = Extract<ModelDtype, 'q4' | 'q4f16'>;

/** Where to read a checkpoint: a Hub repository, the endpoint it lives on, and a token for gated ones. */
export interface HubTarget {
  /** "owner/name" or "owner/name@revision" (revision defaults to main). */
  repo: string;
  hubUrl: string;
  accessToken?: string;
}

/**
 * A checkpoint folder picked on this computer (<input webkitdirectory>), read in place by the worker
 * (converter/read/file-byte-source.ts): File objects structured-clone into a worker without copying their bytes.
 */
export interface PickedCheckpoint {
  /** The picked folder's own name. */
  folderName: string;
  /** Its own files (not those of subfolders), by name (webkitRelativePath without the folder's name). */
  files: { path: string; file: File }[];
}

/** Where a conversion reads its checkpoint. */
export type ConvertSource = HubTarget | PickedCheckpoint;

export function isPicked(source: ConvertSource): source is PickedCheckpoint {
  return 'files' in source;
}

/** What a conversion writes: the dtypes, and the model folder's name at the top of OPFS (convertedFolder, pickedFolder). */
export interface ConvertInto {
  dtypes: ConvertDtype[];
  folder: string;
}

export type ConvertRequest =
  | ({ type: 'inspect' } & HubTarget)
  | ({ type: 'convert' } & ConvertInto & HubTarget)
  | ({ type: 'inspect-picked' } & PickedCheckpoint)
  | ({ type: 'convert-picked' } & ConvertInto & PickedCheckpoint);

/** What a repository holds at the commit its revision resolved to, before anything is converted. */
export interface HubSummary {
  repo: string;
  revision: string;
  sha: string;
  /** Every file of the repository, from the listing. */
  downloadBytes: number;
}

/** What the checkpoint's safetensors headers say, wherever it is read from. */
export interface CheckpointEstimate {
  params: number;
  /** The tensors' data in the checkpoint: what the conversion reads. */
  tensorBytes: number;
  /** The q4 (= q4f16) model folder's size, estimated from the tensors' shapes (converter/estimate.ts). */
  keepBytes: number;
  /** The largest weight as stored, estimated likewise: what one WebGPU buffer must hold. */
  largestTensorBytes: number;
}

/** `inspect`'s answer: the summary, and what the headers say. */
export interface HubInspection extends HubSummary, CheckpointEstimate {}

/** `inspect-picked`'s answer: the folder, and what the headers say. */
export interface PickedInspection extends CheckpointEstimate {
  folderName: string;
}

export type ConvertEvent =
  | ({ type: 'inspected' } & HubInspection)
  | ({ type: 'inspected-picked' } & PickedInspection)
  /** A conversion's first event: the commit it reads. */
  | ({ type: 'resolved' } & HubSummary)
  | { type: 'progress'; progress: ConvertProgress }
  /**
   * `resumed`: graphs an earlier, interrupted conversion into this folder had finished, kept as they were;
   * `report`: what the converter read and left out, as model.json's `conversion` records it.
   */
  | { type: 'done'; folder: string; files: number; bytes: number; resumed: string[]; report: ConversionReport }
  /** `name` is the error's class (RepoNotFoundError, RepoAccessError, ConnectionLostError, UnknownTensorError…). */
  | { type: 'error'; name: string; message: string };

// ---------------------------------------------------------------------------------------------------
// Converted model folders in OPFS

/** A converted model's id, as the model library and the engine know it: `opfs:<folder>/`. */
const OPFS_ID = /^opfs:([^/]+)\/$/;
/**
 * `fo1--<owner>--<name>--<dtype>`: the Hub forbids "--" inside repository names (huggingface_hub's
 * validate_repo_id; its own cache folders are `models--<owner>--<name>` for that reason), so the name reads back.
 */
const FOLDER = /^fo1--([\w.-]+?)--([\w.-]+?)--(q4|q4f16)$/;

/** The OPFS folder a conversion of `repo` (any revision) to `dtype` writes into. */
export function convertedFolder(repo: string, dtype: ConvertDtype): string {
  const [owner, name] = repo.split('@')[0].split('/');
  return `fo1--${owner}--${name}--${dtype}`;
}

/**
 * `fo1-picked--<folder>--<dtype>`: a conversion of a folder picked on this computer is named after that folder,
 * the name the person chose and sees (`huggingface-cli download --local-dir` names it after the repository).
 * Not after config.json's `_name_or_path`: transformers' save_pretrained records whatever the model was loaded
 * from — for a fine-tune, the base model's id or a path on the training machine — so different checkpoints often
 * share it, and many configs lack it. Two picked folders of one name share the OPFS folder: the summary says
 * converting replaces the stored model, and a conversion resumes only from one that read the same files
 * (converter/read/file-byte-source.ts). The dtype ends the name, so any folder name reads back.
 */
const PICKED = /^fo1-picked--([\w.-]+)--(q4|q4f16)$/;

/** The OPFS folder a conversion of the picked folder `folderName` to `dtype` writes into. */
export function pickedFolder(folderName: string, dtype: ConvertDtype): string {
  return `fo1-picked--${folderName.replace(/[^\w.-]/g, '_')}--${dtype}`;
}

/** What a conversion folder was made from: a Hub repository, or a picked folder (by name: it must be picked again). */
export type ConvertedFrom = { repo: string; dtype: ConvertDtype } | { picked: string; dtype: ConvertDtype };

/** What a conversion folder was made for, or null when `folder` is not one. */
export function parseConvertedFolder(folder: string): ConvertedFrom | null {
  const m = FOLDER.exec(folder);
  if (m) return { repo: `${m[1]}/${m[2]}`, dtype: m[3] as ConvertDtype };
  const p = PICKED.exec(folder);
  return p ? { picked: p[1], dtype: p[2] as ConvertDtype } : null;
}

export function opfsModelId(folder: string): string {
  return `opfs:${folder}/`;
}

/** The OPFS folder of a converted model's id, or null for any other id (a folder URL in Cache Storage). */
export function opfsFolderOf(modelId: string): string | null {
  return OPFS_ID.exec(modelId)?.[1] ?? null;
}
