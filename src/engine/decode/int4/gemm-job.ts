// The job struct gemmQ4 reads (gemm.as.ts) and the host writes (kernels.ts): the byte offset of each int32
// field, gemmRows' arguments in order. Plain integer constants, so this one file compiles as AssemblyScript
// (i32) and as TypeScript (number) alike, and both sides read the same table.
export const GEMM_JOB_B = 0; // the weight's int4 codes (N, kb, 16)
export const GEMM_JOB_S = 4; // its block scales f32 (N, kb)
export const GEMM_JOB_Z = 8; // its block zero points u8 (N, kb)
export const GEMM_JOB_N = 12; // output features
export const GEMM_JOB_KB = 16; // blocks of 32 along K
export const GEMM_JOB_XQ = 20; // the activations' codes (quantizeRows)
export const GEMM_JOB_XSC = 24; // their scales
export const GEMM_JOB_XSUM = 28; // their code sums
export const GEMM_JOB_M = 32; // tokens
export const GEMM_JOB_Y = 36; // the output y (M, N) f32
export const GEMM_JOB_BYTES = 40;
// gemmQ4's `form` argument: which relaxed int8 dot dotPair uses (dot-form.ts says why there are two)
export const GEMM_DOT_I16 = 0;
export const GEMM_DOT_I32 = 1;
