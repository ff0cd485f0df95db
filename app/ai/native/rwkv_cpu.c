/* Hearth's RWKV CPU kernels for x86-64 with AVX-512 (F, BW, VNNI), threads from OpenMP: the whole RWKV-7
 * one-token decode step, the RWKV-7 and RWKV-4/5/6 WKV recurrences over a sequence, and matrix-vector
 * products in the three weight layouts for the older generations' projections.
 *
 * Built by app/ai/native_build.py on the user's machine (cc -O3 -march=native -fopenmp) and called through
 * ctypes from app/ai/v7_native.py; it links the libgomp that torch has already loaded, so torch and this
 * kernel share one thread pool. One call runs a whole token: every layer and the head, in one parallel
 * region, so a decode step costs one call from Python instead of ~40 small torch ops per layer.
 *
 * Weights: projections are fp32, fp16 or int8 ([out,in] rows). int8 rows are stored biased (w + 128, as
 * unsigned bytes) with one fp32 scale per row; their input is quantised to int8 in blocks of 64 with one
 * scale each, and VNNI's vpdpbusd multiplies 64 pairs per instruction:
 *   Σ_i w_i·x_i ≈ s_row · Σ_b s_b (Σ_{i∈b} (w_i+128)·q_i − 128·Σ_{i∈b} q_i).
 * Everything else (layer norms, the low-rank maps, the WKV state) is fp32, as in the torch path.
 */
#include <immintrin.h>
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <omp.h>

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VNNI__)
#error "the native RWKV-7 kernel needs AVX-512 F, BW and VNNI"
#endif

enum { W_F32 = 0, W_F16 = 1, W_Q8 = 2 };
enum { POST_STORE = 0, POST_ADD = 1, POST_RELU2 = 2 };
#define QB 64 /* activation quantisation block */
#define DECAY 0.606531f

typedef struct {
    int32_t L, C, H, N, V, F, nb, ng, db, wkind, emb_bf16, lora_f16; /* lora_f16: low-rank maps in fp16 */
    const void *emb;
    const float *ln_out_w, *ln_out_b;
    const void *head_w;
    const float *head_s;
    const void *const *layers; /* L x NPTR pointers, in the order below */
} V7Model;

enum {
    P_LN1W, P_LN1B, P_LN2W, P_LN2B, P_MAA, P_DOWN, P_UP, P_BIAS, P_KK, P_KA, P_RK, P_LNXW, P_LNXB, P_FMAA,
    P_RW, P_RS, P_KW, P_KS, P_VW, P_VS, P_OW, P_OS, P_FKW, P_FKS, P_FVW, P_FVS, NPTR
};

int rwkv7_abi(void) { return 2000 + NPTR; } /* lets Python check it talks to the layout it expects */

/* ---------------------------------------------------------------------------------------------------------
 * matrix-vector rows
 * ------------------------------------------------------------------------------------------------------- */
typedef struct {
    int kind, post, rows, in, x_block; /* x_block > 0: row r reads x + (r / x_block) * in (f32 only) */
    const void *w;
    const float *s;  /* q8: per-row scales */
    const float *x;  /* f32 / f16 input */
    const int8_t *xq; /* q8 input */
    const float *xs;  /* q8 block scales */
    float xk;         /* q8: 128 · Σ_b s_b Σ q */
    float *y;
} Job;

static inline void put(float *y, int o, float v, int post) {
    if (post == POST_ADD) y[o] += v;
    else if (post == POST_RELU2) { v = v > 0.f ? v : 0.f; y[o] = v * v; }
    else y[o] = v;
}

static inline __m512 ld_f16(const uint16_t *p) { return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)p)); }

/* One row at a time with four accumulators: on this hardware one sequential stream per thread reads
 * 5-70 % faster than interleaving four rows (measured 23-33 GB/s for fp32/fp16/int8 rows on 2 cores). */
