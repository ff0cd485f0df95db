/* Matrix-vector rows in the five weight layouts, and the int8 quantisation of their inputs (part of
 * rwkv_cpu.c; see simd.h for the variants).
 *
 * Layouts of W [rows, in] (in % 64 == 0):
 *   W_F32, W_F16  plain rows.
 *   W_I8   signed bytes q = round(w / s_row) (|q| <= 127), one fp32 scale per row, and a plain fp32 input (no
 *          input quantisation: RWKV-7's low-rank maps, whose inputs are the token-shift mixes, one per block).
 *   W_Q8   bytes q + 128 (q = round(w / s_row), |q| <= 127) and one fp32 scale per row.
 *   W_Q4   nibbles q + 8 (q = round(w / s_group), -8 <= q <= 7), one fp16 scale per group of G inputs (G % 64 == 0);
 *          each 64 inputs are 32 bytes, byte i holding input i in its low nibble and input i + 32 in its high one
 *          (so one 32-byte load and two masks give inputs 0..31 and 32..63 in order).
 * The int8/int4 rows take their input quantised to int8 in blocks of QB = 64 (one fp32 scale s_b each):
 *   Σ_i w_i·x_i ≈ s_row · Σ_b s_b Σ_{i∈b} q_i·xq_i            (int8)
 *   Σ_i w_i·x_i ≈ Σ_b s_g(b) · s_b · (Σ_{i∈b} n_i·xq_i − 8·Σ_{i∈b} xq_i)   (int4, n = q + 8)
 * AVX-512 VNNI multiplies the biased bytes directly (vpdpbusd, unsigned × signed) and subtracts 128·Σ s_b Σ xq
 * once per row; AVX2 has no such instruction for int8 (vpmaddubsw would saturate on 255·127 pairs), so it
 * recovers the signed q and uses |q| · sign(xq, q), which cannot saturate (2·127·127 < 32768). NEON recovers
 * the signed q (int8: byte ^ 0x80; int4: nibble − 8) and takes signed byte dot products (rows_q8, rows_q4).
 */
#ifndef HEARTH_ROWS_H
#define HEARTH_ROWS_H

#include <math.h>
#include <omp.h>

#include "simd.h"

enum { W_F32 = 0, W_F16 = 1, W_Q8 = 2, W_Q4 = 3, W_I8 = 4 };
enum { POST_STORE = 0, POST_ADD = 1, POST_RELU2 = 2 };
#define QB 64 /* activation quantisation block */

typedef struct {
    int kind, post, rows, in, x_block; /* x_block > 0: row r reads x + (r / x_block) * in (f32/f16/i8) */
    int group;                         /* q4: inputs per weight scale */
    const void *w;
    const void *s;        /* q8, i8: fp32 per row; q4: fp16 per group */
    const float *x;       /* f32 / f16 / i8 input */
    const int8_t *xq;     /* q8/q4 input */
    const float *xs;      /* its block scales [in / QB] */
    const int32_t *xsum;  /* Σ xq per block [in / QB] (q4) */
    float xk;             /* 128 · Σ_b s_b Σ xq (the VNNI int8 bias correction) */
    float *y;
} Job;

static inline void put(float *y, int o, float v, int post) {
    if (post == POST_ADD) y[o] += v;
    else if (post == POST_RELU2) { v = v > 0.f ? v : 0.f; y[o] = v * v; }
    else y[o] = v;
}

/* One row at a time with four accumulators: one sequential stream per thread reads 5-70 % faster than
 * interleaving four rows (measured on AVX-512, 2 cores). */
static void rows_f32(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const float *w = (const float *)j->w + o * in, *x = j->x_block ? j->x + (long)(o / j->x_block) * in : j->x;
        vf a = v_zero(), b = a, c = a, d = a;
        for (long i = 0; i < in; i += 4 * VW) {
            a = v_fma(v_load(w + i), v_load(x + i), a);
            b = v_fma(v_load(w + i + VW), v_load(x + i + VW), b);
            c = v_fma(v_load(w + i + 2 * VW), v_load(x + i + 2 * VW), c);
            d = v_fma(v_load(w + i + 3 * VW), v_load(x + i + 3 * VW), d);
        }
        put(j->y, o, v_sum(v_add(v_add(a, b), v_add(c, d))), j->post);
    }
}

