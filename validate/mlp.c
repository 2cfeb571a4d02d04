/* The MNIST MLP's training step; see mlp.h. */
#include "mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t next_u64(uint64_t *s)
{
    /* xorshift64* (Vigna 2016): cheap enough that dropout masks cost next to nothing. */
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static float uniform(uint64_t *s)
{
    return (float)(next_u64(s) >> 40) * (1.0f / 16777216.0f);
}

void mlp_free(struct mlp *m)
{
    if (!m)
        return;
    free(m->params);
    free(m->grads);
    free(m->rms);
    for (int i = 0; i <= MLP_MAX_LAYERS; i++) {
        if (i > 0)
            free(m->act[i]);
        free(m->delta[i]);
        free(m->mask[i]);
    }
    free(m);
}

static int alloc_buffers(struct mlp *m)
{
    size_t p = (size_t)m->n_params;
    m->params = calloc(p, sizeof(float));
    m->grads = calloc(p, sizeof(float));
    m->rms = calloc(p, sizeof(float));
    int ok = m->params && m->grads && m->rms;
    for (int i = 1; i <= m->layers && ok; i++) {
        size_t n = (size_t)m->batch * (size_t)m->widths[i];
        m->act[i] = calloc(n, sizeof(float));
        m->delta[i] = calloc(n, sizeof(float));
        m->mask[i] = calloc(n, 1);
        ok = m->act[i] && m->delta[i] && m->mask[i];
    }
    return ok;
}

struct mlp *mlp_alloc(const int *widths, int layers, int batch, float dropout, uint64_t seed)
{
    if (layers < 1 || layers > MLP_MAX_LAYERS || batch < 1 || dropout < 0 || dropout >= 1)
        return NULL;
    struct mlp *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->layers = layers;
    m->batch = batch;
    m->keep = 1.0f - dropout;
    m->lr = 0.001f;
    m->rho = 0.9f;
    m->eps = 1e-7f;
    m->rng = seed ? seed : 1;
    for (int i = 0; i <= layers; i++) {
        if (widths[i] < 1) {
            free(m);
            return NULL;
        }
        m->widths[i] = widths[i];
    }
    for (int i = 0; i < layers; i++)
        m->n_params += (long)widths[i] * widths[i + 1] + widths[i + 1];
    if (!alloc_buffers(m)) {
        mlp_free(m);
        return NULL;
    }
    long off = 0;
    for (int i = 0; i < layers; i++) {
        long nw = (long)widths[i] * widths[i + 1];
        m->w[i] = m->params + off;
        m->dw[i] = m->grads + off;
        m->b[i] = m->params + off + nw;
        m->db[i] = m->grads + off + nw;
        float limit = sqrtf(6.0f / (float)(widths[i] + widths[i + 1])); /* Glorot uniform */
        for (long j = 0; j < nw; j++)
            m->w[i][j] = (2.0f * uniform(&m->rng) - 1.0f) * limit;
        off += nw + widths[i + 1];
    }
    return m;
}

/* Z += b; A = relu(Z) * keep-mask / keep, in place; the mask remembers relu and dropout. The
 * random bytes are drawn into the mask first (one xorshift64* draw per 8 elements), then a
 * branch-free pass keeps or drops: a framework's fused kernel is vectorized, and a branch on
 * random data would mispredict every other element (about 20 cycles each, measured here). */
static void keep_or_drop_row(float *restrict z, const float *restrict b,
                             unsigned char *restrict mask, int n, int threshold, float scale)
{
    for (int c = 0; c < n; c++) {
        float v = z[c] + b[c];
        int keep = (v > 0.0f) & (mask[c] < threshold);
        mask[c] = (unsigned char)keep;
        z[c] = v * (scale * (float)keep); /* a multiply, not a branch: it vectorizes */
    }
}

static void bias_relu_dropout(struct mlp *m, float *z, const float *b, unsigned char *mask, int n)
{
    long total = (long)m->batch * n;
    for (long i = 0; i < total; i += 8) {
        uint64_t bits = next_u64(&m->rng);
        long left = total - i < 8 ? total - i : 8;
        memcpy(mask + i, &bits, (size_t)left);
    }
    /* keep with probability threshold / 256; every unit at keep = 1 (the gradient check) */
    int threshold = m->keep >= 1.0f ? 256 : (int)(m->keep * 256.0f);
    for (long r = 0; r < m->batch; r++)
        keep_or_drop_row(z + r * n, b, mask + r * n, n, threshold, 1.0f / m->keep);
}

/* Z += b, then softmax in place; returns the summed cross-entropy against LABELS. */
static double bias_softmax_loss(const struct mlp *m, float *z, const float *b, const int *labels,
                                int n)
{
    double loss = 0.0;
    for (int r = 0; r < m->batch; r++) {
        float *row = z + (long)r * n, mx = -INFINITY, sum = 0.0f;
        for (int c = 0; c < n; c++) {
            row[c] += b[c];
            mx = row[c] > mx ? row[c] : mx;
        }
        for (int c = 0; c < n; c++) {
            row[c] = expf(row[c] - mx);
            sum += row[c];
        }
        for (int c = 0; c < n; c++)
            row[c] /= sum;
        loss -= log((double)row[labels[r]] + 1e-30);
    }
    return loss;
}

double mlp_forward(struct mlp *m, const float *x, const int *labels)
{
    m->act[0] = (float *)x;
    for (int i = 0; i < m->layers; i++) {
        int in = m->widths[i], out = m->widths[i + 1];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m->batch, out, in, 1.0f, m->act[i],
                    in, m->w[i], out, 0.0f, m->act[i + 1], out);
        if (i + 1 < m->layers)
            bias_relu_dropout(m, m->act[i + 1], m->b[i], m->mask[i + 1], out);
        else
            return bias_softmax_loss(m, m->act[i + 1], m->b[i], labels, out) / m->batch;
    }
    return 0.0;
}

