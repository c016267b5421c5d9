/* kb_model.h: the re-ranker's and the confidence model's weights, generated
 * by bench/kb_bench.c (`build/rel/bench/kb_bench quality --train`); do not
 * edit by hand. Both are L2 logistic regressions (liblinear, C=1) fitted on
 * the training splits of PubMedQA, NLI4CT, the demo and KESTREL-RA sets;
 * features: see ans_cand_features and ans_features in kb_answer.c. */
#ifndef BATON_KB_MODEL_H
#define BATON_KB_MODEL_H

static const double kb_rr_bias = -4.272668;
static const double kb_rr_w[KB_RR_NF] = {1.248606, 0.892560, 2.702194, 3.205865, -2.609793, -0.009488, -0.480233, -0.665900, -0.245580, -0.620697, 0.013961, -0.289890, 0.136003, 0.417147, 0.016766, 0.861649};
static const double kb_model_bias = -4.674013;
static const double kb_model_w[KB_MODEL_NF] = {0.495936, 0.654502, 2.263525, -1.634714, 2.114671, -0.396030, 0.241204, 0.081654, -1.504146, 3.158671};

#endif