static void rows_f32(const Job *j, int r0, int r1) {
    const float *W = (const float *)j->w;
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const float *w = W + o * in, *x = j->x_block ? j->x + (long)(o / j->x_block) * in : j->x;
        __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
        for (long i = 0; i < in; i += 64) {
            a = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a);
            b = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), b);
            c = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 32), _mm512_loadu_ps(x + i + 32), c);
            d = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 48), _mm512_loadu_ps(x + i + 48), d);
        }
        put(j->y, o, _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d))), j->post);
    }
}

static void rows_f16(const Job *j, int r0, int r1) {
    const uint16_t *W = (const uint16_t *)j->w;
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint16_t *w = W + o * in;
        const float *x = j->x_block ? j->x + (long)(o / j->x_block) * in : j->x;
        __m512 a = _mm512_setzero_ps(), b = a, c = a, d = a;
        for (long i = 0; i < in; i += 64) {
            a = _mm512_fmadd_ps(ld_f16(w + i), _mm512_loadu_ps(x + i), a);
            b = _mm512_fmadd_ps(ld_f16(w + i + 16), _mm512_loadu_ps(x + i + 16), b);
            c = _mm512_fmadd_ps(ld_f16(w + i + 32), _mm512_loadu_ps(x + i + 32), c);
            d = _mm512_fmadd_ps(ld_f16(w + i + 48), _mm512_loadu_ps(x + i + 48), d);
        }
        put(j->y, o, _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a, b), _mm512_add_ps(c, d))), j->post);
    }
}

static inline __m512 dot_q8(const uint8_t *w, const int8_t *xq, float s, __m512 acc) {
    __m512i d = _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_loadu_si512((const void *)w),
                                    _mm512_loadu_si512((const void *)xq));
    return _mm512_fmadd_ps(_mm512_cvtepi32_ps(d), _mm512_set1_ps(s), acc);
}

static void rows_q8(const Job *j, int r0, int r1) {
    const uint8_t *W = (const uint8_t *)j->w;
    const int8_t *xq = j->xq;
    const float *xs = j->xs;
    const long in = j->in;
    for (int o = r0; o < r1; o++) {
        const uint8_t *w = W + o * in;
        __m512 a = _mm512_setzero_ps(), b = a;
        long i = 0;
        for (; i + 2 * QB <= in; i += 2 * QB) {
            a = dot_q8(w + i, xq + i, xs[i / QB], a);
            b = dot_q8(w + i + QB, xq + i + QB, xs[i / QB + 1], b);
        }
        for (; i < in; i += QB) a = dot_q8(w + i, xq + i, xs[i / QB], a);
        put(j->y, o, (_mm512_reduce_add_ps(_mm512_add_ps(a, b)) - j->xk) * j->s[o], j->post);
    }
}

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
        else if (j->kind == W_F16) rows_f16(j, r0, r1);
        else rows_f32(j, r0, r1);
    }
#pragma omp barrier
}

/* x [n] (n % QB == 0) -> q [n] int8, s [n/QB]; returns 128 · Σ_b s_b Σ_{i∈b} q_i */
static float quantize(const float *x, int n, int8_t *q, float *s) {
    float k = 0.f;
    const __m512 sign = _mm512_set1_ps(-0.0f);
    for (int b = 0; b < n / QB; b++) {
        const float *xb = x + b * QB;
        __m512 m = _mm512_setzero_ps();
        for (int i = 0; i < QB; i += 16) m = _mm512_max_ps(m, _mm512_andnot_ps(sign, _mm512_loadu_ps(xb + i)));
        float amax = _mm512_reduce_max_ps(m);
        float sc = amax / 127.f, inv = amax > 0.f ? 127.f / amax : 0.f;
        __m512i sum = _mm512_setzero_si512();
        for (int i = 0; i < QB; i += 16) {
            __m512i qi = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_loadu_ps(xb + i), _mm512_set1_ps(inv)));
            qi = _mm512_max_epi32(_mm512_min_epi32(qi, _mm512_set1_epi32(127)), _mm512_set1_epi32(-127));
            _mm_storeu_si128((__m128i *)(q + b * QB + i), _mm512_cvtepi32_epi8(qi));
            sum = _mm512_add_epi32(sum, qi);
        }
        s[b] = sc;
        k += sc * (float)_mm512_reduce_add_epi32(sum);
    }
    return 128.f * k;
}

