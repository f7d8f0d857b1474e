// bfloat16 products for frozen weights (see include/seta_bf16.h). The AVX-512 BF16 code sits in functions with
// their own target attribute; everything else here is plain C for x86-64-v3, so no AVX-512 instruction runs on a
// CPU without it (seta_bf16_supported gates every call of seta_bf16_gemm).
#include "seta_bf16.h"
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

enum { PANEL = 32, MR = 12 };

static inline uint16_t to_bf16(float f) {   // round to nearest even (inputs here are finite)
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static inline float from_bf16(uint16_t h) {
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

int seta_bf16_supported(void) {
#if defined(__x86_64__)
    const char *off = getenv("SETA_BF16_FALLBACK");
    if (off && off[0] && strcmp(off, "0") != 0) return 0;
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
#else
    return 0;
#endif
}

size_t seta_bf16_packed_count(int rows, int cols) {
    size_t panels = (size_t)(rows + PANEL - 1) / PANEL, pairs = (size_t)(cols + 1) / 2;
    return panels * pairs * PANEL * 2;
}

void seta_bf16_pack(const float *src, int rows, int cols, ptrdiff_t row_stride, ptrdiff_t col_stride,
                    uint16_t *dst, int panel_begin, int panel_end) {
    int pairs = (cols + 1) / 2;
    for (int panel = panel_begin; panel < panel_end; panel++) {
        uint16_t *out = dst + (size_t)panel * pairs * PANEL * 2;
        for (int p = 0; p < pairs; p++) {
            for (int r = 0; r < PANEL; r++) {
                int row = panel * PANEL + r;
                for (int h = 0; h < 2; h++) {
                    int col = 2 * p + h;
                    float v = (row < rows && col < cols) ? src[row * row_stride + col * col_stride] : 0.0f;
                    out[((size_t)p * PANEL + r) * 2 + h] = to_bf16(v);
                }
            }
        }
    }
}

void seta_bf16_unpack(const uint16_t *packed, int rows, int cols, float *dst) {
    int pairs = (cols + 1) / 2;
    for (int row = 0; row < rows; row++) {
        const uint16_t *panel = packed + (size_t)(row / PANEL) * pairs * PANEL * 2;
        for (int col = 0; col < cols; col++)
            dst[(size_t)row * cols + col] = from_bf16(panel[((size_t)(col / 2) * PANEL + row % PANEL) * 2 + col % 2]);
    }
}

static void convert_rows_portable(const float *x, int m, int k, ptrdiff_t ldx, uint32_t *dst) {
    int pairs = (k + 1) / 2;
    for (int i = 0; i < m; i++) {
        const float *row = x + i * ldx;
        uint32_t *out = dst + (size_t)i * pairs;
        int p = 0;
        for (; 2 * p + 1 < k; p++) out[p] = (uint32_t)to_bf16(row[2 * p]) | ((uint32_t)to_bf16(row[2 * p + 1]) << 16);
        if (p < pairs) out[p] = (uint32_t)to_bf16(row[2 * p]);
    }
}

#if defined(__x86_64__)
#define BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512bf16")))

// rows × 32 outputs of one panel: 2 zmm accumulators per row, one vdpbf16ps per row and half-panel per pair.
BF16_TARGET static inline __attribute__((always_inline))
void panel_rows(int rows, int pairs, const uint32_t *xb, const uint16_t *panel, float *y, ptrdiff_t ldy,
                int accumulate, int outputs) {
    __m512 acc[MR][2];
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) { acc[r][0] = _mm512_setzero_ps(); acc[r][1] = _mm512_setzero_ps(); }
    for (int p = 0; p < pairs; p++) {
        __m512bh b0 = (__m512bh)_mm512_loadu_si512(panel + (size_t)p * 64);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512(panel + (size_t)p * 64 + 32);
#pragma clang loop unroll(full)
        for (int r = 0; r < MR; r++) {
            if (r < rows) {
                __m512bh a = (__m512bh)_mm512_set1_epi32((int)xb[(size_t)r * pairs + p]);
                acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, b0);
                acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, b1);
            }
        }
    }
    __mmask16 m0 = outputs >= 16 ? 0xFFFF : (__mmask16)((1u << outputs) - 1);
    __mmask16 m1 = outputs >= 32 ? 0xFFFF : outputs <= 16 ? 0 : (__mmask16)((1u << (outputs - 16)) - 1);
