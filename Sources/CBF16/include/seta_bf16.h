// bfloat16 matrix products for frozen weights: y = x · Bᵀ with B stored as bf16 pairs, float32 accumulation.
// The fast kernel uses AVX-512 BF16 (vdpbf16ps) and runs only where the CPU has it (seta_bf16_supported); the
// rest of this target is built for x86-64-v3 (AVX2 + FMA), so the library still runs on any AVX2 machine.
#ifndef SETA_BF16_H
#define SETA_BF16_H
#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU runs the AVX-512 BF16 kernel (and SETA_BF16_FALLBACK is not set), else 0.
int seta_bf16_supported(void);

/// Elements (uint16) of the packed form of a [rows, cols] matrix B (rows = outputs, cols = the inner dimension):
/// panels of 32 rows; in a panel, for each pair of columns, 32 × (B[r][2p], B[r][2p+1]). Zero-padded.
size_t seta_bf16_packed_count(int rows, int cols);

/// Packs B[r][c] = src[r * row_stride + c * col_stride] (rounded to nearest even) into `dst`.
/// Panels [panel_begin, panel_end) only (for packing on several threads); panels = ceil(rows / 32).
void seta_bf16_pack(const float *src, int rows, int cols, ptrdiff_t row_stride, ptrdiff_t col_stride,
                    uint16_t *dst, int panel_begin, int panel_end);

/// Unpacks the packed B back to float32 [rows, cols] (row-major, dense).
void seta_bf16_unpack(const uint16_t *packed, int rows, int cols, float *dst);

/// x [m, k] (row stride ldx) rounded to bf16 pairs: dst[i * ((k+1)/2) + p] = (x[i][2p+1] << 16) | x[i][2p].
void seta_bf16_convert_rows(const float *x, int m, int k, ptrdiff_t ldx, uint32_t *dst);

/// y[i][n] (= or +=, `accumulate`) Σ_k x[i][k] · B[n][k] for rows 0..<m and outputs in panels
/// [panel_begin, panel_end). xb from seta_bf16_convert_rows; `packed` from seta_bf16_pack with cols = k.
/// Needs seta_bf16_supported().
void seta_bf16_gemm(int m, int n, int k, const uint32_t *xb, const uint16_t *packed, float *y, ptrdiff_t ldy,
                    int accumulate, int panel_begin, int panel_end);

#endif
