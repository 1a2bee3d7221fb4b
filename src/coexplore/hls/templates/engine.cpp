// The convolution engine of Zhang et al. FPGA'15 (tiled loop nest, TM x TN MAC array, ping-pong
// input/weight buffers, an output buffer of 32-bit partial sums; grouped convs group by group,
// transposed convs as a gather), plus the streamed ops the cost model charges (pool, nearest
// upsampling, add, concat). Integer arithmetic as coexplore.fixedpoint:
// power-of-two scales, shifts that round to nearest (ties to even), saturation.
#include "engine.h"

#include "schedule.h"  // generated: static const Layer LAYERS[N_LAYERS]

// HLS pragmas reach Vitis HLS (which defines __SYNTHESIS__) and stay out of g++'s way, so the
// C-simulation compiles with -Wall -Wextra -Werror.
#ifdef __SYNTHESIS__
#define PRAGMA(x) _Pragma(#x)
#else
#define PRAGMA(x)
#endif

#ifndef __SYNTHESIS__
Counts cx_counts[N_LAYERS];
#define COUNT(layer, field, n) (cx_counts[layer].field += (n))
#else
#define COUNT(layer, field, n) ((void)0)
#endif

static const int32_t ACT_MIN = -(1 << (ACT_BITS - 1)), ACT_MAX = (1 << (ACT_BITS - 1)) - 1;

// x / 2**s rounded to nearest, ties to even; s <= 0 is an exact left shift (fixedpoint.shift_round).
static int64_t shift_round(int64_t v, int32_t s) {
    if (s <= 0) return v * ((int64_t)1 << -s);
    const int64_t floor = v >> s;  // arithmetic shift (gcc, Vitis HLS; defined from C++20)
    const int64_t rem = v - floor * ((int64_t)1 << s);
    const int64_t half = (int64_t)1 << (s - 1);
    return floor + ((rem > half || (rem == half && (floor & 1))) ? 1 : 0);
}

static act_t saturate(int64_t v) {
    return (act_t)(v < ACT_MIN ? ACT_MIN : (v > ACT_MAX ? ACT_MAX : v));
}

static int32_t min32(int32_t a, int32_t b) { return a < b ? a : b; }

// ---- conv: the tiled loop nest ---------------------------------------------------------------
// Loads one input tile (tn_e maps of (S.tr+K-S) x (S.tc+K-S) words, zeros outside the map) and the
// tm_e x tn_e x K^2 weights of one step; the pre-activation (BN -> ReLU) is applied as words arrive.
static void load_step(const Layer &L, int layer, const act_t *act_rd, const wgt_t *weights, const int32_t *params,
                      int b, int g, int row0, int col0, int m0, int n0,
                      act_t in_buf[TN][IN_DEPTH], wgt_t w_buf[TM][TN][K2_MAX]) {
    PRAGMA(HLS INLINE off)
    const int tn_e = min32(TN, L.n), tm_e = min32(TM, L.m);
    const int in_rows = L.in_rows, in_cols = L.in_cols, in_step = L.transposed ? 1 : L.s;
    const int channels = L.n * L.groups, k2 = L.k * L.k;
    const int64_t pre_off = L.p_off + 2 * (int64_t)L.m * L.groups;
    for (int c = 0; c < tn_e; ++c) {
        const int ch = g * L.n + n0 + c;
        const bool real = n0 + c < L.n;
        const int32_t mult = (L.pre && real) ? params[pre_off + ch] : 1;
        const int32_t add = (L.pre && real) ? params[pre_off + channels + ch] : 0;
        const int32_t shift = (L.pre && real) ? params[pre_off + 2 * channels + ch] : 0;
        for (int y = 0; y < in_rows; ++y) {
            for (int x = 0; x < in_cols; ++x) {
PRAGMA(HLS PIPELINE II=1)
                const int iy = row0 * in_step + L.row_lo + y, ix = col0 * in_step + L.row_lo + x;
                act_t v = 0;
                if (real && iy >= 0 && iy < L.in_h && ix >= 0 && ix < L.in_w) {
                    const act_t raw = act_rd[L.in_off[0] + (((int64_t)b * channels + ch) * L.in_h + iy) * L.in_w + ix];
                    if (L.pre) {
                        const act_t a = saturate(shift_round((int64_t)raw * mult + add, shift));
                        v = a > 0 ? a : (act_t)0;
                    } else {
                        v = raw;
                    }
                }
                in_buf[c][y * in_cols + x] = v;
            }
        }
    }
    COUNT(layer, input, (uint64_t)tn_e * in_rows * in_cols);
    for (int o = 0; o < tm_e; ++o) {
        for (int c = 0; c < tn_e; ++c) {
            for (int kk = 0; kk < k2; ++kk) {
PRAGMA(HLS PIPELINE II=1)
                const bool real = m0 + o < L.m && n0 + c < L.n;
                w_buf[o][c][kk] = real ? weights[L.w_off + (((int64_t)(g * L.m + m0 + o) * L.n + n0 + c) * k2 + kk)]
                                       : (wgt_t)0;
            }
        }
    }
    COUNT(layer, weight, (uint64_t)tm_e * tn_e * k2);
}

