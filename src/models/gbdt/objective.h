/*
 * objective.h — losses for gradient boosting: starting score, per-row
 * gradient and hessian, and the transform from raw score to prediction.
 * Enum values are written into artifacts: append only.
 */
#ifndef ML_MODELS_GBDT_OBJECTIVE_H
#define ML_MODELS_GBDT_OBJECTIVE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum obj_id {
    OBJ_BINARY = 0,
    OBJ_MULTICLASS = 1,
    OBJ_L2 = 2,
    OBJ_L1 = 3,
    OBJ_HUBER = 4,
    OBJ_QUANTILE = 5,
    OBJ_POISSON = 6,
} obj_id;
#define OBJ_COUNT 7

/* The names --param objective=... accepts, in enum order, '|'-separated. */
#define OBJ_CHOICES "binary|multiclass|regression|l1|huber|quantile|poisson"

const char *obj_name(obj_id id);
/* Leaves are refit to a quantile of the residuals (L1, quantile). */
bool obj_refits_leaves(obj_id id);

/* Starting raw score(s) (K values) from targets y and weights w (NULL = 1). */
void obj_base_score(obj_id id, const double *y, const double *w, size_t n, size_t K, double alpha,
                    double *base);

/* Gradient and hessian of output k for rows [0, n) given raw scores
 * (n x K, row-major). */
void obj_gradients(obj_id id, const double *y, const double *w, const double *score, size_t n,
                   size_t K, size_t k, double alpha, double pos_weight, double *g, double *h);

/* Raw scores → predictions in place (probabilities for classification:
 * binary gives 1 value per row, the positive class's probability). */
void obj_transform(obj_id id, double *score, size_t n, size_t K);

#endif
