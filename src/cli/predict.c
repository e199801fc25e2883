/*
 * predict.c — `mloop predict`: stream a source through a model into a sink.
 * Batches are bounded (BATCH_ROWS), so memory stays flat for any input
 * size; the sink commits once at the end, so a failure part way leaves no
 * partial output.
 */
#include "cli/cli.h"

#include "models/model.h"

#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char cmd_predict_usage[] =
    "usage: mloop predict MODEL --data SRC --out DST [options]\n"
    "\n"
    "Scores every row of SRC with MODEL (a .mloop file) and writes the id columns, the\n"
    "prediction and, for classification, the probability of each class (p_<class>).\n"
    "\n"
    "Options:\n"
    "  --data SRC            rows to score (file.csv, sqlite:PATH, postgresql://...)\n"
    "  --out DST             where predictions go (file.csv, sqlite:PATH, postgresql://...)\n"
    "  --id COL              copy this input column to the output (repeatable)\n"
    "  --to-table T          database destinations: the table to write\n"
    "  --if-exists fail|replace|append  an existing destination (default: fail)\n"
    "  --batch-rows N        rows per batch (default 65536)\n"
    "\n" CLI_READER_OPTIONS_HELP;

enum { MAX_IDS = 64, DEFAULT_BATCH_ROWS = 65536 };

static int build_output(const mdl_model *m, const tbl_table *batch, const int *id_cols, size_t nids,
                        const double *pred, tbl_table **out, ml_error *err)
{
    size_t n = tbl_nrows(batch), K = m->noutputs;
    const mdl_schema *s = m->schema;
    bool classification = mdl_task_is_classification(s->task);
    tbl_table *t = tbl_create();
    if (!t)
        return ml_err(err, ML_ENOMEM, "out of memory");
    int rc = ML_OK;
    for (size_t i = 0; i < nids && !rc; i++) {
        const tbl_column *c = tbl_col(batch, (size_t)id_cols[i]);
        rc = tbl_add_column(t, c->name, c->type, err);
    }
    if (!rc)
        rc = tbl_add_column(t, "prediction", classification ? TBL_STR : TBL_F64, err);
    for (size_t k = 0; classification && k < K && !rc; k++)
        rc = tbl_add_column(t, m->output_names[k], TBL_F64, err);
    if (!rc)
        rc = tbl_resize(t, n, err);
    char buf[TBL_CELL_TEXT_MAX];
    for (size_t i = 0; i < nids && !rc; i++) {
        const tbl_column *c = tbl_col(batch, (size_t)id_cols[i]);
        for (size_t r = 0; r < n && !rc; r++) {
            if (tbl_is_null(c, r)) {
                rc = tbl_set_null(t, i, r, err);
                continue;
            }
            switch (c->type) {
            case TBL_F64:
                tbl_set_f64(t, i, r, c->data.f64[r]);
                break;
            case TBL_I64:
                tbl_set_i64(t, i, r, c->data.i64[r]);
                break;
            case TBL_BOOL:
                tbl_set_bool(t, i, r, c->data.b[r]);
                break;
            case TBL_DATE:
                tbl_set_date(t, i, r, c->data.date[r]);
                break;
            case TBL_TIMESTAMP:
                tbl_set_timestamp(t, i, r, c->data.ts[r]);
                break;
            case TBL_STR: {
                const char *text;
                size_t len = tbl_cell_text(c, r, buf, &text);
                rc = tbl_set_str(t, i, r, text, len, err);
                break;
            }
            }
        }
    }
    for (size_t r = 0; r < n && !rc; r++) {
        const double *p = pred + r * K;
        if (!classification) {
            tbl_set_f64(t, nids, r, p[0]);
            continue;
        }
        size_t best = mdl_predicted_class(m, p);
        rc = tbl_set_str(t, nids, r, s->classes[best], strlen(s->classes[best]), err);
        for (size_t k = 0; k < K; k++)
            tbl_set_f64(t, nids + 1 + k, r, p[k]);
    }
    if (rc) {
        tbl_free(t);
        return rc;
    }
    *out = t;
    return ML_OK;
}

