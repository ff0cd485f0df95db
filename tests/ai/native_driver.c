/* Runs every native kernel once on fixed pseudo-random inputs and prints each output, one labelled line of
 * floats per kernel call, so that two builds (e.g. neon under qemu-aarch64 and portable on the host) can be
 * compared number by number (tests/ai/test_native_neon.py). The inputs come from an integer generator, so
 * they are bit-identical on every machine. Build: cc -O2 -fopenmp -I app/ai/native <variant flags>
 * tests/ai/native_driver.c -lm (the kernel source is included, which gives the driver its structs). */
#include "rwkv_cpu.c"

#include <stdlib.h>

static uint32_t seed = 12345u;

static uint32_t next(void) {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
}

static float uni(float lo, float hi) { return lo + (hi - lo) * (float)(next() & 0xffff) / 65535.f; }

static float *floats(size_t n, float lo, float hi) {
    float *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = uni(lo, hi);
    return p;
}

/* fp16 bits of values of magnitude 2^-7 .. 2^-5, either sign */
static uint16_t *halves(size_t n) {
    uint16_t *p = malloc(n * sizeof *p);
    for (size_t i = 0; i < n; i++) p[i] = (uint16_t)((next() & 1) << 15 | (0x2000 + (next() & 0x7ff)));
    return p;
}

static uint16_t *positive_halves(size_t n) {
    uint16_t *p = halves(n);
    for (size_t i = 0; i < n; i++) p[i] &= 0x7fff;
    return p;
}

static uint8_t *bytes(size_t n, int lo) { /* q8 rows: lo = 1 keeps |q| <= 127; q4 rows: lo = 0, any nibbles */
    uint8_t *p = malloc(n);
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)(lo + next() % (256 - lo));
    return p;
}

static void show(const char *label, const float *y, size_t n) {
    printf("%s", label);
    for (size_t i = 0; i < n; i++) printf(" %.9g", y[i]);
    printf("\n");
}

/* weights of one [rows, in] projection in layout `kind` */
static Mat make_mat(int kind, int rows, int in, int group) {
    Mat m = {NULL, NULL};
    const size_t n = (size_t)rows * in;
    if (kind == W_F32) m.w = floats(n, -0.05f, 0.05f);
    else if (kind == W_F16) m.w = halves(n);
    else if (kind == W_Q8 || kind == W_I8) { /* i8: the same bytes read as signed */
        m.w = bytes(n, 1);
        m.s = floats(rows, 1e-4f, 4e-4f);
    } else {
        m.w = bytes(n / 2, 0);
        m.s = positive_halves((size_t)rows * (in / group));
    }
    return m;
}

static void matvecs(void) {
    const int rows = 96, in = 256;
    float *x = floats(in, -1.f, 1.f), y[96];
    const int kinds[6] = {W_F32, W_F16, W_Q8, W_Q4, W_Q4, W_I8}, groups[6] = {0, 0, 0, 64, 128, 0};
    for (int c = 0; c < 6; c++) {
        Mat m = make_mat(kinds[c], rows, in, groups[c] ? groups[c] : 64);
        rwkv_matvec(kinds[c], m.w, m.s, x, y, rows, in, groups[c] ? groups[c] : 64, 2);
        char label[64];
        snprintf(label, sizeof label, "matvec kind=%d group=%d", kinds[c], groups[c]);
        show(label, y, rows);
    }
}

static void wkv(void) {
    const int T = 5, H = 2;
    for (int N = 32; N <= 64; N += 32) {
        const size_t n = (size_t)T * H * N;
        float *r = floats(n, -1.f, 1.f), *w = floats(n, 0.5f, 0.99f), *k = floats(n, -1.f, 1.f);
        float *v = floats(n, -1.f, 1.f), *a = floats(n, -0.3f, 0.f), *b = floats(n, 0.f, 0.3f);
        float *S = floats((size_t)H * N * N, -0.5f, 0.5f), *S6 = floats((size_t)H * N * N, -0.5f, 0.5f);
        float *y = malloc(n * sizeof *y);
        char label[64];
        rwkv7_wkv_seq(T, H, N, r, w, k, v, a, b, S, y, 2);
        snprintf(label, sizeof label, "wkv7 N=%d y", N);
        show(label, y, n);
        snprintf(label, sizeof label, "wkv7 N=%d state", N);
        show(label, S, (size_t)H * N * N);
        rwkv6_wkv_seq(T, H, N, r, w, k, v, S6, y, 2);
        snprintf(label, sizeof label, "wkv6 N=%d y", N);
        show(label, y, n);
        snprintf(label, sizeof label, "wkv6 N=%d state", N);
        show(label, S6, (size_t)H * N * N);
    }
    const int C = 100;
    float *w = floats(C, -2.f, -0.1f), *u = floats(C, -1.f, 1.f), *k = floats((size_t)T * C, -2.f, 2.f);
    float *v = floats((size_t)T * C, -1.f, 1.f), *aa = floats(C, -1.f, 1.f), *bb = floats(C, 0.5f, 1.5f);
    float *pp = floats(C, -1.f, 1.f), *out = malloc((size_t)T * C * sizeof *out);
    rwkv4_wkv_seq(T, C, w, u, k, v, aa, bb, pp, out, 2);
    show("wkv4 out", out, (size_t)T * C);
    show("wkv4 aa", aa, C);
    show("wkv4 bb", bb, C);
    show("wkv4 pp", pp, C);
}

