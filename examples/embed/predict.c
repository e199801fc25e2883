/* Loads a .mloop artifact and scores rows given on the command line as
 * name=value pairs: ./predict churn.mloop tenure=3 plan=basic ... */
#include <mloop.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    mloop_error err = {0};
    mloop_model *model;
    if (argc < 2 || mloop_model_load(argv[1], &model, &err) != MLOOP_OK) {
        fprintf(stderr, "%s\n", argc < 2 ? "usage: predict MODEL [name=value]..." : err.message);
        return 2;
    }
    size_t n = mloop_model_num_inputs(model), k = mloop_model_num_outputs(model);
    double row[256], out[256];
    for (size_t i = 0; i < n && i < 256; i++) {
        const char *name = mloop_model_input_name(model, i), *value = NULL;
        for (int a = 2; a < argc; a++)
            if (!strncmp(argv[a], name, strlen(name)) && argv[a][strlen(name)] == '=')
                value = argv[a] + strlen(name) + 1;
        row[i] = !value ? NAN /* missing */
                 : mloop_model_input_type(model, i) == MLOOP_INPUT_CATEGORICAL
                     ? mloop_model_category_code(model, i, value)
                     : strtod(value, NULL);
    }
    if (n > 256 || k > 256 || mloop_predict(model, row, 1, out, &err) != MLOOP_OK) {
        fprintf(stderr, "%s\n", n > 256 || k > 256 ? "too many inputs" : err.message);
        mloop_model_free(model);
        return 1;
    }
    for (size_t j = 0; j < k; j++)
        printf("%s=%.6g\n", mloop_model_output_name(model, j), out[j]);
    mloop_model_free(model);
    return 0;
}
