/* kb_model.h: the re-ranker's and the confidence model's weights, generated
 * by bench/kb_bench.c (`build/rel/bench/kb_bench quality --train`); do not
 * edit by hand. Both are L2 logistic regressions (liblinear, C=1) fitted on
 * the training splits of PubMedQA, NLI4CT, the demo and KESTREL-RA sets;
 * features: see ans_cand_features and ans_features in kb_answer.c. */
#ifndef BATON_KB_MODEL_H
#define BATON_KB_MODEL_H

static const double kb_rr_bias = 0.000000;
static const double kb_rr_w[KB_RR_NF] = {2.902482, -0.093886, 4.100904, 4.639517, 1.242543, 0.455442, -0.455442, 0.339070, 1.095958, 0.582463, 0.657178, -0.162558, 0.706695, 1.084797, -0.174600, 0.294968};
static const double kb_model_bias = -2.772961;
static const double kb_model_w[KB_MODEL_NF] = {0.001800, 0.671908, 1.981240, -1.882045, 1.000458, -0.498941, -0.209372, -0.367686, 0.116585, 2.075512};

#endif
