import { describe, expect, it } from 'vitest';
import { convertFailure } from './convert-failure.ts';

const REPO = 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01';

describe('convertFailure', () => {
  it('a 404 names the repository and what to check', () => {
    const f = convertFailure({ name: 'RepoNotFoundError', message: `${REPO}@main: not found on https://huggingface.co (revision: HTTP 404; check the repository name and revision)` }, REPO);
    expect(f).toMatchObject({ title: `Repository not found: ${REPO}`, resumable: false, needsToken: false });
    expect(f.message).toContain('HTTP 404');
  });

  it('401/403 offers the token field and says the token is not stored', () => {
    const f = convertFailure({ name: 'RepoAccessError', message: `${REPO}: HTTP 401 from https://huggingface.co (revision): gated or private` }, REPO);
    expect(f).toMatchObject({ title: `${REPO} needs an access token`, needsToken: true, resumable: false });
    expect(f.message).toContain('"Access token (optional)"');
    expect(f.message).toContain('not stored');
  });

  it("the converter's refusals of a checkpoint that is not VLM-FO1 keep its message (the first missing key or tensor)", () => {
    for (const name of ['ConfigError', 'UnknownTensorError', 'SafetensorsError', 'TokenizerFilesError']) {
      const f = convertFailure({ name, message: 'config.json: missing key vision_config' }, REPO);
      expect(f).toEqual({ title: `Not a VLM-FO1 checkpoint: ${REPO}`, message: 'config.json: missing key vision_config', resumable: false, needsToken: false });
    }
  });

  it('a lost connection and a full storage pause the conversion, resumable', () => {
    expect(convertFailure({ name: 'ConnectionLostError', message: 'x.safetensors: connection lost at byte 0' }, REPO)).toMatchObject({ title: 'Connection lost: the conversion is paused', resumable: true });
    expect(convertFailure({ name: 'ConnectionLostError', message: 'm' }, REPO).message).toContain('Resume continues after the last finished graph');
    expect(convertFailure({ name: 'QuotaExceededError', message: 'quota' }, REPO)).toMatchObject({ resumable: true, title: "This site's storage is full" });
  });

  it('other Hub errors and anything else say what failed, with the error class', () => {
    expect(convertFailure({ name: 'HubFileMismatchError', message: 'a.safetensors: 10 bytes served, the listing says 12' }, REPO)).toEqual({ title: `Could not read ${REPO} from the Hub`, message: 'a.safetensors: 10 bytes served, the listing says 12', resumable: false, needsToken: false });
    expect(convertFailure({ name: 'TypeError', message: 'boom' }, REPO)).toMatchObject({ title: `Converting ${REPO} failed`, message: 'TypeError: boom' });
  });
});