/* ---------------------------------------------------------------------------------------------------------
 * small fp32 pieces (one thread)
 * ------------------------------------------------------------------------------------------------------- */
static void layer_norm(const float *x, int n, const float *w, const float *b, float *out) {
    double mean = 0., var = 0.;
    for (int i = 0; i < n; i++) mean += x[i];
    mean /= n;
    for (int i = 0; i < n; i++) { double d = x[i] - mean; var += d * d; }
    const float m = (float)mean, inv = (float)(1.0 / sqrt(var / n + 1e-5));
    for (int i = 0; i < n; i++) out[i] = (x[i] - m) * inv * w[i] + b[i];
}

static inline float sigmoid(float v) { return 1.f / (1.f + expf(-v)); }

/* ---------------------------------------------------------------------------------------------------------
 * scratch
 * ------------------------------------------------------------------------------------------------------- */
typedef struct {
    float *x, *xx, *mixed, *d, *g, *wsig, *a, *vg, *r, *k, *v, *vfirst, *yg, *hid, *out, *qs;
    int8_t *q;
} Scratch;

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

static size_t carve(const V7Model *m, unsigned char *base, Scratch *sc) {
    const size_t C = m->C, F = m->F, nb = m->nb;
    size_t off = 0;
#define TAKE(field, count, type)                                                                           \
    do {                                                                                                   \
        if (sc) sc->field = (type *)(base + off);                                                          \
        off += up64((count) * sizeof(type));                                                               \
    } while (0)
    TAKE(x, C, float); TAKE(xx, C, float); TAKE(mixed, (nb + 2) * C, float); TAKE(d, nb * m->db, float);
    TAKE(g, C, float); TAKE(wsig, C, float); TAKE(a, C, float); TAKE(vg, C, float);
    TAKE(r, C, float); TAKE(k, C, float); TAKE(v, C, float); TAKE(vfirst, C, float); TAKE(yg, C, float);
    TAKE(hid, F, float); TAKE(out, C, float);
    TAKE(q, 3 * C + F, int8_t); TAKE(qs, (3 * C + F) / QB + 4, float);
#undef TAKE
    return off;
}

size_t rwkv7_scratch_bytes(const V7Model *m) { return carve(m, NULL, NULL) + 64; }

/* ---------------------------------------------------------------------------------------------------------
 * the decode step
 * ------------------------------------------------------------------------------------------------------- */
static Job proj(const V7Model *m, const void *w, const float *s, const float *x, const int8_t *xq,
                const float *xs, float xk, float *y, int rows, int in, int post) {
    Job j = {m->wkind, post, rows, in, 0, w, s, x, xq, xs, xk, y};
    return j;
}

/* LoRA up-projections, split by columns: u_j = d_j · up_j ([Db] x [Db,C]); g = Σ_{j<ng} u_j,
 * wsig = σ(u_w + w0), a = σ(u_a + a0), vg = σ(u_v + v0). `up` rows are fp32, or fp16 when m->lora_f16. */