static void rows_f16(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint16_t *w = (const uint16_t *)j->w + o * in;
        const float *x = j->x_block ? j->x + (long)(o / j->x_block) * in : j->x;
        vf a = v_zero(), b = a, c = a, d = a;
        for (long i = 0; i < in; i += 4 * VW) {
            a = v_fma(v_load_f16(w + i), v_load(x + i), a);
            b = v_fma(v_load_f16(w + i + VW), v_load(x + i + VW), b);
            c = v_fma(v_load_f16(w + i + 2 * VW), v_load(x + i + 2 * VW), c);
            d = v_fma(v_load_f16(w + i + 3 * VW), v_load(x + i + 3 * VW), d);
        }
        put(j->y, o, v_sum(v_add(v_add(a, b), v_add(c, d))), j->post);
    }
}

/* int8 rows widened to fp32 (v_load_i8) against the fp32 input: one byte per weight read, and no input
 * quantisation (the low-rank maps' inputs differ per block of rows) */
static void rows_i8(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const int8_t *w = (const int8_t *)j->w + o * in;
        const float *x = j->x_block ? j->x + (long)(o / j->x_block) * in : j->x;
        vf a = v_zero(), b = a, c = a, d = a;
        for (long i = 0; i < in; i += 4 * VW) {
            a = v_fma(v_load_i8(w + i), v_load(x + i), a);
            b = v_fma(v_load_i8(w + i + VW), v_load(x + i + VW), b);
            c = v_fma(v_load_i8(w + i + 2 * VW), v_load(x + i + 2 * VW), c);
            d = v_fma(v_load_i8(w + i + 3 * VW), v_load(x + i + 3 * VW), d);
        }
        put(j->y, o, v_sum(v_add(v_add(a, b), v_add(c, d))) * ((const float *)j->s)[o], j->post);
    }
}

#if defined(HEARTH_AVX512)
static inline __m512 dot_q8(const uint8_t *w, const int8_t *xq, float s, __m512 acc) {
    __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512((const void *)w),
                                    _mm512_loadu_si512((const void *)xq));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_set1_ps(s), acc);
}

static void rows_q8(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * in;
        __m512 a = _mm512_setzero_ps(), b = a;
        long i = 0;
        for (; i + 2 * QB <= in; i += 2 * QB) {
            a = dot_q8(w + i, j->xq + i, j->xs[i / QB], a);
            b = dot_q8(w + i + QB, j->xq + i + QB, j->xs[i / QB + 1], b);
        }
        for (; i < in; i += QB) a = dot_q8(w + i, j->xq + i, j->xs[i / QB], a);
        put(j->y, o, (_mm512_reduce_add_ps(_mm512_add_ps(a, b)) - j->xk) * ((const float *)j->s)[o], j->post);
    }
}
#elif defined(HEARTH_AVX2)
/* Σ over 32 biased bytes × int8 inputs, as 8 int32 partial sums */
static inline __m256i dot32_q8(const uint8_t *w, const int8_t *xq) {
    const __m256i ws = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)w), _mm256_set1_epi8((char)0x80));
    const __m256i x = _mm256_loadu_si256((const __m256i *)xq);
    const __m256i p = _mm256_maddubs_epi16(_mm256_sign_epi8(ws, ws), _mm256_sign_epi8(x, ws));
    return _mm256_madd_epi16(p, _mm256_set1_epi16(1));
}

static void rows_q8(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * in;
        __m256 a = _mm256_setzero_ps(), b = a;
        long i = 0;
        for (; i + 2 * QB <= in; i += 2 * QB) {
            __m256i d0 = _mm256_add_epi32(dot32_q8(w + i, j->xq + i), dot32_q8(w + i + 32, j->xq + i + 32));
            __m256i d1 = _mm256_add_epi32(dot32_q8(w + i + 64, j->xq + i + 64), dot32_q8(w + i + 96, j->xq + i + 96));
            a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), _mm256_set1_ps(j->xs[i / QB]), a);
            b = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d1), _mm256_set1_ps(j->xs[i / QB + 1]), b);
        }
        for (; i < in; i += QB) {
            __m256i d0 = _mm256_add_epi32(dot32_q8(w + i, j->xq + i), dot32_q8(w + i + 32, j->xq + i + 32));
            a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(d0), _mm256_set1_ps(j->xs[i / QB]), a);
        }
        put(j->y, o, v_sum(_mm256_add_ps(a, b)) * ((const float *)j->s)[o], j->post);
    }
}
#elif defined(HEARTH_NEON)
/* 16 signed int8 pairs summed into 4 int32 lanes: vdotq_s32 with the dot-product extension, else two
 * widening multiplies (each int16 holds two products: 2·128·127 < 32768) and a pairwise widening add. */
