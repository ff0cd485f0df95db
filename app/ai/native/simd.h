/* The vector operations rwkv_cpu.c is written in, for each variant it is built as:
 *   HEARTH_AVX512   AVX-512 F/BW/VL + VNNI (16 lanes; int8 rows through vpdpbusd)
 *   HEARTH_AVX2     AVX2 + FMA + F16C     (8 lanes; int8 rows through vpmaddubsw with the sign trick)
 *   HEARTH_NEON     Arm NEON on aarch64   (4 lanes; int8 rows through widening vmull_s8/vpadalq_s16, or
 *                                          vdotq_s32 when built for the dot-product extension: "neondot")
 *   neither         portable C             (8 lanes of GCC/Clang vector extensions; any CPU, any ISA)
 * A vector `vf` holds VW floats; loads and stores are unaligned unless named otherwise (v_load_f16, v_load_i8:
 * VW halves or signed bytes widened to floats).
 */
#ifndef HEARTH_SIMD_H
#define HEARTH_SIMD_H

#include <stdint.h>
#include <string.h>

#if defined(HEARTH_AVX512)
#include <immintrin.h>
#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VNNI__) || !defined(__AVX512VL__)
#error "the avx512 variant needs AVX-512 F, BW, VL and VNNI"
#endif
#define VARIANT "avx512"
#define VW 16
typedef __m512 vf;
static inline vf v_load(const float *p) { return _mm512_loadu_ps(p); }
static inline void v_store(float *p, vf v) { _mm512_storeu_ps(p, v); }
static inline vf v_zero(void) { return _mm512_setzero_ps(); }
static inline vf v_set1(float x) { return _mm512_set1_ps(x); }
static inline vf v_fma(vf a, vf b, vf c) { return _mm512_fmadd_ps(a, b, c); }
static inline vf v_mul(vf a, vf b) { return _mm512_mul_ps(a, b); }
static inline vf v_add(vf a, vf b) { return _mm512_add_ps(a, b); }
static inline float v_sum(vf v) { return _mm512_reduce_add_ps(v); }
static inline vf v_load_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }
static inline vf v_load_i8(const int8_t *p) {
    return _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)p)));
}
static inline float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

#elif defined(HEARTH_AVX2)
#include <immintrin.h>
#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#error "the avx2 variant needs AVX2, FMA and F16C"
#endif
#define VARIANT "avx2"
#define VW 8
typedef __m256 vf;
static inline vf v_load(const float *p) { return _mm256_loadu_ps(p); }
static inline void v_store(float *p, vf v) { _mm256_storeu_ps(p, v); }
static inline vf v_zero(void) { return _mm256_setzero_ps(); }
static inline vf v_set1(float x) { return _mm256_set1_ps(x); }
static inline vf v_fma(vf a, vf b, vf c) { return _mm256_fmadd_ps(a, b, c); }
static inline vf v_mul(vf a, vf b) { return _mm256_mul_ps(a, b); }
static inline vf v_add(vf a, vf b) { return _mm256_add_ps(a, b); }
static inline float v_sum(vf v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}
static inline vf v_load_f16(const uint16_t *p) { return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)p)); }
static inline vf v_load_i8(const int8_t *p) {
    return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)p)));
}
static inline float f16_to_f32(uint16_t h) { return _cvtsh_ss(h); }

#elif defined(HEARTH_NEON)
#include <arm_neon.h>
#if !defined(__aarch64__)
#error "the neon variant is for aarch64"
#endif
#if defined(__ARM_FEATURE_DOTPROD)
#define VARIANT "neondot"
#else
#define VARIANT "neon"
#endif
#define VW 4
typedef float32x4_t vf;
static inline vf v_load(const float *p) { return vld1q_f32(p); }
static inline void v_store(float *p, vf v) { vst1q_f32(p, v); }
static inline vf v_zero(void) { return vdupq_n_f32(0.f); }
static inline vf v_set1(float x) { return vdupq_n_f32(x); }
static inline vf v_fma(vf a, vf b, vf c) { return vfmaq_f32(c, a, b); }
static inline vf v_mul(vf a, vf b) { return vmulq_f32(a, b); }
static inline vf v_add(vf a, vf b) { return vaddq_f32(a, b); }
static inline float v_sum(vf v) { return vaddvq_f32(v); }
static inline vf v_load_f16(const uint16_t *p) { return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(p))); }
static inline vf v_load_i8(const int8_t *p) {
    int32_t four;
    memcpy(&four, p, 4);
    return vcvtq_f32_s32(vmovl_s16(vget_low_s16(vmovl_s8(vreinterpret_s8_s32(vdup_n_s32(four))))));
}
static inline float f16_to_f32(uint16_t h) {
    __fp16 f;
    memcpy(&f, &h, 2);
    return (float)f;
}

#else
#define VARIANT "portable"
#define VW 8
typedef float vf __attribute__((vector_size(VW * sizeof(float))));
static inline vf v_load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline void v_store(float *p, vf v) { memcpy(p, &v, sizeof v); }
static inline vf v_zero(void) { vf v = {0}; return v; }
static inline vf v_set1(float x) { return v_zero() + x; }
static inline vf v_fma(vf a, vf b, vf c) { return a * b + c; }
static inline vf v_mul(vf a, vf b) { return a * b; }
static inline vf v_add(vf a, vf b) { return a + b; }
static inline float v_sum(vf v) {
    float s = 0.f;
    for (int i = 0; i < VW; i++) s += v[i];
    return s;
}
/* IEEE half -> float by bits (normals, subnormals, inf/nan) */
static inline float f16_to_f32(uint16_t h) {
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0x1f) bits = sign | 0x7f800000u | (man << 13);
    else if (exp) bits = sign | ((exp + 112) << 23) | (man << 13);
    else if (!man) bits = sign;
    else {
        int e = 113;
        while (!(man & 0x400)) { man <<= 1; e--; }
        bits = sign | ((uint32_t)e << 23) | ((man & 0x3ff) << 13);
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}
static inline vf v_load_f16(const uint16_t *p) {
    vf v;
    for (int i = 0; i < VW; i++) v[i] = f16_to_f32(p[i]);
    return v;
}
static inline vf v_load_i8(const int8_t *p) {
    vf v;
    for (int i = 0; i < VW; i++) v[i] = (float)p[i];
    return v;
}
#endif

#endif