static void lora_up(const V7Model *m, const void *up, const float *bias, Scratch *S) {
    const int t = omp_get_thread_num(), nt = omp_get_num_threads();
    const int C = m->C, db = m->db, ng = m->ng;
    int per = ((C + nt - 1) / nt + 15) & ~15;
    int c0 = t * per, c1 = c0 + per;
    if (c1 > C) c1 = C;
    float *outs[4] = {S->g, S->wsig, S->a, S->vg};
    for (int o = 0; o < 4; o++) {
        float *dst = outs[o];
        int jb = o == 0 ? 0 : ng + o - 1, je = o == 0 ? ng : jb + 1;
        for (int c = c0; c < c1; c++) dst[c] = 0.f;
        for (int jj = jb; jj < je; jj++)
            for (int dd = 0; dd < db; dd++) {
                const float coef = S->d[jj * db + dd];
                if (coef == 0.f) continue;
                const long row = ((long)jj * db + dd) * C;
                const __m512 cv = _mm512_set1_ps(coef);
                if (m->lora_f16) {
                    const uint16_t *u = (const uint16_t *)up + row;
                    for (int c = c0; c < c1; c += 16)
                        _mm512_storeu_ps(dst + c, _mm512_fmadd_ps(cv, ld_f16(u + c), _mm512_loadu_ps(dst + c)));
                } else {
                    const float *u = (const float *)up + row;
                    for (int c = c0; c < c1; c += 16)
                        _mm512_storeu_ps(dst + c,
                                         _mm512_fmadd_ps(cv, _mm512_loadu_ps(u + c), _mm512_loadu_ps(dst + c)));
                }
            }
        if (o > 0) {
            const float *b0 = bias + (long)(o - 1) * C;
            for (int c = c0; c < c1; c++) dst[c] = sigmoid(dst[c] + b0[c]);
        }
    }
}

/* One head: kk, k, v (value residual), decay; the state update S ← S·diag(w) − (S·kk)(kk⊙a)ᵀ + v kᵀ,
 * y = S·r, its group norm, the r·k bonus and the gate. */
static void head_step(const V7Model *m, const void *const *P, int layer, int h, float *wkv, Scratch *S) {
    const int N = m->N, off = h * N;
    const float *k_k = (const float *)P[P_KK] + off, *k_a = (const float *)P[P_KA] + off;
    const float *r_k = (const float *)P[P_RK] + off;
    const float *r = S->r + off, *k = S->k + off, *a = S->a + off, *g = S->g + off;
    float *v = S->v + off, *vf = S->vfirst + off;
    float kk[N], kf[N], w[N], b[N], y[N];
    float nrm = 0.f;
    for (int i = 0; i < N; i++) { kk[i] = k[i] * k_k[i]; nrm += kk[i] * kk[i]; }
    float sq = sqrtf(nrm), inv = 1.f / (sq > 1e-12f ? sq : 1e-12f);
    for (int i = 0; i < N; i++) {
        kk[i] *= inv;
        kf[i] = k[i] * ((1.f - k_a[i]) + a[i] * k_a[i]);
        w[i] = expf(-DECAY * S->wsig[off + i]);
        b[i] = kk[i] * a[i];
        if (layer == 0) vf[i] = v[i];
        else v[i] = v[i] + S->vg[off + i] * (vf[i] - v[i]);
    }
    float *St = wkv + (long)h * N * N;
    for (int i = 0; i < N; i++) {
        float *row = St + (long)i * N;
        float sa = 0.f;
        for (int jj = 0; jj < N; jj++) sa += row[jj] * kk[jj];
        const float vi = v[i];
        float acc = 0.f;
        for (int jj = 0; jj < N; jj++) {
            float s = row[jj] * w[jj] - sa * b[jj] + vi * kf[jj];
            row[jj] = s;
            acc += s * r[jj];
        }
        y[i] = acc;
    }
    float mean = 0.f, var = 0.f, bonus = 0.f;
    for (int i = 0; i < N; i++) mean += y[i];
    mean /= N;
    for (int i = 0; i < N; i++) { float dv = y[i] - mean; var += dv * dv; }
    const float ivs = 1.f / sqrtf(var / N + 64e-5f);
    for (int i = 0; i < N; i++) bonus += r[i] * kf[i] * r_k[i];
    const float *lw = (const float *)P[P_LNXW] + off, *lb = (const float *)P[P_LNXB] + off;
    for (int i = 0; i < N; i++) S->yg[off + i] = ((y[i] - mean) * ivs * lw[i] + lb[i] + bonus * v[i]) * g[i];
}