static inline int32x4_t dot16_s8(int32x4_t acc, int8x16_t a, int8x16_t b) {
#if defined(__ARM_FEATURE_DOTPROD)
    return vdotq_s32(acc, a, b);
#else
    int16x8_t p = vmull_s8(vget_low_s8(a), vget_low_s8(b));
    p = vmlal_high_s8(p, a, b);
    return vpadalq_s16(acc, p);
#endif
}

static void rows_q8(const Job *j, int r0, int r1) {
    const long in = j->in;
    const uint8x16_t bias = vdupq_n_u8(0x80);
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * in;
        float32x4_t a = vdupq_n_f32(0.f);
        for (long b = 0; b < in; b += QB) {
            int32x4_t d = vdupq_n_s32(0);
            for (int i = 0; i < QB; i += 16) {
                const int8x16_t q = vreinterpretq_s8_u8(veorq_u8(vld1q_u8(w + b + i), bias));
                d = dot16_s8(d, q, vld1q_s8(j->xq + b + i));
            }
            a = vfmaq_n_f32(a, vcvtq_f32_s32(d), j->xs[b / QB]);
        }
        put(j->y, o, vaddvq_f32(a) * ((const float *)j->s)[o], j->post);
    }
}
#else
static void rows_q8(const Job *j, int r0, int r1) {
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * in;
        float acc = 0.f;
        for (long b = 0; b < in; b += QB) {
            int32_t d = 0;
            for (int i = 0; i < QB; i++) d += (int32_t)(int8_t)(w[b + i] ^ 0x80) * j->xq[b + i];
            acc += (float)d * j->xs[b / QB];
        }
        put(j->y, o, acc * ((const float *)j->s)[o], j->post);
    }
}
#endif

#if defined(HEARTH_AVX512) || defined(HEARTH_AVX2)
static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* 64 inputs: Σ n_i·xq_i − 8·Σ xq_i as 8 int32 lanes (each lane takes one share of the correction) */
static inline __m256i dot64_q4(const uint8_t *w, const int8_t *xq, int32_t xsum) {
    const __m256i raw = _mm256_loadu_si256((const __m256i *)w), m = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_and_si256(raw, m), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m);
    const __m256i x0 = _mm256_loadu_si256((const __m256i *)xq), x1 = _mm256_loadu_si256((const __m256i *)(xq + 32));
#if defined(HEARTH_AVX512)
    const __m256i d = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, x0), hi, x1);
#else
    /* pairs are at most 2·15·127 = 3810, two of them still fit int16 */
    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
    const __m256i d = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
#endif
    return _mm256_sub_epi32(d, _mm256_set1_epi32(xsum));
}

/* Groups of QB (the default): 8 blocks per step. Their 8 scales s_g·s_b are one vector product (fp16 group
 * scales widened 8 at a time) from which each block's is broadcast by a lane permute, and the −8·Σ xq term
 * is taken once per row, Σ_b s_g·s_b·8·Σxq_b as one more FMA per step; per block that leaves the nibble
 * unpack, two byte products, one widening, one conversion and one FMA (8-12 % more weights per CPU second
 * than the block-by-block loop below, AVX2 on one core, 8192x2048; it then reads as many bytes per second as
 * the int8 rows). */
