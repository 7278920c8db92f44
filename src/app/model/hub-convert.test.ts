import { describe, expect, it } from 'vitest';
import { hubFromAddress, hubTarget, parseHubUrl } from './hub-convert.ts';

describe('the Hub endpoint setting', () => {
  it('?hub=URL in the address gives the endpoint without trailing slashes; anything else is ignored', () => {
    expect(hubFromAddress('?hub=http%3A%2F%2F127.0.0.1%3A4567%2F')).toBe('http://127.0.0.1:4567');
    expect(hubFromAddress('?threads=2&hub=https://hf-mirror.com')).toBe('https://hf-mirror.com');
    expect(hubFromAddress('')).toBeNull();
    expect(hubFromAddress('?hub=javascript:alert(1)')).toBeNull();
    expect(hubFromAddress('?hub=not a url')).toBeNull();
    expect(parseHubUrl(' https://huggingface.co// ')).toBe('https://huggingface.co');
  });
});

describe('hubTarget', () => {
  it('takes owner/name or owner/name@revision, the Hub and a token when one is typed', () => {
    expect(hubTarget(' omlab/VLM-FO1_Qwen2.5-VL-3B-v01 ', 'https://huggingface.co/', '')).toEqual({ repo: 'omlab/VLM-FO1_Qwen2.5-VL-3B-v01', hubUrl: 'https://huggingface.co' });
    expect(hubTarget('me/fo1-ft@v2', 'https://huggingface.co', ' hf_abc ')).toEqual({ repo: 'me/fo1-ft@v2', hubUrl: 'https://huggingface.co', accessToken: 'hf_abc' });
  });

  it('says what is wrong with a bad name or Hub address', () => {
    expect(hubTarget('just-a-name', 'https://huggingface.co', '')).toMatch(/"just-a-name" is not a Hugging Face repository: expected owner\/name/);
    expect(hubTarget('a/b/c', 'https://huggingface.co', '')).toMatch(/not a Hugging Face repository/);
    expect(hubTarget('a/b', 'huggingface.co', '')).toMatch(/"huggingface.co" is not a Hub address/);
  });
});
