/* Hearth's RWKV CPU kernels, threads from OpenMP: the whole RWKV-7 one-token decode step, the RWKV-7 and
 * RWKV-4/5/6 WKV recurrences over a sequence, and matrix-vector products in four weight layouts (rows.h).
 *
 * One source, four builds (simd.h): avx512 (AVX-512 VNNI), avx2 (AVX2 + FMA + F16C), neon (aarch64) and
 * portable C.
 * app/ai/native_build.py builds them ahead of time (`python -m app.ai.native_build --prebuild DIR`) or on
 * first use, and picks the one this CPU runs; app/ai/native_ops.py and v7_native.py call them through
 * ctypes. The library links the libgomp that torch has already loaded, so torch and the kernels share one
 * thread pool. One call runs a whole token: every layer and the head, in one parallel region.
 *
 * Everything but the projections (layer norms, the low-rank maps, the WKV state) is fp32, as in the torch
 * path; the low-rank maps may be fp16, or int8 with one fp32 scale per row (W_I8).
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <omp.h>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

#include "rows.h"
#include "simd.h"

#ifndef HEARTH_SOURCE_ID
#define HEARTH_SOURCE_ID "unknown"
#endif
#define DECAY 0.606531f
#define ABI 3002

typedef struct {
    const void *w; /* [rows, in] in the model's weight layout */
    const void *s; /* q8: fp32 per row; q4: fp16 per group; else NULL */
} Mat;

typedef struct {
    const float *ln1_w, *ln1_b, *ln2_w, *ln2_b;
    const float *maa;                /* [nb+2, C] token-shift mixes: g×ng, w, a, v, r, k */
    const void *lora_down, *lora_up; /* [nb, db, C] in the model's lora_kind: W_F32, W_F16 or W_I8 */
    const float *lora_down_s, *lora_up_s; /* W_I8: fp32 scale per row [nb * db]; else NULL */
    const float *lora_bias;          /* [3, C] w0, a0, v0 */
    const float *k_k, *k_a, *r_k, *lnx_w, *lnx_b, *ffn_maa;
    Mat r, k, v, o, ffn_k, ffn_v;
} V7Layer;

typedef struct {
    int32_t L, C, H, N, V, F, nb, ng, db;
    int32_t wkind, head_kind, group; /* layouts of the layers' projections and of the head; q4 group size */
    int32_t emb_kind, lora_kind; /* emb_kind: EMB_F32, EMB_BF16 or EMB_I8 */
    const void *emb;      /* [V, C] fp32, bf16 or int8 rows */
    const float *emb_s;   /* EMB_I8: fp32 scale per row [V]; else NULL */
    const float *ln_out_w, *ln_out_b;
    Mat head;
    const V7Layer *layers; /* [L] */
} V7Model;

enum { EMB_F32 = 0, EMB_BF16 = 1, EMB_I8 = 2 };

int rwkv_abi(void) { return ABI; }
const char *rwkv_variant(void) { return VARIANT; }
const char *rwkv_source_id(void) { return HEARTH_SOURCE_ID; }

/* 1 when this CPU has what this build uses (loading a library never runs its instructions; calling does) */
int rwkv_cpu_supported(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
#if defined(HEARTH_AVX512)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
           __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#elif defined(HEARTH_AVX2)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
#elif defined(__aarch64__) && defined(__ARM_FEATURE_DOTPROD) && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0; /* built for the dot-product extension */
#endif
    return 1;
}

