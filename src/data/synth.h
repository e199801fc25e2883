/*
 * synth.h — realistic generated datasets for the demo, the examples and
 * tests: deterministic for a seed, with the untidiness real data has
 * (missing values, outliers, an ID column, dates, mixed types) and a target
 * that depends on the features, so that a model has something to learn.
 */
#ifndef ML_DATA_SYNTH_H
#define ML_DATA_SYNTH_H

#include "data/table.h"

#include <stdint.h>

/* A telecom-style customer table: customer_id, signup_date, age, plan,
 * region, tenure_months, monthly_charges, total_charges, support_calls,
 * has_partner, last_login, churned ("yes"/"no"). */
int synth_customers(size_t rows, uint64_t seed, tbl_table **out, ml_error *err);

#endif