#pragma clang loop unroll(full)
    for (int r = 0; r < MR; r++) {
        if (r < rows) {
            float *out = y + (size_t)r * ldy;
            __m512 v0 = acc[r][0], v1 = acc[r][1];
            if (accumulate) {
                v0 = _mm512_add_ps(v0, _mm512_maskz_loadu_ps(m0, out));
                v1 = _mm512_add_ps(v1, _mm512_maskz_loadu_ps(m1, out + 16));
            }
            _mm512_mask_storeu_ps(out, m0, v0);
            _mm512_mask_storeu_ps(out + 16, m1, v1);
        }
    }
}

// A pair (x[2p], x[2p+1]) as one uint32 is just the row in bf16, in memory order: vcvtne2ps2bf16 rounds 32 floats
// to nearest even in one instruction.
BF16_TARGET static void convert_rows_avx512(const float *x, int m, int k, ptrdiff_t ldx, uint32_t *dst) {
    int pairs = (k + 1) / 2;
    for (int i = 0; i < m; i++) {
        const float *row = x + i * ldx;
        uint16_t *out = (uint16_t *)(dst + (size_t)i * pairs);
        int c = 0;
        for (; c + 32 <= k; c += 32) {
            __m512bh v = _mm512_cvtne2ps_pbh(_mm512_loadu_ps(row + c + 16), _mm512_loadu_ps(row + c));
            _mm512_storeu_si512(out + c, (__m512i)v);
        }
        for (; c < k; c++) out[c] = to_bf16(row[c]);
        if (k % 2) out[k] = 0;
    }
}

#define ROWS_CASE(R) case R: panel_rows(R, pairs, xr, panel, yr, ldy, accumulate, outputs); break;

BF16_TARGET
void seta_bf16_gemm(int m, int n, int k, const uint32_t *xb, const uint16_t *packed, float *y, ptrdiff_t ldy,
                    int accumulate, int panel_begin, int panel_end) {
    int pairs = (k + 1) / 2;
    for (int pi = panel_begin; pi < panel_end; pi++) {
        const uint16_t *panel = packed + (size_t)pi * pairs * PANEL * 2;
        int outputs = n - pi * PANEL < PANEL ? n - pi * PANEL : PANEL;
        for (int i = 0; i < m; i += MR) {
            const uint32_t *xr = xb + (size_t)i * pairs;
            float *yr = y + (size_t)i * ldy + (size_t)pi * PANEL;
            switch (m - i < MR ? m - i : MR) {
                ROWS_CASE(1) ROWS_CASE(2) ROWS_CASE(3) ROWS_CASE(4) ROWS_CASE(5) ROWS_CASE(6)
                ROWS_CASE(7) ROWS_CASE(8) ROWS_CASE(9) ROWS_CASE(10) ROWS_CASE(11) ROWS_CASE(12)
            }
        }
    }
}
void seta_bf16_convert_rows(const float *x, int m, int k, ptrdiff_t ldx, uint32_t *dst) {
    if (__builtin_cpu_supports("avx512bf16")) convert_rows_avx512(x, m, k, ldx, dst);
    else convert_rows_portable(x, m, k, ldx, dst);
}
#else
void seta_bf16_convert_rows(const float *x, int m, int k, ptrdiff_t ldx, uint32_t *dst) {
    convert_rows_portable(x, m, k, ldx, dst);
}

void seta_bf16_gemm(int m, int n, int k, const uint32_t *xb, const uint16_t *packed, float *y, ptrdiff_t ldy,
                    int accumulate, int panel_begin, int panel_end) { abort(); }
#endif