/* "Struct.field@offset," for every field Python fills: the binding compares it with its own, by name. */
int rwkv7_layout(char *buf, int cap) {
    int n = 0;
#define F(T, f) n += snprintf(buf + n, n < cap ? (size_t)(cap - n) : 0, #T "." #f "@%zu,", offsetof(T, f))
    F(V7Layer, ln1_w); F(V7Layer, ln1_b); F(V7Layer, ln2_w); F(V7Layer, ln2_b); F(V7Layer, maa);
    F(V7Layer, lora_down); F(V7Layer, lora_up); F(V7Layer, lora_down_s); F(V7Layer, lora_up_s);
    F(V7Layer, lora_bias); F(V7Layer, k_k); F(V7Layer, k_a);
    F(V7Layer, r_k); F(V7Layer, lnx_w); F(V7Layer, lnx_b); F(V7Layer, ffn_maa);
    F(V7Layer, r.w); F(V7Layer, r.s); F(V7Layer, k.w); F(V7Layer, k.s); F(V7Layer, v.w); F(V7Layer, v.s);
    F(V7Layer, o.w); F(V7Layer, o.s); F(V7Layer, ffn_k.w); F(V7Layer, ffn_k.s); F(V7Layer, ffn_v.w);
    F(V7Layer, ffn_v.s);
    F(V7Model, L); F(V7Model, C); F(V7Model, H); F(V7Model, N); F(V7Model, V); F(V7Model, F); F(V7Model, nb);
    F(V7Model, ng); F(V7Model, db); F(V7Model, wkind); F(V7Model, head_kind); F(V7Model, group);
    F(V7Model, emb_kind); F(V7Model, lora_kind); F(V7Model, emb); F(V7Model, emb_s); F(V7Model, ln_out_w);
    F(V7Model, ln_out_b);
    F(V7Model, head.w); F(V7Model, head.s); F(V7Model, layers);
#undef F
    n += snprintf(buf + n, n < cap ? (size_t)(cap - n) : 0, "sizes@%zu/%zu", sizeof(V7Layer), sizeof(V7Model));
    return n;
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
    int32_t *qsum;
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
    TAKE(q, 3 * C + F, int8_t); TAKE(qs, (3 * C + F) / QB + 4, float); TAKE(qsum, (3 * C + F) / QB + 4, int32_t);
#undef TAKE
    return off;
}

size_t rwkv7_scratch_bytes(const V7Model *m) { return carve(m, NULL, NULL) + 64; }

/* ---------------------------------------------------------------------------------------------------------
 * the decode step
 * ------------------------------------------------------------------------------------------------------- */
/* An activation vector and, for int8/int4 weights, its quantised form */
typedef struct {
    const float *x;
    int8_t *q;
    float *s;
    int32_t *sum;
    float k;
} Input;

static Job proj(int kind, int group, Mat w, const Input *in, float *y, int rows, int cols, int post) {
    Job j = {kind, post, rows, cols, 0, group, w.w, w.s, in->x, in->q, in->s, in->sum, in->k, y};
    return j;
}

static void quantize_input(Input *in, int n, int kind) {
    if (kind == W_Q8 || kind == W_Q4) in->k = quantize(in->x, n, in->q, in->s, in->sum);
}

/* LoRA up-projections, split by columns: u_j = d_j · up_j ([Db] x [Db,C]); g = Σ_{j<ng} u_j,
 * wsig = σ(u_w + w0), a = σ(u_a + a0), vg = σ(u_v + v0). `up` rows are in m->lora_kind (W_I8: times `up_s`,
 * the row's scale, folded into its coefficient). */