void rwkv7_decode(const V7Model *m, int token, float *att_x, float *ffn_x, float *wkv, float *logits,
                  void *scratch, int nthreads) {
    const int L = m->L, C = m->C, H = m->H, N = m->N, F = m->F, nb = m->nb, db = m->db;
    const int q8 = m->wkind == W_Q8;
    Scratch S;
    carve(m, (unsigned char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63), &S);
    int8_t *qr = S.q, *qk = S.q + C, *qv = S.q + 2 * C, *qh = S.q + 3 * C; /* qh: hidden, y·g, kx, out */
    float *sr = S.qs, *sk = S.qs + C / QB, *sv = S.qs + 2 * C / QB, *sh = S.qs + 3 * C / QB;
    float kr = 0.f, kkq = 0.f, kv = 0.f, kh = 0.f;

    if (m->emb_bf16) {
        const uint16_t *e = (const uint16_t *)m->emb + (long)token * C;
        for (int i = 0; i < C; i++) { uint32_t u = (uint32_t)e[i] << 16; memcpy(&S.x[i], &u, 4); }
    } else {
        memcpy(S.x, (const float *)m->emb + (long)token * C, (size_t)C * 4);
    }

#pragma omp parallel num_threads(nthreads)
    {
        for (int l = 0; l < L; l++) {
            const void *const *P = m->layers + (long)l * NPTR;
            float *ax = att_x + (long)l * C, *fx = ffn_x + (long)l * C, *st = wkv + (long)l * H * N * N;
#pragma omp single
            {
                layer_norm(S.x, C, (const float *)P[P_LN1W], (const float *)P[P_LN1B], S.xx);
                const float *maa = (const float *)P[P_MAA];
                for (int jj = 0; jj < nb + 2; jj++)
                    for (int i = 0; i < C; i++)
                        S.mixed[(long)jj * C + i] = S.xx[i] + (ax[i] - S.xx[i]) * maa[(long)jj * C + i];
                memcpy(ax, S.xx, (size_t)C * 4);
                if (q8) {
                    kr = quantize(S.mixed + (long)nb * C, C, qr, sr);
                    kkq = quantize(S.mixed + (long)(nb + 1) * C, C, qk, sk);
                    kv = quantize(S.mixed + (long)(nb - 1) * C, C, qv, sv);
                }
            }
            {
                Job jobs[4] = {
                    {m->lora_f16 ? W_F16 : W_F32, POST_STORE, nb * db, C, db, P[P_DOWN], NULL, S.mixed, NULL,
                     NULL, 0.f, S.d},
                    proj(m, P[P_RW], P[P_RS], S.mixed + (long)nb * C, qr, sr, kr, S.r, C, C, POST_STORE),
                    proj(m, P[P_KW], P[P_KS], S.mixed + (long)(nb + 1) * C, qk, sk, kkq, S.k, C, C, POST_STORE),
                    proj(m, P[P_VW], P[P_VS], S.mixed + (long)(nb - 1) * C, qv, sv, kv, S.v, C, C, POST_STORE),
                };
                run_jobs(jobs, 4);
            }
#pragma omp single
            {
                const int ng = m->ng;
                for (int i = 0; i < ng * db; i++) S.d[i] = sigmoid(S.d[i]);
                for (int i = ng * db; i < (ng + 1) * db; i++) S.d[i] = tanhf(S.d[i]);
            }
            lora_up(m, P[P_UP], (const float *)P[P_BIAS], &S);
#pragma omp barrier
#pragma omp for schedule(static)
            for (int h = 0; h < H; h++) head_step(m, P, l, h, st, &S);
#pragma omp single
            {
                if (q8) kh = quantize(S.yg, C, qh, sh);
            }
            {
                Job jo = proj(m, P[P_OW], P[P_OS], S.yg, qh, sh, kh, S.x, C, C, POST_ADD);
                run_jobs(&jo, 1);
            }
#pragma omp single
            {
                layer_norm(S.x, C, (const float *)P[P_LN2W], (const float *)P[P_LN2B], S.xx);
                const float *fm = (const float *)P[P_FMAA];
                for (int i = 0; i < C; i++) S.out[i] = S.xx[i] + (fx[i] - S.xx[i]) * fm[i];
                memcpy(fx, S.xx, (size_t)C * 4);
                if (q8) kh = quantize(S.out, C, qh, sh);
            }
            {
                Job jk = proj(m, P[P_FKW], P[P_FKS], S.out, qh, sh, kh, S.hid, F, C, POST_RELU2);
                run_jobs(&jk, 1);
            }
#pragma omp single
            {
                if (q8) kh = quantize(S.hid, F, qh, sh);
            }
            {
                Job jv = proj(m, P[P_FVW], P[P_FVS], S.hid, qh, sh, kh, S.x, C, F, POST_ADD);
                run_jobs(&jv, 1);
            }
        }
#pragma omp single
        {
            layer_norm(S.x, C, m->ln_out_w, m->ln_out_b, S.out);
            if (q8) kh = quantize(S.out, C, qh, sh);
        }
        {
            Job jh = proj(m, m->head_w, m->head_s, S.out, qh, sh, kh, logits, m->V, C, POST_STORE);
            run_jobs(&jh, 1);
        }
    }
}