// One pipelined iteration of the array: TM x TN multiplies, each output map's TN products summed
// into its 32-bit partial sum (two's complement, wrapping as the integer reference does). Slots past
// the layer's tm_e x tn_e maps hold stale words, so they are masked (a mux in hardware).
static void mac_array(const act_t in_buf[TN][IN_DEPTH], const wgt_t w_buf[TM][TN][K2_MAX],
                      int32_t out_buf[TM][OUT_DEPTH], int tap, int in_at, int out_at, int tm_e, int tn_e) {
    PRAGMA(HLS INLINE)
    for (int o = 0; o < TM; ++o) {
        PRAGMA(HLS UNROLL)
        int32_t sum = 0;
        for (int t = 0; t < TN; ++t) {
            PRAGMA(HLS UNROLL)
            if (o < tm_e && t < tn_e) {
                const int32_t p = (int32_t)w_buf[o][t][tap] * (int32_t)in_buf[t][in_at];
                sum = (int32_t)((uint32_t)sum + (uint32_t)p);
            }
        }
        out_buf[o][out_at] = (int32_t)((uint32_t)out_buf[o][out_at] + (uint32_t)sum);
    }
}

// K^2 x tr x tc pipelined iterations; each one is TM x TN MACs in parallel.
static void compute_step(const Layer &L, int layer, const act_t in_buf[TN][IN_DEPTH],
                         const wgt_t w_buf[TM][TN][K2_MAX], int32_t out_buf[TM][OUT_DEPTH]) {
    PRAGMA(HLS INLINE off)
    const int tn_e = min32(TN, L.n), tm_e = min32(TM, L.m);
    const int in_cols = L.in_cols;
    for (int i = 0; i < L.k; ++i) {
        for (int j = 0; j < L.k; ++j) {
            for (int r = 0; r < L.tr; ++r) {
                for (int c = 0; c < L.tc; ++c) {
PRAGMA(HLS PIPELINE II=1)
                    mac_array(in_buf, w_buf, out_buf, i * L.k + j, (L.s * r + i) * in_cols + L.s * c + j,
                              r * L.tc + c, tm_e, tn_e);
                }
            }
        }
    }
    COUNT(layer, compute, (uint64_t)L.k * L.k * L.tr * L.tc);
}

// A transposed conv as a gather: output pixel (r, c) of the S.tr x S.tc tile takes the (K/S)^2 taps
// ky = (r + pad) mod S + S.ty that reach it, from input row (r + pad - ky) / S of the tile:
// (K/S)^2 x S.tr x S.tc = K^2 x tr x tc pipelined iterations.
static void compute_transposed_step(const Layer &L, int layer, const act_t in_buf[TN][IN_DEPTH],
                                    const wgt_t w_buf[TM][TN][K2_MAX], int32_t out_buf[TM][OUT_DEPTH]) {
    PRAGMA(HLS INLINE off)
    const int tn_e = min32(TN, L.n), tm_e = min32(TM, L.m);
    const int taps = L.k / L.s;
    for (int ty = 0; ty < taps; ++ty) {
        for (int tx = 0; tx < taps; ++tx) {
            for (int r = 0; r < L.out_tr; ++r) {
                for (int c = 0; c < L.out_tc; ++c) {
PRAGMA(HLS PIPELINE II=1)
                    const int ky = (r + L.pad) % L.s + L.s * ty, kx = (c + L.pad) % L.s + L.s * tx;
                    const int iy = (r + L.pad - ky) / L.s - L.row_lo, ix = (c + L.pad - kx) / L.s - L.row_lo;
                    mac_array(in_buf, w_buf, out_buf, ky * L.k + kx, iy * L.in_cols + ix, r * L.out_tc + c, tm_e, tn_e);
                }
            }
        }
    }
    COUNT(layer, compute, (uint64_t)L.k * L.k * L.tr * L.tc);
}