/* the whole RWKV-7 decode step, three tokens, at a small shape, for each weight layout (low-rank maps as the
 * engine stores them: fp32 with fp32 weights, fp16 with fp16/int8, int8 with int4) */
static void decode(int kind) {
    const int L = 2, C = 128, N = 64, H = C / N, F = 256, V = 192, ng = 1, nb = ng + 3, db = 32, group = 64;
    const int lora_kind = kind == W_F32 ? W_F32 : kind == W_Q4 ? W_I8 : W_F16;
    V7Layer layers[2];
    for (int l = 0; l < L; l++) {
        V7Layer *P = &layers[l];
        P->ln1_w = floats(C, 0.8f, 1.2f); P->ln1_b = floats(C, -0.1f, 0.1f);
        P->ln2_w = floats(C, 0.8f, 1.2f); P->ln2_b = floats(C, -0.1f, 0.1f);
        P->maa = floats((size_t)(nb + 2) * C, 0.f, 1.f);
        P->lora_down_s = P->lora_up_s = NULL;
        if (lora_kind == W_F16) {
            P->lora_down = halves((size_t)nb * db * C);
            P->lora_up = halves((size_t)nb * db * C);
        } else if (lora_kind == W_I8) {
            Mat d = make_mat(W_I8, nb * db, C, 0), u = make_mat(W_I8, nb * db, C, 0);
            P->lora_down = d.w; P->lora_down_s = d.s;
            P->lora_up = u.w; P->lora_up_s = u.s;
        } else {
            P->lora_down = floats((size_t)nb * db * C, -0.05f, 0.05f);
            P->lora_up = floats((size_t)nb * db * C, -0.05f, 0.05f);
        }
        P->lora_bias = floats(3 * (size_t)C, -0.5f, 0.5f);
        P->k_k = floats(C, 0.5f, 1.5f); P->k_a = floats(C, 0.f, 1.f); P->r_k = floats(C, -0.5f, 0.5f);
        P->lnx_w = floats(C, 0.8f, 1.2f); P->lnx_b = floats(C, -0.1f, 0.1f); P->ffn_maa = floats(C, 0.f, 1.f);
        P->r = make_mat(kind, C, C, group); P->k = make_mat(kind, C, C, group);
        P->v = make_mat(kind, C, C, group); P->o = make_mat(kind, C, C, group);
        P->ffn_k = make_mat(kind, F, C, group); P->ffn_v = make_mat(kind, C, F, group);
    }
    /* every embedding kind: bf16 with the q8 layers, int8 rows (the int4 plan's) with q4, else fp32 */
    const int emb_kind = kind == W_Q8 ? EMB_BF16 : kind == W_Q4 ? EMB_I8 : EMB_F32;
    V7Model m = {L, C, H, N, V, F, nb, ng, db, kind, kind, group, emb_kind, lora_kind, NULL, NULL, NULL, NULL,
                 {NULL, NULL}, layers};
    if (m.emb_kind == EMB_BF16) {
        uint16_t *e = malloc((size_t)V * C * 2);
        for (size_t i = 0; i < (size_t)V * C; i++) {
            float f = uni(-1.f, 1.f);
            uint32_t u;
            memcpy(&u, &f, 4);
            e[i] = (uint16_t)(u >> 16);
        }
        m.emb = e;
    } else if (m.emb_kind == EMB_I8) {
        int8_t *e = malloc((size_t)V * C);
        for (size_t i = 0; i < (size_t)V * C; i++) e[i] = (int8_t)((int)(next() % 255) - 127);
        m.emb = e;
        m.emb_s = floats(V, 0.002f, 0.01f);
    } else {
        m.emb = floats((size_t)V * C, -1.f, 1.f);
    }
    m.ln_out_w = floats(C, 0.8f, 1.2f);
    m.ln_out_b = floats(C, -0.1f, 0.1f);
    m.head = make_mat(kind, V, C, group);
    float *att_x = calloc((size_t)L * C, 4), *ffn_x = calloc((size_t)L * C, 4);
    float *state = calloc((size_t)L * H * N * N, 4), *logits = malloc((size_t)V * 4);
    void *scratch = malloc(rwkv7_scratch_bytes(&m));
    const int tokens[3] = {3, 77, 150};
    for (int t = 0; t < 3; t++) {
        rwkv7_decode(&m, tokens[t], att_x, ffn_x, state, logits, scratch, 2);
        char label[64];
        snprintf(label, sizeof label, "decode kind=%d token=%d logits", kind, t);
        show(label, logits, V);
    }
    char label[64];
    snprintf(label, sizeof label, "decode kind=%d state", kind);
    show(label, state, (size_t)L * H * N * N);
}

int main(void) {
#if defined(__ARM_FEATURE_DOTPROD)
    const int dotprod = 1;
#else
    const int dotprod = 0;
#endif
    printf("variant %s dotprod=%d supported=%d\n", rwkv_variant(), dotprod, rwkv_cpu_supported());
    matvecs();
    wkv();
    for (int kind = W_F32; kind <= W_Q4; kind++) decode(kind);
    return 0;
}