static inline __m256 q4_block(const uint8_t *w, const int8_t *xq, __m256 sc, int k, __m256 acc) {
    const __m256i raw = _mm256_loadu_si256((const __m256i *)(w + k * 32)), m = _mm256_set1_epi8(0x0f);
    const __m256i lo = _mm256_and_si256(raw, m), hi = _mm256_and_si256(_mm256_srli_epi16(raw, 4), m);
    const __m256i x0 = _mm256_loadu_si256((const __m256i *)(xq + k * QB));
    const __m256i x1 = _mm256_loadu_si256((const __m256i *)(xq + k * QB + 32));
#if defined(HEARTH_AVX512)
    const __m256i d = _mm256_dpbusd_epi32(_mm256_dpbusd_epi32(_mm256_setzero_si256(), lo, x0), hi, x1);
#else
    const __m256i p = _mm256_add_epi16(_mm256_maddubs_epi16(lo, x0), _mm256_maddubs_epi16(hi, x1));
    const __m256i d = _mm256_madd_epi16(p, _mm256_set1_epi16(1));
#endif
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(d), _mm256_permutevar8x32_ps(sc, _mm256_set1_epi32(k)), acc);
}

static void rows_q4_g64(const Job *j, int r0, int r1) {
    const long in = j->in;
    const int nb = (int)(in / QB), n8 = nb & ~7;
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * (in / 2);
        const uint16_t *sg = (const uint16_t *)j->s + (long)o * nb;
        __m256 a = _mm256_setzero_ps(), b = a, corr = a;
        int blk = 0;
        for (; blk < n8; blk += 8) {
            const __m256 sc = _mm256_mul_ps(_mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(sg + blk))),
                                            _mm256_loadu_ps(j->xs + blk));
            corr = _mm256_fmadd_ps(sc, _mm256_cvtepi32_ps(_mm256_loadu_si256((const __m256i *)(j->xsum + blk))), corr);
            const uint8_t *wb = w + blk * 32;
            const int8_t *xb = j->xq + blk * QB;
            a = q4_block(wb, xb, sc, 0, a);
            b = q4_block(wb, xb, sc, 1, b);
            a = q4_block(wb, xb, sc, 2, a);
            b = q4_block(wb, xb, sc, 3, b);
            a = q4_block(wb, xb, sc, 4, a);
            b = q4_block(wb, xb, sc, 5, b);
            a = q4_block(wb, xb, sc, 6, a);
            b = q4_block(wb, xb, sc, 7, b);
        }
        for (; blk < nb; blk++)
            a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot64_q4(w + blk * 32, j->xq + blk * QB, j->xsum[blk])),
                                _mm256_set1_ps(f16_to_f32(sg[blk]) * j->xs[blk]), a);
        put(j->y, o, hsum256(_mm256_add_ps(a, b)) - 8.f * hsum256(corr), j->post);
    }
}

