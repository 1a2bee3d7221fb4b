// C-simulation testbench: runs the engine on every image in data/, compares every checked tensor
// with the integer reference bit for bit, and prints the per-layer counts next to the cost model's.
// Exit status: 0 both match, 1 a tensor differs, 2 only the counts differ.
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "engine.h"
#include "testbench_data.h"  // generated: inputs, checked tensors, layer names, the model's counts

template <typename T>
static bool read_file(const std::string &path, std::vector<T> &out, size_t words) {
    out.assign(words, T(0));
    FILE *f = std::fopen(path.c_str(), "rb");
    if (!f) return false;
    const size_t got = std::fread(out.data(), sizeof(T), words, f);
    std::fclose(f);
    return got == words;
}

int main(int argc, char **argv) {
    const std::string dir = argc > 1 ? argv[1] : "data";
    std::vector<wgt_t> weights;
    std::vector<int32_t> params;
    if (!read_file(dir + "/weights.bin", weights, WEIGHT_WORDS) || !read_file(dir + "/params.bin", params, PARAM_WORDS)) {
        std::printf("FAIL: cannot read %s/weights.bin or params.bin\n", dir.c_str());
        return 1;
    }
    std::vector<act_t> act(ACT_WORDS), in, expected;
    bool exact = true;
    for (int image = 0; image < N_IMAGES; ++image) {
        const std::string tag = std::to_string(image);
        if (!read_file(dir + "/input_" + tag + ".bin", in, INPUT_WORDS) ||
            !read_file(dir + "/expected_" + tag + ".bin", expected, CHECK_WORDS)) {
            std::printf("FAIL: cannot read image %d in %s\n", image, dir.c_str());
            return 1;
        }
        std::fill(act.begin(), act.end(), act_t(0));
        int64_t at = 0;
        for (int i = 0; i < N_INPUTS; ++i) {
            std::memcpy(&act[INPUTS[i].offset], &in[at], sizeof(act_t) * INPUTS[i].words);
            at += INPUTS[i].words;
        }
        cx_engine(act.data(), act.data(), weights.data(), params.data());
        at = 0;
        for (int t = 0; t < N_CHECKED; ++t) {
            for (int64_t w = 0; w < CHECKED[t].words; ++w) {
                if (act[CHECKED[t].offset + w] != expected[at + w]) {
                    std::printf("MISMATCH image %d tensor %s word %" PRId64 ": engine %d, reference %d\n", image,
                                CHECKED[t].name, w, (int)act[CHECKED[t].offset + w], (int)expected[at + w]);
                    exact = false;
                    break;
                }
            }
            at += CHECKED[t].words;
        }
    }
    static const char *const FIELDS[5] = {"compute", "input", "weight", "output", "skip"};
    int differ = 0;
    FILE *csv = std::fopen("csim_counts.csv", "w");
    if (csv) std::fprintf(csv, "layer,counter,engine,model\n");
    std::printf("%-36s %-8s %16s %16s\n", "layer", "counter", "engine (C-sim)", "cost model");
    for (int l = 0; l < N_LAYERS; ++l) {
        const uint64_t engine[5] = {cx_counts[l].compute, cx_counts[l].input, cx_counts[l].weight,
                                    cx_counts[l].output, cx_counts[l].skip};
        for (int f = 0; f < 5; ++f) {
            const uint64_t model = MODEL_COUNTS[l][f];
            if (engine[f] == 0 && model == 0) continue;
            const bool same = engine[f] == model;
            differ += same ? 0 : 1;
            std::printf("%-36s %-8s %16" PRIu64 " %16" PRIu64 "%s\n", LAYER_NAMES[l], FIELDS[f], engine[f], model,
                        same ? "" : "  DIFFERS");
            if (csv) std::fprintf(csv, "%s,%s,%" PRIu64 ",%" PRIu64 "\n", LAYER_NAMES[l], FIELDS[f], engine[f], model);
        }
    }
    if (csv) std::fclose(csv);
    std::printf("%s: %d image(s), %d checked tensor(s)\n", exact ? "PASS (bit-exact)" : "FAIL (not bit-exact)",
                N_IMAGES, N_CHECKED);
    std::printf("%s\n", differ ? "COUNTS DIFFER from the cost model (see DIFFERS)" : "COUNTS EQUAL the cost model");
    return exact ? (differ ? 2 : 0) : 1;
}
