/*
 * fuzz_model.c — libFuzzer target for the model decoders behind the
 * artifact container: the schema, the tree ensembles (gbdt, forest) and
 * linear models.  The container's checksums would stop mutated bytes before
 * they reach these decoders, so this target feeds them directly: the input
 * is a u32 schema length, the schema bytes, then the model bytes.  A model
 * that decodes is then used: described and asked to predict rows of NaN,
 * zero and large values, so a bad index would show as an ASan report.
 */
#include "models/model.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 4)
        return 0;
    uint32_t slen = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 |
                    (uint32_t)data[3] << 24;
    if (slen > size - 4)
        return 0;
    /* Exact-size copies so any read past the end is an ASan report. */
    size_t mlen = size - 4 - slen;
    uint8_t *schema = malloc(slen ? slen : 1), *model = malloc(mlen ? mlen : 1);
    memcpy(schema, data + 4, slen);
    memcpy(model, data + 4 + slen, mlen);
    mdl_model *m = NULL;
    ml_error err = {0};
    mdl_sections sections = {.schema = schema, .schema_len = slen, .model = model,
                             .model_len = mlen};
    if (mdl_decode(&sections, &m, &err) == ML_OK) {
        size_t nf = m->schema->nfeatures, K = m->noutputs;
        double *rows = malloc(3 * nf * sizeof *rows), *out = malloc(3 * K * sizeof *out);
        for (size_t j = 0; j < nf; j++) {
            rows[j] = NAN;
            rows[nf + j] = 0;
            rows[2 * nf + j] = 1e300;
        }
        mdl_predict_rows(m, rows, 3, out);
        free(rows);
        free(out);
        mdl_free(m);
    }
    free(schema);
    free(model);
    return 0;
}
