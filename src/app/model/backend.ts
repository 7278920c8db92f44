// How the page names the compute backends and says where the loaded model runs: the model badge, the
// status panel and the answer timings share these words.

import type { Backend, SessionBackend } from '../../protocol/messages.ts';

export const BACKEND_NAMES: Record<Backend, string> = { webgpu: 'WebGPU', wasm: 'WASM' };

/** The session that sets the model's pace — the decoder (its q4 / fp16 variants included) — else the first; null when none. */
export function decoderSession(sessions: readonly SessionBackend[]): SessionBackend | null {
  return sessions.find((x) => x.session.startsWith('decoder')) ?? sessions[0] ?? null;
}

/**
 * A WebGPU warm-up (one tiny question through every graph) that takes longer than this is offered a move to
 * WASM. On a hardware GPU it is shader compilation plus milliseconds of work; seconds to minutes mean the
 * GPU is slower than the CPU (SwiftShader, a CPU emulation, takes 10-110 s for the tiny demo: issue 14).
 */
export const SLOW_WEBGPU_WARMUP_MS = 30_000;

/** Why the model left WebGPU, for people: "WebGPU device lost (destroyed: …) — continued on WASM". */
export function fallbackNote(cause: string, now: Backend): string {
  return `${cause} — continued on ${BACKEND_NAMES[now]}`;
}