/* ---------------------------------------------------------------------------------------------------------
 * the WKV recurrence over a sequence (prefill), token by token as the reference does it
 * ------------------------------------------------------------------------------------------------------- */
/* One head over T steps. The head's state is held transposed (key-major, St[j][i] = S[i][j]) so that every
 * product is a vertical FMA over the value index i, with no horizontal sums:
 *   sa = Σ_j a_j St[j,:];  St[j,:] = St[j,:]·w_j + b_j·sa + k_j·v;  y = Σ_j r_j St[j,:]. */
static inline void wkv_head(int T, int H, int N, int h, const float *r, const float *w, const float *k,
                            const float *v, const float *a, const float *b, float *S, float *y) {
    const int nv = N / 16;
    float St[N * N] __attribute__((aligned(64)));
    float *Sh = S + (long)h * N * N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) St[j * N + i] = Sh[i * N + j];
    for (int t = 0; t < T; t++) {
        const long off = ((long)t * H + h) * N;
        __m512 sa[16], vv[16], yy[16];
        for (int q = 0; q < nv; q++) {
            sa[q] = _mm512_setzero_ps();
            yy[q] = _mm512_setzero_ps();
            vv[q] = _mm512_loadu_ps(v + off + 16 * q);
        }
        for (int j = 0; j < N; j++) {
            const __m512 aj = _mm512_set1_ps(a[off + j]);
            for (int q = 0; q < nv; q++) sa[q] = _mm512_fmadd_ps(aj, _mm512_load_ps(St + j * N + 16 * q), sa[q]);
        }
        for (int j = 0; j < N; j++) {
            const __m512 wj = _mm512_set1_ps(w[off + j]), bj = _mm512_set1_ps(b[off + j]);
            const __m512 kj = _mm512_set1_ps(k[off + j]), rj = _mm512_set1_ps(r[off + j]);
            float *row = St + j * N;
            for (int q = 0; q < nv; q++) {
                __m512 s = _mm512_mul_ps(_mm512_load_ps(row + 16 * q), wj);
                s = _mm512_fmadd_ps(sa[q], bj, s);
                s = _mm512_fmadd_ps(vv[q], kj, s);
                _mm512_store_ps(row + 16 * q, s);
                yy[q] = _mm512_fmadd_ps(rj, s, yy[q]);
            }
        }
        for (int q = 0; q < nv; q++) _mm512_storeu_ps(y + off + 16 * q, yy[q]);
    }
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) Sh[i * N + j] = St[j * N + i];
}

/* r, w (decay multipliers), k, v, a, b, y: [T,H,N]; S: [H,N(value),N(key)] updated in place; N % 16 == 0,
 * N <= 256. Heads run in parallel. */
void rwkv7_wkv_seq(int T, int H, int N, const float *r, const float *w, const float *k, const float *v,
                   const float *a, const float *b, float *S, float *y, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int h = 0; h < H; h++) {
        if (N == 64) wkv_head(T, H, 64, h, r, w, k, v, a, b, S, y); /* constant N: registers, unrolled */
        else wkv_head(T, H, N, h, r, w, k, v, a, b, S, y);
    }
}