static void lora_up(const V7Model *m, const void *up, const float *up_s, const float *bias, Scratch *S) {
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
                if (m->lora_kind == W_I8) {
                    const vf cv = v_set1(coef * up_s[jj * db + dd]);
                    const int8_t *u = (const int8_t *)up + row;
                    for (int c = c0; c < c1; c += VW) v_store(dst + c, v_fma(cv, v_load_i8(u + c), v_load(dst + c)));
                    continue;
                }
                const vf cv = v_set1(coef);
                if (m->lora_kind == W_F16) {
                    const uint16_t *u = (const uint16_t *)up + row;
                    for (int c = c0; c < c1; c += VW) v_store(dst + c, v_fma(cv, v_load_f16(u + c), v_load(dst + c)));
                } else {
                    const float *u = (const float *)up + row;
                    for (int c = c0; c < c1; c += VW) v_store(dst + c, v_fma(cv, v_load(u + c), v_load(dst + c)));
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
static void head_step(const V7Model *m, const V7Layer *P, int layer, int h, float *wkv, Scratch *S) {
    const int N = m->N, off = h * N;
    const float *k_k = P->k_k + off, *k_a = P->k_a + off, *r_k = P->r_k + off;
    const float *r = S->r + off, *k = S->k + off, *a = S->a + off, *g = S->g + off;
    float *v = S->v + off, *vf_ = S->vfirst + off;
    float kk[N], kf[N], w[N], b[N], y[N];
    float nrm = 0.f;
    for (int i = 0; i < N; i++) { kk[i] = k[i] * k_k[i]; nrm += kk[i] * kk[i]; }
    float sq = sqrtf(nrm), inv = 1.f / (sq > 1e-12f ? sq : 1e-12f);
    for (int i = 0; i < N; i++) {
        kk[i] *= inv;
        kf[i] = k[i] * ((1.f - k_a[i]) + a[i] * k_a[i]);
        w[i] = expf(-DECAY * S->wsig[off + i]);
        b[i] = kk[i] * a[i];
        if (layer == 0) vf_[i] = v[i];
        else v[i] = v[i] + S->vg[off + i] * (vf_[i] - v[i]);
    }
    /* per value row i, in vectors over the key index (N % VW == 0): both sums are reductions, which the
     * compiler leaves scalar without -ffast-math. The 1.5B shape's 24 layers x 32 heads of N = 64 took 36-47 ms
     * per token scalar, 9-11 ms so (AVX2, one loaded core): with 2 cores, ~20 ms of a 50 ms int4 token before */
    float *St = wkv + (long)h * N * N;
    for (int i = 0; i < N; i++) {
        float *row = St + (long)i * N;
        vf sav = v_zero();
        for (int jj = 0; jj < N; jj += VW) sav = v_fma(v_load(row + jj), v_load(kk + jj), sav);
        const vf nsa = v_set1(-v_sum(sav)), vi = v_set1(v[i]);
        vf acc = v_zero();
        for (int jj = 0; jj < N; jj += VW) {
            const vf s = v_fma(v_load(row + jj), v_load(w + jj), v_fma(nsa, v_load(b + jj), v_mul(vi, v_load(kf + jj))));
            v_store(row + jj, s);
            acc = v_fma(s, v_load(r + jj), acc);
        }
        y[i] = v_sum(acc);
    }
    float mean = 0.f, var = 0.f, bonus = 0.f;
    for (int i = 0; i < N; i++) mean += y[i];
    mean /= N;
    for (int i = 0; i < N; i++) { float dv = y[i] - mean; var += dv * dv; }
    const float ivs = 1.f / sqrtf(var / N + 64e-5f);
    for (int i = 0; i < N; i++) bonus += r[i] * kf[i] * r_k[i];
    const float *lw = P->lnx_w + off, *lb = P->lnx_b + off;
    for (int i = 0; i < N; i++) S->yg[off + i] = ((y[i] - mean) * ivs * lw[i] + lb[i] + bonus * v[i]) * g[i];
}

void rwkv7_decode(const V7Model *m, int token, float *att_x, float *ffn_x, float *wkv, float *logits,
                  void *scratch, int nthreads) {
    const int L = m->L, C = m->C, H = m->H, N = m->N, F = m->F, nb = m->nb, db = m->db;
    const int kind = m->wkind, group = m->group;
    Scratch S;
    carve(m, (unsigned char *)(((uintptr_t)scratch + 63) & ~(uintptr_t)63), &S);
    /* quantised inputs: r, k, v mixes, then one shared slot for y·g, the FFN input, its hidden and the head */
    Input in_r = {NULL, S.q, S.qs, S.qsum, 0.f};
    Input in_k = {NULL, S.q + C, S.qs + C / QB, S.qsum + C / QB, 0.f};
    Input in_v = {NULL, S.q + 2 * C, S.qs + 2 * C / QB, S.qsum + 2 * C / QB, 0.f};
    Input in_h = {NULL, S.q + 3 * C, S.qs + 3 * C / QB, S.qsum + 3 * C / QB, 0.f};

    if (m->emb_kind == EMB_BF16) {
        const uint16_t *e = (const uint16_t *)m->emb + (long)token * C;
        for (int i = 0; i < C; i++) { uint32_t u = (uint32_t)e[i] << 16; memcpy(&S.x[i], &u, 4); }
    } else if (m->emb_kind == EMB_I8) {
        const int8_t *e = (const int8_t *)m->emb + (long)token * C;
        const float s = m->emb_s[token];
        for (int i = 0; i < C; i++) S.x[i] = (float)e[i] * s;
    } else {
        memcpy(S.x, (const float *)m->emb + (long)token * C, (size_t)C * 4);
    }

    /* The Inputs are shared: one thread fills them inside `single` (whose barrier publishes them), all read. */
#pragma omp parallel num_threads(nthreads)
    {
        for (int l = 0; l < L; l++) {
            const V7Layer *P = m->layers + l;
            float *ax = att_x + (long)l * C, *fx = ffn_x + (long)l * C, *st = wkv + (long)l * H * N * N;
#pragma omp single
            {
                layer_norm(S.x, C, P->ln1_w, P->ln1_b, S.xx);
                for (int jj = 0; jj < nb + 2; jj++)
                    for (int i = 0; i < C; i++)
                        S.mixed[(long)jj * C + i] = S.xx[i] + (ax[i] - S.xx[i]) * P->maa[(long)jj * C + i];
                memcpy(ax, S.xx, (size_t)C * 4);
                in_r.x = S.mixed + (long)nb * C;
                in_k.x = S.mixed + (long)(nb + 1) * C;
                in_v.x = S.mixed + (long)(nb - 1) * C;
                quantize_input(&in_r, C, kind);
                quantize_input(&in_k, C, kind);
                quantize_input(&in_v, C, kind);
            }
            {
                Job jobs[4] = {
                    {m->lora_kind, POST_STORE, nb * db, C, db, 0, P->lora_down, P->lora_down_s, S.mixed, NULL, NULL, NULL, 0.f, S.d},
                    proj(kind, group, P->r, &in_r, S.r, C, C, POST_STORE),
                    proj(kind, group, P->k, &in_k, S.k, C, C, POST_STORE),
                    proj(kind, group, P->v, &in_v, S.v, C, C, POST_STORE),
                };
                run_jobs(jobs, 4);
            }
#pragma omp single
            {
                const int ng = m->ng;
                for (int i = 0; i < ng * db; i++) S.d[i] = sigmoid(S.d[i]);
                for (int i = ng * db; i < (ng + 1) * db; i++) S.d[i] = tanhf(S.d[i]);
            }
            lora_up(m, P->lora_up, P->lora_up_s, P->lora_bias, &S);
#pragma omp barrier
#pragma omp for schedule(static)
            for (int h = 0; h < H; h++) head_step(m, P, l, h, st, &S);
#pragma omp single
            {
                in_h.x = S.yg;
                quantize_input(&in_h, C, kind);
            }
            {
                Job jo = proj(kind, group, P->o, &in_h, S.x, C, C, POST_ADD);
                run_jobs(&jo, 1);
            }
#pragma omp single
            {
                layer_norm(S.x, C, P->ln2_w, P->ln2_b, S.xx);
                for (int i = 0; i < C; i++) S.out[i] = S.xx[i] + (fx[i] - S.xx[i]) * P->ffn_maa[i];
                memcpy(fx, S.xx, (size_t)C * 4);
                in_h.x = S.out;
                quantize_input(&in_h, C, kind);
            }
            {
                Job jk = proj(kind, group, P->ffn_k, &in_h, S.hid, F, C, POST_RELU2);
                run_jobs(&jk, 1);
            }
#pragma omp single
            {
                in_h.x = S.hid;
                quantize_input(&in_h, F, kind);
            }
            {
                Job jv = proj(kind, group, P->ffn_v, &in_h, S.x, C, F, POST_ADD);
                run_jobs(&jv, 1);
            }
        }
#pragma omp single
        {
            layer_norm(S.x, C, m->ln_out_w, m->ln_out_b, S.out);
            in_h.x = S.out;
            quantize_input(&in_h, C, m->head_kind);
        }
        {
            Job jh = proj(m->head_kind, group, m->head, &in_h, logits, m->V, C, POST_STORE);
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
    const int nv = N / VW;
    float St[N * N] __attribute__((aligned(64)));
    float *Sh = S + (long)h * N * N;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) St[j * N + i] = Sh[i * N + j];
    for (int t = 0; t < T; t++) {
        const long off = ((long)t * H + h) * N;
        vf sa[256 / VW], vv[256 / VW], yy[256 / VW];
        for (int q = 0; q < nv; q++) {
            sa[q] = v_zero();
            yy[q] = v_zero();
            vv[q] = v_load(v + off + VW * q);
        }
        for (int j = 0; j < N; j++) {
            const vf aj = v_set1(a[off + j]);
            for (int q = 0; q < nv; q++) sa[q] = v_fma(aj, v_load(St + j * N + VW * q), sa[q]);
        }
        for (int j = 0; j < N; j++) {
            const vf wj = v_set1(w[off + j]), bj = v_set1(b[off + j]);
            const vf kj = v_set1(k[off + j]), rj = v_set1(r[off + j]);
            float *row = St + j * N;
            for (int q = 0; q < nv; q++) {
                vf s = v_mul(v_load(row + VW * q), wj);
                s = v_fma(sa[q], bj, s);
                s = v_fma(vv[q], kj, s);
                v_store(row + VW * q, s);
                yy[q] = v_fma(rj, s, yy[q]);
            }
        }
        for (int q = 0; q < nv; q++) v_store(y + off + VW * q, yy[q]);
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

/* y = W·x for rows W [rows,in] in layout `kind` (rows.h) with scales s, in % 64 == 0, q4 group size `group`:
 * the decode step's matrix-vector loop on its own (the older generations' projections, the tests, and the
 * benchmark's measure of this machine's matvec bandwidth). */
void rwkv_matvec(int kind, const void *w, const void *s, const float *x, float *y, int rows, int in, int group,
                 int nthreads) {
    const int quant = kind == W_Q8 || kind == W_Q4;
    int8_t xq[quant ? in : 1] __attribute__((aligned(64)));
    float xs[quant ? in / QB : 1];
    int32_t sums[quant ? in / QB : 1];
    float xk = quant ? quantize(x, in, xq, xs, sums) : 0.f;
#pragma omp parallel num_threads(nthreads)
    {
        Job j = {kind, POST_STORE, rows, in, 0, group, w, s, x, xq, xs, sums, xk, y};
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
        const int nv = N / VW;
        for (int t = 0; t < T; t++) {
            const long off = ((long)t * H + h) * N;
            vf yy[256 / VW], vv[256 / VW];
            for (int q = 0; q < nv; q++) {
                yy[q] = v_zero();
                vv[q] = v_load(v + off + VW * q);
            }
            for (int j = 0; j < N; j++) {
                const vf rj = v_set1(r[off + j]), wj = v_set1(w[off + j]), kj = v_set1(k[off + j]);
                float *row = Sh + (long)j * N;
                for (int q = 0; q < nv; q++) {
                    vf s = v_load(row + VW * q);
                    yy[q] = v_fma(rj, s, yy[q]);
                    v_store(row + VW * q, v_fma(s, wj, v_mul(kj, vv[q])));
                }
            }
            for (int q = 0; q < nv; q++) v_store(y + off + VW * q, yy[q]);
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