static void rows_q4(const Job *j, int r0, int r1) {
    if (j->group == QB) {
        rows_q4_g64(j, r0, r1);
        return;
    }
    const long in = j->in;
    const int bpg = j->group / QB, ng = (int)(in / j->group);
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * (in / 2);
        const uint16_t *sg = (const uint16_t *)j->s + (long)o * ng;
        __m256 a = _mm256_setzero_ps(), b = a;
        int blk = 0;
        for (int g = 0; g < ng; g++) {
            const float sw = f16_to_f32(sg[g]);
            const int end = blk + bpg;
            for (; blk + 2 <= end; blk += 2) {
                a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot64_q4(w + blk * 32, j->xq + blk * QB, j->xsum[blk])),
                                    _mm256_set1_ps(sw * j->xs[blk]), a);
                b = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot64_q4(w + blk * 32 + 32, j->xq + blk * QB + QB, j->xsum[blk + 1])),
                                    _mm256_set1_ps(sw * j->xs[blk + 1]), b);
            }
            if (blk < end) {
                a = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot64_q4(w + blk * 32, j->xq + blk * QB, j->xsum[blk])),
                                    _mm256_set1_ps(sw * j->xs[blk]), a);
                blk++;
            }
        }
        put(j->y, o, hsum256(_mm256_add_ps(a, b)), j->post);
    }
}
#elif defined(HEARTH_NEON)
/* 64 inputs: the nibbles less 8 are the signed q (−8..7), so no Σ xq correction is needed */
static void rows_q4(const Job *j, int r0, int r1) {
    const long in = j->in;
    const int bpg = j->group / QB, ng = (int)(in / j->group);
    const uint8x16_t m = vdupq_n_u8(0x0f);
    const int8x16_t eight = vdupq_n_s8(8);
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * (in / 2);
        const uint16_t *sg = (const uint16_t *)j->s + (long)o * ng;
        float32x4_t a = vdupq_n_f32(0.f), b = a;
        for (long blk = 0; blk < in / QB; blk++) {
            const uint8_t *wb = w + blk * 32;
            const int8_t *xb = j->xq + blk * QB;
            const uint8x16_t r0v = vld1q_u8(wb), r1v = vld1q_u8(wb + 16);
            const int8x16_t q0 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(r0v, m)), eight);
            const int8x16_t q1 = vsubq_s8(vreinterpretq_s8_u8(vandq_u8(r1v, m)), eight);
            const int8x16_t q2 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(r0v, 4)), eight);
            const int8x16_t q3 = vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(r1v, 4)), eight);
            int32x4_t d = dot16_s8(vdupq_n_s32(0), q0, vld1q_s8(xb));
            d = dot16_s8(d, q1, vld1q_s8(xb + 16));
            d = dot16_s8(d, q2, vld1q_s8(xb + 32));
            d = dot16_s8(d, q3, vld1q_s8(xb + 48));
            const float sc = f16_to_f32(sg[blk / bpg]) * j->xs[blk];
            if (blk & 1) b = vfmaq_n_f32(b, vcvtq_f32_s32(d), sc);
            else a = vfmaq_n_f32(a, vcvtq_f32_s32(d), sc);
        }
        put(j->y, o, vaddvq_f32(vaddq_f32(a, b)), j->post);
    }
}
#else
static void rows_q4(const Job *j, int r0, int r1) {
    const long in = j->in;
    const int bpg = j->group / QB, ng = (int)(in / j->group);
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = (const uint8_t *)j->w + o * (in / 2);
        const uint16_t *sg = (const uint16_t *)j->s + (long)o * ng;
        float acc = 0.f;
        for (long blk = 0; blk < in / QB; blk++) {
            const uint8_t *wb = w + blk * 32;
            const int8_t *xb = j->xq + blk * QB;
            int32_t d = 0;
            for (int i = 0; i < 32; i++) d += (wb[i] & 15) * xb[i] + (wb[i] >> 4) * xb[i + 32];
            acc += (float)(d - 8 * j->xsum[blk]) * f16_to_f32(sg[blk / bpg]) * j->xs[blk];
        }
        put(j->y, o, acc, j->post);
    }
}
#endif

/* Every thread of the team calls this: each job's rows are split evenly, then a barrier. */
static void run_jobs(const Job *jobs, int n) {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    for (int k = 0; k < n; k++) {
        const Job *j = &jobs[k];
        int per = (j->rows + nt - 1) / nt;
        int r0 = t * per, r1 = r0 + per;
        if (r1 > j->rows) r1 = j->rows;
        if (r0 >= r1) continue;
        if (j->kind == W_Q8) rows_q8(j, r0, r1);
        else if (j->kind == W_Q4) rows_q4(j, r0, r1);
        else if (j->kind == W_F16) rows_f16(j, r0, r1);
        else if (j->kind == W_I8) rows_i8(j, r0, r1);
        else rows_f32(j, r0, r1);
    }
#pragma omp barrier
}

/* x [n] (n % QB == 0) -> q [n] int8, s [n/QB], sums [n/QB] (Σ q per block); returns 128 · Σ_b s_b Σ_{i∈b} q_i */
static float quantize(const float *x, int n, int8_t *q, float *s, int32_t *sums) {
    float k = 0.f;
    for (int b = 0; b < n / QB; b++) {
        const float *xb = x + b * QB;
        float amax = 0.f;
        for (int i = 0; i < QB; i++) amax = fmaxf(amax, fabsf(xb[i]));
        const float inv = amax > 0.f ? 127.f / amax : 0.f;
        int32_t sum = 0;
        for (int i = 0; i < QB; i++) {
            float v = rintf(xb[i] * inv);
            v = v > 127.f ? 127.f : (v < -127.f ? -127.f : v);
            q[b * QB + i] = (int8_t)v;
            sum += (int32_t)v;
        }
        s[b] = amax / 127.f;
        sums[b] = sum;
        k += s[b] * (float)sum;
    }
    return 128.f * k;
}

#endif