static void conv_layer(const Layer &L, int layer, const act_t *act_rd, act_t *act_wr, const wgt_t *weights,
                       const int32_t *params) {
    // Ping-pong: step s loads into one copy while the array computes on the other (Zhang FPGA'15).
    static act_t in_buf[2][TN][IN_DEPTH];
    static wgt_t w_buf[2][TM][TN][K2_MAX];
    static int32_t out_buf[TM][OUT_DEPTH];
    static int32_t shift_buf[TM];
PRAGMA(HLS ARRAY_PARTITION variable=in_buf complete dim=2)
PRAGMA(HLS ARRAY_PARTITION variable=w_buf complete dim=2)
PRAGMA(HLS ARRAY_PARTITION variable=w_buf complete dim=3)
PRAGMA(HLS ARRAY_PARTITION variable=out_buf complete dim=1)
PRAGMA(HLS ARRAY_PARTITION variable=shift_buf complete dim=1)
    const int tm_e = min32(TM, L.m);
    const int steps = (L.n + TN - 1) / TN;
    const int out_channels = L.m * L.groups;
    const int rows = L.transposed ? L.in_h : L.out_h, cols = L.transposed ? L.in_w : L.out_w;
    const int out_step = L.transposed ? L.s : 1;  // output pixels per tiled pixel
    for (int b = 0; b < L.batch; ++b) {
        for (int g = 0; g < L.groups; ++g) {
            for (int row0 = 0; row0 < rows; row0 += L.tr) {
                for (int col0 = 0; col0 < cols; col0 += L.tc) {
                    for (int m0 = 0; m0 < L.m; m0 += TM) {
                        for (int o = 0; o < TM; ++o) {
                            const bool real = m0 + o < L.m;
                            const int ch = g * L.m + m0 + o;
                            const int32_t bias = real ? params[L.p_off + ch] : 0;
                            shift_buf[o] = real ? params[L.p_off + out_channels + ch] : 0;
                            for (int p = 0; p < L.out_tr * L.out_tc; ++p) {
PRAGMA(HLS PIPELINE II=1)
                                out_buf[o][p] = bias;
                            }
                        }
                        for (int step = 0; step <= steps; ++step) {
                            const int n0 = step * TN;
                            if ((step & 1) == 0) {
                                if (step < steps)
                                    load_step(L, layer, act_rd, weights, params, b, g, row0, col0, m0, n0, in_buf[0], w_buf[0]);
                                if (step > 0 && L.transposed) compute_transposed_step(L, layer, in_buf[1], w_buf[1], out_buf);
                                else if (step > 0) compute_step(L, layer, in_buf[1], w_buf[1], out_buf);
                            } else {
                                if (step < steps)
                                    load_step(L, layer, act_rd, weights, params, b, g, row0, col0, m0, n0, in_buf[1], w_buf[1]);
                                if (L.transposed) compute_transposed_step(L, layer, in_buf[0], w_buf[0], out_buf);
                                else compute_step(L, layer, in_buf[0], w_buf[0], out_buf);
                            }
                        }
                        for (int o = 0; o < tm_e; ++o) {
                            for (int r = 0; r < L.out_tr; ++r) {
                                for (int c = 0; c < L.out_tc; ++c) {
PRAGMA(HLS PIPELINE II=1)
                                    const int y = row0 * out_step + r, x = col0 * out_step + c, ch = g * L.m + m0 + o;
                                    if (m0 + o < L.m && y < L.out_h && x < L.out_w) {
                                        act_t v = saturate(shift_round(out_buf[o][r * L.out_tc + c], shift_buf[o]));
                                        if (L.post_relu && v < 0) v = 0;
                                        act_wr[L.out_off + (((int64_t)b * out_channels + ch) * L.out_h + y) * L.out_w + x] = v;
                                    }
                                }
                            }
                        }
                        COUNT(layer, output, (uint64_t)tm_e * L.out_tr * L.out_tc);
                    }
                }
            }
        }
    }
}

// ---- streamed ops: every operand word read once, every result word written once -----------------
#define COUNT_READ(layer, operand, n) \
    do { if (L.skip[operand]) COUNT(layer, skip, n); else COUNT(layer, input, n); } while (0)

static void pool_layer(const Layer &L, int layer, const act_t *act_rd, act_t *act_wr) {
    static int32_t acc[POOL_DEPTH];  // one output map: each input word updates every window holding it
    for (int b = 0; b < L.batch; ++b) {
        for (int ch = 0; ch < L.n; ++ch) {
            const int64_t in_base = L.in_off[0] + ((int64_t)b * L.n + ch) * L.in_h * L.in_w;
            const int64_t out_base = L.out_off + ((int64_t)b * L.n + ch) * L.out_h * L.out_w;
            for (int p = 0; p < L.out_h * L.out_w; ++p) acc[p] = L.avg ? 0 : ACT_MIN;
            for (int y = 0; y < L.in_h; ++y) {
                for (int x = 0; x < L.in_w; ++x) {
PRAGMA(HLS PIPELINE)
                    const int32_t v = act_rd[in_base + (int64_t)y * L.in_w + x];
                    // outputs whose window covers (y, x): oy*s <= y < oy*s + k
                    for (int oy = (y - L.k + L.s) / L.s > 0 ? (y - L.k + L.s) / L.s : 0; oy <= y / L.s && oy < L.out_h; ++oy) {
                        for (int ox = (x - L.k + L.s) / L.s > 0 ? (x - L.k + L.s) / L.s : 0; ox <= x / L.s && ox < L.out_w; ++ox) {
                            int32_t &a = acc[oy * L.out_w + ox];
                            a = L.avg ? a + v : (v > a ? v : a);
                        }
                    }
                }
            }
            for (int p = 0; p < L.out_h * L.out_w; ++p) {
PRAGMA(HLS PIPELINE II=1)
                act_wr[out_base + p] = L.avg ? saturate(shift_round(acc[p], L.out_shift)) : (act_t)acc[p];
            }
        }
    }
    COUNT_READ(layer, 0, (uint64_t)L.batch * L.n * L.in_h * L.in_w);
    COUNT(layer, output, (uint64_t)L.batch * L.n * L.out_h * L.out_w);
}

