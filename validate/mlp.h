/*
 * The lecture's network (Keras mnist_mlp) trained for real in C on OpenBLAS: Dense layers with
 * ReLU and inverted dropout between them, softmax cross-entropy on the last, RMSprop (Keras's
 * defaults: rho 0.9, epsilon 1e-7). The step runs the kernels mlsim's workload lists for an MLP
 * (src/workload.c build_mlp): per layer a forward GEMM and a fused bias-ReLU-dropout (or
 * bias-softmax-loss) loop; backward the loss gradient, the input- and weight-gradient GEMMs, the
 * ReLU-dropout mask and the bias gradient; then one fused RMSprop loop over every parameter.
 * Element-wise loops run on one thread; the GEMMs on OpenBLAS's threads.
 */
#ifndef VALIDATE_MLP_H
#define VALIDATE_MLP_H

#include <stdint.h>

#define MLP_MAX_LAYERS 8

struct mlp {
    int layers;                     /* Dense layers */
    int widths[MLP_MAX_LAYERS + 1]; /* widths[0] inputs ... widths[layers] classes */
    int batch;
    float keep; /* 1 - dropout rate */
    float lr, rho, eps;
    long n_params;
    float *params, *grads, *rms; /* one block each: W0 b0 W1 b1 ... (W is in x out, row-major) */
    float *w[MLP_MAX_LAYERS], *b[MLP_MAX_LAYERS], *dw[MLP_MAX_LAYERS], *db[MLP_MAX_LAYERS];
    float *act[MLP_MAX_LAYERS + 1];   /* act[0] is the caller's input batch */
    float *delta[MLP_MAX_LAYERS + 1]; /* gradient at each layer's output */
    unsigned char *mask[MLP_MAX_LAYERS + 1];
    uint64_t rng;
};

/* Allocate a network of WIDTHS[0..LAYERS] at BATCH samples per step, Glorot-uniform weights from
 * SEED. Returns NULL on bad arguments or malloc failure. */
struct mlp *mlp_alloc(const int *widths, int layers, int batch, float dropout, uint64_t seed);
void mlp_free(struct mlp *m);

/* Forward pass of the batch X (batch x widths[0]) with LABELS; returns the mean cross-entropy. */
double mlp_forward(struct mlp *m, const float *x, const int *labels);
/* Backward pass after mlp_forward with the same labels: fills m->grads. */
void mlp_backward(struct mlp *m, const int *labels);
/* One RMSprop update of every parameter from m->grads. */
void mlp_update(struct mlp *m);

#endif