static void bias_grad(const struct mlp *m, float *db, const float *d, int n)
{
    memset(db, 0, (size_t)n * sizeof *db);
    for (long r = 0; r < m->batch; r++) {
        for (int c = 0; c < n; c++)
            db[c] += d[r * n + c];
    }
}

void mlp_backward(struct mlp *m, const int *labels)
{
    int last = m->layers, classes = m->widths[last];
    float inv = 1.0f / (float)m->batch, scale = 1.0f / m->keep;
    for (long r = 0; r < m->batch; r++) { /* softmax cross-entropy: (p - onehot) / batch */
        const float *p = m->act[last] + r * classes;
        float *d = m->delta[last] + r * classes;
        for (int c = 0; c < classes; c++)
            d[c] = (p[c] - (c == labels[r] ? 1.0f : 0.0f)) * inv;
    }
    for (int i = last - 1; i >= 0; i--) {
        int in = m->widths[i], out = m->widths[i + 1];
        if (i + 1 < last) { /* through dropout and ReLU */
            long n = (long)m->batch * out;
            float *restrict d = m->delta[i + 1];
            const unsigned char *restrict k = m->mask[i + 1];
            for (long j = 0; j < n; j++)
                d[j] *= scale * (float)k[j];
        }
        if (i > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m->batch, in, out, 1.0f,
                        m->delta[i + 1], out, m->w[i], out, 0.0f, m->delta[i], in);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, in, out, m->batch, 1.0f, m->act[i], in,
                    m->delta[i + 1], out, 0.0f, m->dw[i], out);
        bias_grad(m, m->db[i], m->delta[i + 1], out);
    }
}

void mlp_update(struct mlp *m)
{
    float rho = m->rho, lr = m->lr, eps = m->eps;
    float *restrict p = m->params, *restrict s = m->rms;
    const float *restrict g = m->grads;
    for (long j = 0; j < m->n_params; j++) {
        s[j] = rho * s[j] + (1.0f - rho) * g[j] * g[j];
        p[j] -= lr * g[j] / (sqrtf(s[j]) + eps);
    }
}