static void upsample_layer(const Layer &L, int layer, const act_t *act_rd, act_t *act_wr) {
    static act_t row[ROW_MAX];
    const int f = L.out_h / L.in_h;
    for (int b = 0; b < L.batch; ++b) {
        for (int ch = 0; ch < L.n; ++ch) {
            const int64_t in_base = L.in_off[0] + ((int64_t)b * L.n + ch) * L.in_h * L.in_w;
            const int64_t out_base = L.out_off + ((int64_t)b * L.n + ch) * L.out_h * L.out_w;
            for (int y = 0; y < L.in_h; ++y) {
                for (int x = 0; x < L.in_w; ++x) {
PRAGMA(HLS PIPELINE II=1)
                    row[x] = act_rd[in_base + (int64_t)y * L.in_w + x];
                }
                for (int r = 0; r < f; ++r) {
                    for (int x = 0; x < L.out_w; ++x) {
PRAGMA(HLS PIPELINE II=1)
                        act_wr[out_base + (int64_t)(y * f + r) * L.out_w + x] = row[x / f];
                    }
                }
            }
        }
    }
    COUNT_READ(layer, 0, (uint64_t)L.batch * L.n * L.in_h * L.in_w);
    COUNT(layer, output, (uint64_t)L.batch * L.n * L.out_h * L.out_w);
}

static void add_layer(const Layer &L, int layer, const act_t *act_rd, act_t *act_wr) {
    const int64_t words = (int64_t)L.batch * L.m * L.out_h * L.out_w;
    for (int64_t i = 0; i < words; ++i) {
PRAGMA(HLS PIPELINE II=1)
        int64_t sum = 0;
        for (int o = 0; o < MAX_OPERANDS; ++o) {
PRAGMA(HLS UNROLL)
            if (o < L.operands) sum += shift_round(act_rd[L.in_off[o] + i], -L.shift[o]);
        }
        act_wr[L.out_off + i] = saturate(shift_round(sum, L.out_shift));
    }
    for (int o = 0; o < L.operands; ++o) COUNT_READ(layer, o, (uint64_t)words);
    COUNT(layer, output, (uint64_t)words);
}

static void concat_layer(const Layer &L, int layer, const act_t *act_rd, act_t *act_wr) {
    const int64_t map = (int64_t)L.out_h * L.out_w;
    for (int b = 0; b < L.batch; ++b) {
        int64_t out = L.out_off + (int64_t)b * L.m * map;
        for (int o = 0; o < L.operands; ++o) {
            const int64_t words = L.in_channels[o] * map;
            const int64_t in = L.in_off[o] + b * words;
            for (int64_t i = 0; i < words; ++i) {
PRAGMA(HLS PIPELINE II=1)
                act_wr[out + i] = saturate(shift_round(act_rd[in + i], L.shift[o]));
            }
            out += words;
            COUNT_READ(layer, o, (uint64_t)words);
        }
    }
    COUNT(layer, output, (uint64_t)L.batch * L.m * map);
}

void cx_engine(const act_t *act_rd, act_t *act_wr, const wgt_t *weights, const int32_t *params) {
$interface_pragmas
PRAGMA(HLS INTERFACE s_axilite port=return)
#ifndef __SYNTHESIS__
    for (int l = 0; l < N_LAYERS; ++l) cx_counts[l] = Counts{0, 0, 0, 0, 0};
#endif
    for (int l = 0; l < N_LAYERS; ++l) {
        const Layer &L = LAYERS[l];
        switch (L.kind) {
            case KIND_CONV: conv_layer(L, l, act_rd, act_wr, weights, params); break;
            case KIND_POOL: pool_layer(L, l, act_rd, act_wr); break;
            case KIND_UPSAMPLE: upsample_layer(L, l, act_rd, act_wr); break;
            case KIND_ADD: add_layer(L, l, act_rd, act_wr); break;
            default: concat_layer(L, l, act_rd, act_wr); break;
        }
    }
}