int cmd_predict(int argc, char **argv)
{
    src_options opts = {0};
    sink_options sink = {0};
    const char *model_path = NULL, *data = NULL, *dst = NULL, *ids[MAX_IDS];
    size_t nids = 0, batch_rows = DEFAULT_BATCH_ROWS;
    for (int i = 1; i < argc;) {
        int r = cli_reader_option(argc, argv, &i, &opts);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        const char *opt = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (opt[0] != '-' || !opt[1]) {
            if (model_path)
                return cli_usage_error("predict", "predict: unexpected argument '%s'", opt);
            model_path = opt;
            i++;
            continue;
        }
        if (!v)
            return cli_usage_error("predict", "predict: '%s' needs a value", opt);
        if (strcmp(opt, "--data") == 0) {
            data = v;
        } else if (strcmp(opt, "--out") == 0) {
            dst = v;
        } else if (strcmp(opt, "--id") == 0) {
            if (nids == MAX_IDS)
                return cli_usage_error("predict", "--id: at most %d columns", MAX_IDS);
            ids[nids++] = v;
        } else if (strcmp(opt, "--to-table") == 0) {
            sink.table = v;
        } else if (strcmp(opt, "--if-exists") == 0) {
            if (cli_parse_if_exists(v, &sink.if_exists) != 0)
                return cli_usage_error(
                    "predict", "--if-exists: expected fail, replace or append, got '%s'", v);
        } else if (strcmp(opt, "--batch-rows") == 0) {
            char *end;
            long long n = strtoll(v, &end, 10);
            if (*end || n < 1 || n > 100000000)
                return cli_usage_error("predict", "--batch-rows: expected 1..100000000, got '%s'",
                                       v);
            batch_rows = (size_t)n;
        } else {
            return cli_usage_error("predict", "predict: unknown option '%s'", opt);
        }
        i += 2;
    }
    if (!model_path)
        return cli_usage_error("predict", "predict: MODEL is required");
    if (!data || !dst)
        return cli_usage_error("predict", "predict: --data SRC and --out DST are required");
    if (opts.threads > 0)
        omp_set_num_threads(opts.threads);

    ml_error err = {0};
    mdl_model *m = NULL;
    src_reader *reader = NULL;
    sink_writer *writer = NULL;
    tbl_table *batch = NULL, *out = NULL;
    mdl_frame frame = {0};
    double *pred = NULL;
    size_t total = 0;
    double start = cli_now();
    int rc;
    if ((rc = mdl_load(model_path, &m, &err)) || (rc = src_open(data, &opts, &reader, &err)))
        goto done;
    for (;;) {
        if ((rc = src_next_batch(reader, batch_rows, &batch, &err)))
            goto done;
        if (!batch)
            break;
        int id_cols[MAX_IDS];
        for (size_t i = 0; i < nids; i++)
            if ((id_cols[i] = tbl_find(batch, ids[i])) < 0) {
                rc = ml_err(&err, ML_EINVAL, "--id column '%s' not found in the data", ids[i]);
                goto done;
            }
        size_t n = tbl_nrows(batch);
        if ((rc = frame_build(mdl_inputs(m), batch, &frame, &err)))
            goto done;
        double *grown = realloc(pred, (n ? n : 1) * m->noutputs * sizeof *pred);
        if (!grown) {
            rc = ml_err(&err, ML_ENOMEM, "out of memory predicting");
            goto done;
        }
        pred = grown;
        if ((rc = mdl_predict_frame(m, &frame, pred, &err)) ||
            (rc = build_output(m, batch, id_cols, nids, pred, &out, &err)))
            goto done;
        if (!writer && (rc = sink_open(dst, &sink, out, &writer, &err)))
            goto done;
        if ((rc = sink_write(writer, out, &err)))
            goto done;
        total += n;
        double elapsed = cli_now() - start;
        cli_progress("scored %zu rows  %.3g rows/s", total, elapsed > 0 ? total / elapsed : 0);
        frame_free(&frame);
        tbl_free(out);
        tbl_free(batch);
        out = batch = NULL;
    }
    if (!writer) {
        rc = ml_err(&err, ML_EINVAL, "%s has no rows to score", data);
        goto done;
    }
    rc = sink_commit(writer, &err);
    writer = NULL;
    if (!rc) {
        char shown[512];
        src_display_uri(dst, shown, sizeof shown);
        cli_progress_done();
        fprintf(stderr, "mloop: scored %zu rows in %.2f s into %s\n", total, cli_now() - start,
                shown);
    }
done:
    cli_progress_done();
    if (writer)
        sink_abort(writer);
    frame_free(&frame);
    tbl_free(out);
    tbl_free(batch);
    free(pred);
    if (reader)
        src_close(reader);
    mdl_free(m);
    return rc ? cli_fail(&err) : CLI_EXIT_OK;
}