/* y = W·x for rows W [rows,in] of fp32 (kind 0), fp16 (1) or biased int8 with row scales s (2), in % 64 == 0:
 * the decode step's matrix-vector loop on its own (the older generations' projections, and the benchmark's
 * measure of this machine's matvec bandwidth). */
void rwkv_matvec(int kind, const void *w, const float *s, const float *x, float *y, int rows, int in,
                 int nthreads) {
    int8_t xq[kind == W_Q8 ? in : 1] __attribute__((aligned(64)));
    float xs[kind == W_Q8 ? in / QB : 1];
    float xk = kind == W_Q8 ? quantize(x, in, xq, xs) : 0.f;
#pragma omp parallel num_threads(nthreads)
    {
        Job j = {kind, POST_STORE, rows, in, 0, w, s, x, xq, xs, xk, y};
        run_jobs(&j, 1);
    }
}

/* RWKV-5.2/6: per head, S [key,value] (the state's own layout, key-major already):
 *   y_t = Σ_j r_j S[j,:] ;  S[j,:] = S[j,:]·w_j + k_j·v   (w: decay multipliers, [T,H,N] like r, k, v, y). */
void rwkv6_wkv_seq(int T, int H, int N, const float *r, const float *w, const float *k, const float *v,
                   float *S, float *y, int nthreads) {
#pragma omp parallel for num_threads(nthreads) schedule(static)
    for (int h = 0; h < H; h++) {
        float *Sh = S + (long)h * N * N;
        const int nv = N / 16;
        for (int t = 0; t < T; t++) {
            const long off = ((long)t * H + h) * N;
            __m512 yy[16], vv[16];
            for (int q = 0; q < nv; q++) {
                yy[q] = _mm512_setzero_ps();
                vv[q] = _mm512_loadu_ps(v + off + 16 * q);
            }
            for (int j = 0; j < N; j++) {
                const __m512 rj = _mm512_set1_ps(r[off + j]), wj = _mm512_set1_ps(w[off + j]);
                const __m512 kj = _mm512_set1_ps(k[off + j]);
                float *row = Sh + (long)j * N;
                for (int q = 0; q < nv; q++) {
                    __m512 s = _mm512_loadu_ps(row + 16 * q);
                    yy[q] = _mm512_fmadd_ps(rj, s, yy[q]);
                    _mm512_storeu_ps(row + 16 * q, _mm512_fmadd_ps(s, wj, _mm512_mul_ps(kj, vv[q])));
                }
            }
            for (int q = 0; q < nv; q++) _mm512_storeu_ps(y + off + 16 * q, yy[q]);
        }
    }
}

/* RWKV-4, numerically stable form over [T,C] k, v; aa, bb, pp [C] updated in place; w = −exp(time_decay),
 * u = time_first. Channels are independent: each thread takes a range and walks the tokens in order. */
void rwkv4_wkv_seq(int T, int C, const float *w, const float *u, const float *k, const float *v, float *aa,
                   float *bb, float *pp, float *out, int nthreads) {
#pragma omp parallel num_threads(nthreads)
    {
        const int t_id = omp_get_thread_num(), nt = omp_get_num_threads();
        const int per = (C + nt - 1) / nt, c0 = t_id * per, c1 = c0 + per < C ? c0 + per : C;
        for (int t = 0; t < T; t++) {
            const float *kt = k + (long)t * C, *vt = v + (long)t * C;
            float *ot = out + (long)t * C;
            for (int c = c0; c < c1; c++) {
                const float p = pp[c], a = aa[c], b = bb[c];
                float ww = u[c] + kt[c], q = p > ww ? p : ww;
                float e1 = expf(p - q), e2 = expf(ww - q);
                ot[c] = (e1 * a + e2 * vt[c]) / (e1 * b + e2);
                ww = w[c] + p;
                q = ww > kt[c] ? ww : kt[c];
                e1 = expf(ww - q);
                e2 = expf(kt[c] - q);
                aa[c] = e1 * a + e2 * vt[c];
                bb[c] = e1 * b + e2;
                pp[c] = q;
            }
        }
    }
}
