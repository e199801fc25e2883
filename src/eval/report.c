/*
 * report.c — the evaluation report: one HTML page, CSS inline, every chart
 * a hand-written SVG.
 *
 * Why hand-written SVG: the report must open anywhere, offline, years from
 * now, and be safe to mail around.  So the page loads nothing (a
 * Content-Security-Policy meta forbids it, and forbids script too), needs no
 * JavaScript, and draws with the one vector format every browser has.
 * Tooltips are SVG <title> elements; hover highlights are CSS.
 *
 * How it is built
 *  - One render context (rc) owns the output buffer (core/buf.h's writer:
 *    appends never fail one by one, the status is checked once at the end)
 *    and a small ring of number buffers, so a call can format several
 *    numbers into one putf without allocating.
 *  - Numbers never go through printf's %f/%g in putf: coordinates are
 *    written as integer tenths (C), values with %.4g whose decimal point is
 *    then forced to '.' (N), so the page is the same under every locale.
 *  - Every caller string goes through put_esc (&<>"' and control bytes).
 *  - A chart is a plot: a pixel rectangle inside a viewBox plus two axes.
 *    Axes snap to "nice" ticks (1-2-5 × 10^k) or decades on a log scale;
 *    data is drawn inside a clipPath so a stray value cannot paint over the
 *    labels.  Lines break at non-finite points; points too close to the
 *    previous one (under half a pixel) are dropped, so a 100,000-point ROC
 *    curve costs a few hundred path commands.
 *  - Big scatters are subsampled evenly by index (deterministic); per-point
 *    tooltips are written only up to RPT_TIP_POINTS points to keep the file
 *    small.
 */
#include "eval/report.h"

#include "core/buf.h"
#include "core/file.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RPT_TIP_POINTS 1500
#define RPT_HOVER_POINTS 60
#define RPT_MAX_CLASSES 100

/* A palette readable on white and by most colour-blind readers (Tableau 10). */
#define COL_BLUE "#3b6fb6"
#define COL_ORANGE "#e8871e"
#define COL_GREEN "#3f9b57"
#define COL_RED "#d1495b"
#define COL_PURPLE "#8e6bb8"
#define COL_GREY "#94a3b8"

/* ---- output ------------------------------------------------------------ */

enum { NSLOT = 12, SLOT_SIZE = 48 };

typedef struct rc {
    ml_wbuf w;
    char slot[NSLOT][SLOT_SIZE];
    int next;
    int ids; /* clipPath / gradient ids, unique in the page */
} rc;

static char *slot(rc *c)
{
    char *b = c->slot[c->next];
    c->next = (c->next + 1) % NSLOT;
    return b;
}

static void put(rc *c, const char *s)
{
    wbuf_bytes(&c->w, s, strlen(s));
}

static void putf(rc *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(rc *c, const char *fmt, ...)
{
    char small[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) {
        c->w.failed = true;
        return;
    }
    if ((size_t)n < sizeof small) {
        wbuf_bytes(&c->w, small, (size_t)n);
        return;
    }
    char *big = malloc((size_t)n + 1);
    if (!big) {
        c->w.failed = true;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    wbuf_bytes(&c->w, big, (size_t)n);
    free(big);
}

static void put_esc_n(rc *c, const char *s, size_t n)
{
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *rep = NULL;
        switch (ch) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            if ((ch < 0x20 && ch != '\t' && ch != '\n') || ch == 0x7f)
                rep = " ";
        }
        if (rep) {
            wbuf_bytes(&c->w, s + run, i - run);
            put(c, rep);
            run = i + 1;
        }
    }
    wbuf_bytes(&c->w, s + run, n - run);
}

static void put_esc(rc *c, const char *s)
{
    if (s)
        put_esc_n(c, s, strlen(s));
}

/* Code points in s (bytes that do not continue a UTF-8 sequence). */
static size_t utf8_len(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* s escaped, cut to at most max code points with an ellipsis. */
static void put_esc_short(rc *c, const char *s, size_t max)
{
    if (utf8_len(s) <= max) {
        put_esc(c, s);
        return;
    }
    size_t cps = 0, i = 0;
    for (; s[i]; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80 && cps++ == max - 1)
            break;
    put_esc_n(c, s, i);
    put(c, "\u2026");
}

/* ---- numbers ----------------------------------------------------------- */

/* printf's decimal point follows LC_NUMERIC; the page always uses '.'. */
static void fix_point(char *b)
{
    const char *dp = localeconv()->decimal_point;
    if (!dp || !*dp || strcmp(dp, ".") == 0)
        return;
    char *p = strstr(b, dp);
    if (p) {
        size_t dl = strlen(dp);
        *p = '.';
        memmove(p + 1, p + dl, strlen(p + dl) + 1);
    }
}

static const char *fmtd(rc *c, const char *fmt, double v)
{
    char *b = slot(c);
    if (!isfinite(v)) {
        snprintf(b, SLOT_SIZE, "\u2014");
        return b;
    }
    if (v == 0)
        v += 0.0; /* -0 + 0 is +0: no "-0" */
    snprintf(b, SLOT_SIZE, fmt, v);
    fix_point(b);
    return b;
}

/* A value for people: whole numbers as such, the rest with 4 digits. */
static const char *N(rc *c, double v)
{
    if (isfinite(v) && v == nearbyint(v) && fabs(v) < 1e7)
        return fmtd(c, "%.0f", v);
    return fmtd(c, "%.4g", v);
}

/* A coordinate: tenths of a pixel, written as integers (locale-free). */
static const char *C(rc *c, double v)
{
    char *b = slot(c);
    if (!isfinite(v))
        v = 0;
    v = fmax(-1e7, fmin(1e7, v));
    long t = lround(v * 10);
    long a = labs(t);
    if (a % 10)
        snprintf(b, SLOT_SIZE, "%s%ld.%ld", t < 0 ? "-" : "", a / 10, a % 10);
    else
        snprintf(b, SLOT_SIZE, "%s%ld", t < 0 ? "-" : "", a / 10);
    return b;
}

/* ---- axes and plots ---------------------------------------------------- */

typedef struct axis {
    double lo, hi; /* log axes: in decades (log10 units) */
    double step;   /* linear: tick spacing; log: decades between ticks */
    bool log;
} axis;

static double nice_step(double raw)
{
    double e = pow(10, floor(log10(raw)));
    double f = raw / e;
    return (f <= 1.5 ? 1 : f <= 3 ? 2 : f <= 7 ? 5 : 10) * e;
}

/* A linear axis covering [lo, hi], widened to whole ticks (about target). */
static axis axis_linear(double lo, double hi, int target)
{
    axis a = {0};
    if (!(lo <= hi)) { /* no finite data */
        lo = 0;
        hi = 1;
    }
    if (hi - lo <= 1e-12 * fmax(1, fabs(hi))) {
        double d = lo != 0 ? fabs(lo) * 0.1 : 1;
        lo -= d;
        hi += d;
    }
    a.step = nice_step((hi - lo) / target);
    a.lo = floor(lo / a.step + 1e-9) * a.step;
    a.hi = ceil(hi / a.step - 1e-9) * a.step;
    return a;
}

/* An axis for scatters: the data with 3% slack each side, so no point sits
 * on an axis line, and not widened to whole ticks (that could add a whole
 * empty step); ticks fall inside. */
static axis axis_padded(double lo, double hi, int target)
{
    axis a = axis_linear(lo, hi, target);
    if (!(lo <= hi) || a.hi - a.lo <= 0 || hi - lo <= 1e-12 * fmax(1, fabs(hi)))
        return a;
    double d = (hi - lo) * 0.03;
    a.lo = lo - d;
    a.hi = hi + d;
    a.step = nice_step((a.hi - a.lo) / target);
    return a;
}

static axis axis_unit(void)
{
    return (axis){.lo = 0, .hi = 1, .step = 0.2};
}

/* A log10 axis over positive [lo, hi], whole decades. */
static axis axis_log(double lo, double hi)
{
    axis a = {.log = true};
    a.lo = floor(log10(lo) + 1e-9);
    a.hi = ceil(log10(hi) - 1e-9);
    if (a.hi <= a.lo)
        a.hi = a.lo + 1;
    a.step = ceil((a.hi - a.lo) / 6);
    return a;
}

/* Tick values in data units; returns how many (at most max). */
static int axis_ticks(const axis *a, double *out, int max)
{
    int n = 0;
    if (a->log) {
        bool minor = a->hi - a->lo <= 2;
        for (double d = a->lo; d <= a->hi + 1e-9 && n < max; d += a->step) {
            double base = pow(10, d);
            out[n++] = base;
            if (minor && d < a->hi - 1e-9) {
                if (n < max)
                    out[n++] = 2 * base;
                if (n < max)
                    out[n++] = 5 * base;
            }
        }
        return n;
    }
    double k0 = ceil(a->lo / a->step - 1e-6);
    for (int i = 0; n < max; i++) {
        double v = (k0 + i) * a->step;
        if (v > a->hi + a->step * 1e-6)
            break;
        out[n++] = v;
    }
    return n;
}

static bool in_domain(const axis *a, double v)
{
    return isfinite(v) && (!a->log || v > 0);
}

static double ax_frac(const axis *a, double v)
{
    double t = a->log ? log10(v) : v;
    return (t - a->lo) / (a->hi - a->lo);
}

typedef struct plot {
    double W, H;       /* viewBox */
    double l, t, r, b; /* plot area: x from l to r, y from t (top) to b */
    axis x, y;
} plot;

static plot plot_default(void)
{
    plot p = {.W = 600, .H = 400, .l = 66, .t = 40, .r = 582, .b = 344};
    p.x = p.y = axis_unit();
    return p;
}

static double px(const plot *p, double v)
{
    return p->l + ax_frac(&p->x, v) * (p->r - p->l);
}

static double py(const plot *p, double v)
{
    return p->b - ax_frac(&p->y, v) * (p->b - p->t);
}

static void svg_open(rc *c, const char *kind, double W, double H, const char *aria)
{
    putf(c,
         "<svg class=\"chart\" data-chart=\"%s\" viewBox=\"0 0 %s %s\" role=\"img\" aria-label=\"",
         kind, C(c, W), C(c, H));
    put_esc(c, aria);
    put(c, "\">\n");
}

static void svg_close(rc *c)
{
    put(c, "</svg>\n");
}

static void draw_axes(rc *c, const plot *p, const char *xlabel, const char *ylabel)
{
    double tk[64];
    put(c, "<g class=\"axes\">");
    int n = axis_ticks(&p->y, tk, 64);
    for (int i = 0; i < n; i++) {
        double Y = py(p, tk[i]);
        putf(c, "<line class=\"gl\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", C(c, p->l), C(c, Y),
             C(c, p->r), C(c, Y));
        putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"end\">%s</text>",
             C(c, p->l - 8), C(c, Y + 4), N(c, tk[i]));
    }
    n = axis_ticks(&p->x, tk, 64);
    for (int i = 0; i < n; i++) {
        double X = px(p, tk[i]);
        putf(c, "<line class=\"gl\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", C(c, X), C(c, p->t),
             C(c, X), C(c, p->b));
        putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>", C(c, X),
             C(c, p->b + 18), N(c, tk[i]));
    }
    putf(c, "<path class=\"ax\" d=\"M%s %sV%sH%s\"/>", C(c, p->l), C(c, p->t), C(c, p->b),
         C(c, p->r));
    if (xlabel) {
        putf(c, "<text class=\"lbl\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">",
             C(c, (p->l + p->r) / 2), C(c, p->b + 42));
        put_esc(c, xlabel);
        put(c, "</text>");
    }
    if (ylabel) {
        double cy = (p->t + p->b) / 2;
        putf(c,
             "<text class=\"lbl\" x=\"16\" y=\"%s\" text-anchor=\"middle\" "
             "transform=\"rotate(-90 16 %s)\">",
             C(c, cy), C(c, cy));
        put_esc(c, ylabel);
        put(c, "</text>");
    }
    put(c, "</g>\n");
}

/* Opens a group clipped to the plot area (a little slack for markers). */
static void data_open(rc *c, const plot *p)
{
    int id = ++c->ids;
    putf(c,
         "<clipPath id=\"rpt-clip-%d\"><rect x=\"%s\" y=\"%s\" width=\"%s\" "
         "height=\"%s\"/></clipPath><g clip-path=\"url(#rpt-clip-%d)\">",
         id, C(c, p->l - 6), C(c, p->t - 6), C(c, p->r - p->l + 12), C(c, p->b - p->t + 12), id);
}

static void data_close(rc *c)
{
    put(c, "</g>\n");
}

/* A polyline through the finite points, broken where a point is not. */
static void draw_line(rc *c, const plot *p, const double *x, const double *y, size_t n,
                      const char *color, const char *extra, const char *title)
{
    putf(c, "<path class=\"ln\" stroke=\"%s\"%s d=\"", color, extra ? extra : "");
    bool pen = false;
    double lx = 0, ly = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_domain(&p->x, x[i]) || !in_domain(&p->y, y[i])) {
            pen = false;
            continue;
        }
        double X = px(p, x[i]), Y = py(p, y[i]);
        if (pen && fabs(X - lx) < 0.5 && fabs(Y - ly) < 0.5 && i + 1 < n)
            continue;
        putf(c, "%s%s %s", pen ? "L" : "M", C(c, X), C(c, Y));
        pen = true;
        lx = X;
        ly = Y;
    }
    put(c, "\">");
    if (title) {
        put(c, "<title>");
        put_esc(c, title);
        put(c, "</title>");
    }
    put(c, "</path>\n");
}

/* The area between a curve and the x-axis (finite points only). */
static void draw_area(rc *c, const plot *p, const double *x, const double *y, size_t n,
                      const char *color)
{
    putf(c, "<path class=\"area\" fill=\"%s\" d=\"", color);
    bool any = false;
    double fx = 0, lx = 0, ly = 0;
    for (size_t i = 0; i < n; i++) {
        if (!in_domain(&p->x, x[i]) || !in_domain(&p->y, y[i]))
            continue;
        double X = px(p, x[i]), Y = py(p, y[i]);
        if (any && fabs(X - lx) < 0.5 && fabs(Y - ly) < 0.5)
            continue;
        if (!any) {
            putf(c, "M%s %s", C(c, X), C(c, p->b));
            fx = X;
        }
        putf(c, "L%s %s", C(c, X), C(c, Y));
        any = true;
        lx = X;
        ly = Y;
    }
    if (any)
        putf(c, "L%s %sL%s %sZ", C(c, lx), C(c, p->b), C(c, fx), C(c, p->b));
    put(c, "\"/>\n");
}

/* Invisible hover targets along a curve, each with a tooltip. */
static void draw_hover(rc *c, const plot *p, const double *x, const double *y, size_t n,
                       const char *color, const char *xname, const char *yname)
{
    size_t m = n < RPT_HOVER_POINTS ? n : RPT_HOVER_POINTS;
    for (size_t j = 0; j < m; j++) {
        size_t i = m == n ? j : (size_t)((double)j * (double)(n - 1) / (double)(m - 1));
        if (!in_domain(&p->x, x[i]) || !in_domain(&p->y, y[i]))
            continue;
        putf(c,
             "<circle class=\"hp\" cx=\"%s\" cy=\"%s\" r=\"5\" color=\"%s\"><title>%s %s, %s "
             "%s</title></circle>",
             C(c, px(p, x[i])), C(c, py(p, y[i])), color, xname, N(c, x[i]), yname, N(c, y[i]));
    }
    put(c, "\n");
}

static void draw_ref_line(rc *c, const plot *p, double x1, double y1, double x2, double y2)
{
    putf(c, "<line class=\"ref\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", C(c, px(p, x1)),
         C(c, py(p, y1)), C(c, px(p, x2)), C(c, py(p, y2)));
}

enum { LG_LINE, LG_DASH, LG_DOT, LG_BOX };

typedef struct legend {
    const char *label;
    const char *color;
    int kind;
} legend;

/* Legend items in a row above the plot, right-aligned. */
static void draw_legend(rc *c, const plot *p, const legend *items, size_t n)
{
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += 30 + (double)utf8_len(items[i].label) * 6.9 + 14;
    double x = fmax(p->l, p->r - total + 14), y = p->t - 16;
    put(c, "<g class=\"legend\">");
    for (size_t i = 0; i < n; i++) {
        const legend *it = &items[i];
        if (it->kind == LG_DOT)
            putf(c, "<circle cx=\"%s\" cy=\"%s\" r=\"4.5\" fill=\"%s\"/>", C(c, x + 11), C(c, y),
                 it->color);
        else if (it->kind == LG_BOX)
            putf(c, "<rect x=\"%s\" y=\"%s\" width=\"16\" height=\"10\" rx=\"2\" fill=\"%s\"/>",
                 C(c, x + 3), C(c, y - 5), it->color);
        else
            putf(c,
                 "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" "
                 "stroke-width=\"2.5\"%s/>",
                 C(c, x), C(c, y), C(c, x + 22), C(c, y), it->color,
                 it->kind == LG_DASH ? " stroke-dasharray=\"5 4\"" : "");
        putf(c, "<text x=\"%s\" y=\"%s\">", C(c, x + 30), C(c, y + 4));
        put_esc(c, it->label);
        put(c, "</text>");
        x += 30 + (double)utf8_len(it->label) * 6.9 + 14;
    }
    put(c, "</g>\n");
}

/* Range of the finite values v[idx[j]] (idx NULL: all n); positive only for
 * log axes.  False when there is none. */
static bool range_of(const double *v, const size_t *idx, size_t n, bool positive, double *lo,
                     double *hi)
{
    double a = INFINITY, b = -INFINITY;
    for (size_t j = 0; j < n; j++) {
        double x = v[idx ? idx[j] : j];
        if (!isfinite(x) || (positive && x <= 0))
            continue;
        a = fmin(a, x);
        b = fmax(b, x);
    }
    *lo = a;
    *hi = b;
    return a <= b;
}

/* ---- page parts -------------------------------------------------------- */

static void card_open(rc *c, const char *title, const char *note, bool wide)
{
    put(c, wide ? "<div class=\"card wide\"><h3>" : "<div class=\"card\"><h3>");
    put_esc(c, title);
    put(c, "</h3>");
    if (note) {
        put(c, "<p class=\"note\">");
        put_esc(c, note);
        put(c, "</p>");
    }
    put(c, "\n");
}

static void card_close(rc *c)
{
    put(c, "</div>\n");
}

static void section_open(rc *c, const char *id, const char *title)
{
    putf(c, "<section id=\"%s\"><h2>%s</h2><div class=\"grid\">\n", id, title);
}

static void section_close(rc *c)
{
    put(c, "</div></section>\n");
}

static const char *label_of(rc *c, const char *const *labels, size_t i)
{
    if (labels && labels[i])
        return labels[i];
    char *b = slot(c);
    snprintf(b, SLOT_SIZE, "%zu", i);
    return b;
}

/* ---- binary classification -------------------------------------------- */

static void chart_roc(rc *c, const rpt_roc *roc)
{
    char name[64];
    if (isfinite(roc->auc))
        snprintf(name, sizeof name, "ROC (AUC %s)", N(c, roc->auc));
    else
        snprintf(name, sizeof name, "ROC");
    card_open(c, "ROC curve", "true positive rate against false positive rate over all thresholds",
              false);
    plot p = plot_default();
    svg_open(c, "roc", p.W, p.H, "ROC curve");
    draw_axes(c, &p, "False positive rate", "True positive rate");
    data_open(c, &p);
    draw_ref_line(c, &p, 0, 0, 1, 1);
    draw_area(c, &p, roc->fpr, roc->tpr, roc->n, COL_BLUE);
    draw_line(c, &p, roc->fpr, roc->tpr, roc->n, COL_BLUE, NULL, name);
    draw_hover(c, &p, roc->fpr, roc->tpr, roc->n, COL_BLUE, "FPR", "TPR");
    data_close(c);
    legend lg[] = {{name, COL_BLUE, LG_LINE}, {"chance", COL_GREY, LG_DASH}};
    draw_legend(c, &p, lg, 2);
    svg_close(c);
    card_close(c);
}

static void chart_pr(rc *c, const rpt_pr *pr)
{
    char name[64];
    if (isfinite(pr->ap))
        snprintf(name, sizeof name, "PR (AP %s)", N(c, pr->ap));
    else
        snprintf(name, sizeof name, "PR");
    card_open(c, "Precision–recall curve", "precision against recall over all thresholds", false);
    plot p = plot_default();
    svg_open(c, "pr", p.W, p.H, "Precision-recall curve");
    draw_axes(c, &p, "Recall", "Precision");
    data_open(c, &p);
    draw_area(c, &p, pr->recall, pr->precision, pr->n, COL_PURPLE);
    draw_line(c, &p, pr->recall, pr->precision, pr->n, COL_PURPLE, NULL, name);
    draw_hover(c, &p, pr->recall, pr->precision, pr->n, COL_PURPLE, "recall", "precision");
    data_close(c);
    legend lg[] = {{name, COL_PURPLE, LG_LINE}};
    draw_legend(c, &p, lg, 1);
    svg_close(c);
    card_close(c);
}

static void chart_threshold(rc *c, const rpt_threshold *th)
{
    double lo, hi;
    plot p = plot_default();
    if (range_of(th->threshold, NULL, th->n, false, &lo, &hi) && (lo < 0 || hi > 1))
        p.x = axis_linear(lo, hi, 6);
    const char *note = "precision, recall and F1 at each decision threshold";
    char buf[96];
    if (isfinite(th->chosen)) {
        snprintf(buf, sizeof buf, "%s; the chosen threshold is %s", note, N(c, th->chosen));
        note = buf;
    }
    card_open(c, "Metrics by threshold", note, false);
    svg_open(c, "threshold", p.W, p.H, "Precision, recall and F1 by threshold");
    draw_axes(c, &p, "Threshold", "Score");
    data_open(c, &p);
    struct {
        const double *v;
        const char *name, *color;
    } s[] = {{th->precision, "precision", COL_BLUE},
             {th->recall, "recall", COL_ORANGE},
             {th->f1, "F1", COL_GREEN}};
    legend lg[4];
    size_t nl = 0;
    for (size_t k = 0; k < 3; k++) {
        if (!s[k].v)
            continue;
        draw_line(c, &p, th->threshold, s[k].v, th->n, s[k].color, NULL, s[k].name);
        draw_hover(c, &p, th->threshold, s[k].v, th->n, s[k].color, "threshold", s[k].name);
        lg[nl++] = (legend){s[k].name, s[k].color, LG_LINE};
    }
    if (isfinite(th->chosen) && th->chosen >= p.x.lo && th->chosen <= p.x.hi) {
        double X = px(&p, th->chosen);
        bool left = X > (p.l + p.r) / 2;
        putf(c,
             "<line class=\"mark\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"><title>chosen "
             "threshold %s</title></line>",
             C(c, X), C(c, p.t), C(c, X), C(c, p.b), N(c, th->chosen));
        putf(c, "<text class=\"marklbl\" x=\"%s\" y=\"%s\" text-anchor=\"%s\">t = %s</text>",
             C(c, X + (left ? -6 : 6)), C(c, p.t + 14), left ? "end" : "start", N(c, th->chosen));
        lg[nl++] = (legend){"chosen", "#334155", LG_DASH};
    }
    data_close(c);
    draw_legend(c, &p, lg, nl);
    svg_close(c);
    card_close(c);
}

static void chart_calibration(rc *c, const rpt_calibration *cal)
{
    card_open(c, "Calibration", "observed fraction of positives against mean predicted probability",
              false);
    plot p = plot_default();
    svg_open(c, "calibration", p.W, p.H, "Calibration curve");
    draw_axes(c, &p, "Mean predicted probability", "Fraction of positives");
    data_open(c, &p);
    legend lg[3] = {{"model", COL_BLUE, LG_LINE}, {"perfectly calibrated", COL_GREY, LG_DASH}};
    size_t nl = 2;
    if (cal->count) {
        double maxc = 0;
        for (size_t i = 0; i < cal->nbins; i++)
            if (isfinite(cal->count[i]))
                maxc = fmax(maxc, cal->count[i]);
        double bw = fmax(3, (p.r - p.l) / (double)cal->nbins * 0.7);
        for (size_t i = 0; maxc > 0 && i < cal->nbins; i++) {
            double x = cal->mean_pred[i], n = cal->count[i];
            if (!isfinite(x) || !isfinite(n) || n <= 0)
                continue;
            double h = n / maxc * 0.22 * (p.b - p.t);
            putf(c,
                 "<rect class=\"hist\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\"><title>bin "
                 "%zu: %s samples</title></rect>",
                 C(c, px(&p, x) - bw / 2), C(c, p.b - h), C(c, bw), C(c, h), i + 1, N(c, n));
        }
        lg[nl++] = (legend){"samples per bin", "#cbd5e1", LG_BOX};
    }
    draw_ref_line(c, &p, 0, 0, 1, 1);
    draw_line(c, &p, cal->mean_pred, cal->frac_pos, cal->nbins, COL_BLUE, NULL, "model");
    for (size_t i = 0; i < cal->nbins; i++) {
        double x = cal->mean_pred[i], y = cal->frac_pos[i];
        if (!isfinite(x) || !isfinite(y))
            continue;
        putf(c,
             "<circle class=\"pt\" cx=\"%s\" cy=\"%s\" r=\"4\" fill=\"%s\"><title>bin %zu: mean "
             "predicted %s, fraction positive %s",
             C(c, px(&p, x)), C(c, py(&p, y)), COL_BLUE, i + 1, N(c, x), N(c, y));
        if (cal->count)
            putf(c, ", %s samples", N(c, cal->count[i]));
        put(c, "</title></circle>");
    }
    put(c, "\n");
    data_close(c);
    draw_legend(c, &p, lg, nl);
    svg_close(c);
    card_close(c);
}

/* ---- multiclass -------------------------------------------------------- */

/* Light slate to deep blue as share goes 0 to 1. */
static void heat_colour(double share, char out[8])
{
    static const int a[3] = {241, 245, 249}, b[3] = {29, 78, 216};
    double s = fmax(0, fmin(1, share));
    int rgb[3];
    for (int i = 0; i < 3; i++)
        rgb[i] = (int)lround(a[i] + (b[i] - a[i]) * s);
    snprintf(out, 8, "#%02x%02x%02x", rgb[0], rgb[1], rgb[2]);
}

static void chart_confusion(rc *c, const rpt_confusion *cm)
{
    size_t k = cm->k, maxlen = 1;
    for (size_t i = 0; i < k; i++) {
        size_t l = utf8_len(label_of(c, cm->labels, i));
        maxlen = l > maxlen ? l : maxlen;
    }
    maxlen = maxlen > 16 ? 16 : maxlen;
    double cell = fmax(16, fmin(64, 480.0 / (double)k));
    double left = 34 + (double)maxlen * 6.8 + 10, top = 14;
    bool rot = (double)maxlen * 6.8 > cell - 6;
    double gw = cell * (double)k;
    double bottom = (rot ? (double)maxlen * 4.6 + 18 : 24) + 26;
    double W = left + gw + 78, H = top + gw + bottom;

    card_open(c, "Confusion matrix",
              "rows are true classes; shading is the share of each row, numbers are counts", false);
    svg_open(c, "confusion", W, H, "Confusion matrix");
    int gid = ++c->ids;
    for (size_t i = 0; i < k; i++) {
        double rowsum = 0;
        for (size_t j = 0; j < k; j++) {
            double v = cm->m[i * k + j];
            if (isfinite(v) && v > 0)
                rowsum += v;
        }
        double y = top + cell * (double)i;
        putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"end\">", C(c, left - 8),
             C(c, y + cell / 2 + 4));
        put_esc_short(c, label_of(c, cm->labels, i), 16);
        put(c, "</text>");
        for (size_t j = 0; j < k; j++) {
            double v = cm->m[i * k + j];
            double share = isfinite(v) && rowsum > 0 ? v / rowsum : NAN;
            char fill[8] = "#f8fafc";
            if (isfinite(share))
                heat_colour(share, fill);
            double x = left + cell * (double)j;
            putf(c,
                 "<g class=\"cell\"><rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"3\" "
                 "fill=\"%s\"/>",
                 C(c, x + 1), C(c, y + 1), C(c, cell - 2), C(c, cell - 2), fill);
            const char *on = isfinite(share) && share > 0.5 ? " on" : "";
            if (cell >= 44) {
                putf(c,
                     "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
                     "class=\"cnt%s\">%s</text>",
                     C(c, x + cell / 2), C(c, y + cell / 2 + (isfinite(share) ? 1 : 4)), on,
                     N(c, v));
                if (isfinite(share))
                    putf(c,
                         "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
                         "class=\"pct%s\">%s%%</text>",
                         C(c, x + cell / 2), C(c, y + cell / 2 + 15), on,
                         fmtd(c, "%.0f", share * 100));
            } else if (cell >= 24) {
                putf(c,
                     "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\" "
                     "class=\"cnts%s\">%s</text>",
                     C(c, x + cell / 2), C(c, y + cell / 2 + 3.5), on, N(c, v));
            }
            put(c, "<title>true ");
            put_esc(c, label_of(c, cm->labels, i));
            put(c, " \u2192 predicted ");
            put_esc(c, label_of(c, cm->labels, j));
            putf(c, ": %s", N(c, v));
            if (isfinite(share))
                putf(c, " (%s%% of the row)", fmtd(c, "%.1f", share * 100));
            put(c, "</title></g>");
        }
        put(c, "\n");
    }
    double ly = top + gw + 8;
    for (size_t j = 0; j < k; j++) {
        double x = left + cell * (double)j + cell / 2;
        if (rot)
            putf(c,
                 "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"end\" "
                 "transform=\"rotate(-40 %s %s)\">",
                 C(c, x + 4), C(c, ly + 8), C(c, x + 4), C(c, ly + 8));
        else
            putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">", C(c, x),
                 C(c, ly + 10));
        put_esc_short(c, label_of(c, cm->labels, j), 16);
        put(c, "</text>");
    }
    putf(c, "<text class=\"lbl\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">Predicted</text>",
         C(c, left + gw / 2), C(c, H - 8));
    putf(c,
         "<text class=\"lbl\" x=\"16\" y=\"%s\" text-anchor=\"middle\" transform=\"rotate(-90 16 "
         "%s)\">True</text>",
         C(c, top + gw / 2), C(c, top + gw / 2));
    /* Colour scale: what the shading means. */
    char c0[8], c1[8];
    heat_colour(0, c0);
    heat_colour(1, c1);
    double bx = left + gw + 22;
    putf(c,
         "<linearGradient id=\"rpt-heat-%d\" x1=\"0\" y1=\"1\" x2=\"0\" y2=\"0\"><stop "
         "offset=\"0\" stop-color=\"%s\"/><stop offset=\"1\" stop-color=\"%s\"/></linearGradient>",
         gid, c0, c1);
    putf(c,
         "<rect x=\"%s\" y=\"%s\" width=\"12\" height=\"%s\" rx=\"2\" fill=\"url(#rpt-heat-%d)\">"
         "<title>share of the true class</title></rect>",
         C(c, bx), C(c, top + 1), C(c, gw - 2), gid);
    putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\">100%%</text>", C(c, bx + 17), C(c, top + 10));
    putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\">0%%</text>", C(c, bx + 17), C(c, top + gw - 2));
    svg_close(c);
    card_close(c);
}

/* A table cell with a number and, for values in [0, 1], a bar behind it. */
static void put_num_cell(rc *c, double v, bool bar)
{
    if (bar && isfinite(v) && v >= 0 && v <= 1)
        putf(c, "<td class=\"num bar\" style=\"--v:%s%%\">%s</td>", fmtd(c, "%.1f", v * 100),
             N(c, v));
    else
        putf(c, "<td class=\"num\">%s</td>", N(c, v));
}

static void table_per_class(rc *c, const rpt_per_class *pc)
{
    struct {
        const double *v;
        const char *name;
        bool bar;
    } col[] = {{pc->precision, "precision", true},
               {pc->recall, "recall", true},
               {pc->f1, "F1", true},
               {pc->support, "support", false}};
    card_open(c, "Per-class metrics", NULL, false);
    put(c, "<div class=\"scroll\"><table data-table=\"per_class\"><thead><tr><th>class</th>");
    for (size_t j = 0; j < 4; j++)
        if (col[j].v)
            putf(c, "<th class=\"num\">%s</th>", col[j].name);
    put(c, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < pc->k; i++) {
        put(c, "<tr><td>");
        put_esc(c, label_of(c, pc->labels, i));
        put(c, "</td>");
        for (size_t j = 0; j < 4; j++)
            if (col[j].v)
                put_num_cell(c, col[j].v[i], col[j].bar);
        put(c, "</tr>\n");
    }
    put(c, "</tbody></table></div>");
    card_close(c);
}

/* ---- feature importance ----------------------------------------------- */

typedef struct ranked {
    double key;
    size_t i;
} ranked;

static int by_key_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? 1 : -1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static int chart_importance(rc *c, const rpt_importance *im)
{
    ranked *rk = malloc((im->n ? im->n : 1) * sizeof *rk);
    if (!rk)
        return ML_ENOMEM;
    size_t m = 0;
    for (size_t i = 0; i < im->n; i++)
        if (isfinite(im->values[i]))
            rk[m++] = (ranked){fabs(im->values[i]), i};
    qsort(rk, m, sizeof *rk, by_key_desc);
    size_t shown = m < RPT_MAX_IMPORTANCE ? m : RPT_MAX_IMPORTANCE;

    char note[128];
    if (m > shown)
        snprintf(note, sizeof note, "the %zu largest of %zu features, by absolute value", shown, m);
    else
        snprintf(note, sizeof note, "%zu features, largest first", shown);
    card_open(c, "Feature importance", note, false);

    size_t maxlen = 4;
    double lo = 0, hi = 0;
    for (size_t j = 0; j < shown; j++) {
        char fallback[32];
        const char *nm = im->names && im->names[rk[j].i] ? im->names[rk[j].i] : fallback;
        snprintf(fallback, sizeof fallback, "feature %zu", rk[j].i);
        size_t l = utf8_len(nm);
        maxlen = l > maxlen ? l : maxlen;
        lo = fmin(lo, im->values[rk[j].i]);
        hi = fmax(hi, im->values[rk[j].i]);
    }
    maxlen = maxlen > 28 ? 28 : maxlen;
    plot p = plot_default();
    double row = 20;
    p.l = fmax(80, (double)maxlen * 6.6 + 18);
    p.t = 10;
    p.b = p.t + row * (double)(shown ? shown : 1);
    p.H = p.b + 52;
    p.r = p.W - 54;
    p.x = axis_linear(lo, hi, 5);
    p.y = (axis){.lo = 0, .hi = 1, .step = 2}; /* unused ticks beyond the range */

    svg_open(c, "importance", p.W, p.H, "Feature importance");
    /* x gridlines and ticks only; the y-axis carries the names. */
    double tk[64];
    int nt = axis_ticks(&p.x, tk, 64);
    put(c, "<g class=\"axes\">");
    for (int i = 0; i < nt; i++) {
        double X = px(&p, tk[i]);
        putf(c,
             "<line class=\"gl\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/><text class=\"tk\" "
             "x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>",
             C(c, X), C(c, p.t), C(c, X), C(c, p.b), C(c, X), C(c, p.b + 18), N(c, tk[i]));
    }
    putf(c, "<text class=\"lbl\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">", C(c, (p.l + p.r) / 2),
         C(c, p.b + 42));
    put_esc(c, im->kind ? im->kind : "importance");
    put(c, "</text></g>\n");
    double x0 = px(&p, 0);
    for (size_t j = 0; j < shown; j++) {
        size_t i = rk[j].i;
        double v = im->values[i], X = px(&p, v), y = p.t + row * (double)j;
        char fallback[32];
        snprintf(fallback, sizeof fallback, "feature %zu", i);
        const char *nm = im->names && im->names[i] ? im->names[i] : fallback;
        put(c, "<g class=\"bar\">");
        putf(c, "<text class=\"tk\" x=\"%s\" y=\"%s\" text-anchor=\"end\">", C(c, p.l - 8),
             C(c, y + row / 2 + 4));
        put_esc_short(c, nm, 28);
        put(c, "</text>");
        putf(c, "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"2\" fill=\"%s\"/>",
             C(c, fmin(x0, X)), C(c, y + 3), C(c, fmax(0.5, fabs(X - x0))), C(c, row - 6),
             v < 0 ? COL_RED : COL_BLUE);
        putf(c, "<text class=\"val\" x=\"%s\" y=\"%s\" text-anchor=\"%s\">%s</text>",
             C(c, v < 0 ? fmin(x0, X) - 4 : fmax(x0, X) + 4), C(c, y + row / 2 + 4),
             v < 0 ? "end" : "start", N(c, v));
        put(c, "<title>");
        put_esc(c, nm);
        putf(c, ": %s</title></g>\n", N(c, v));
    }
    putf(c, "<line class=\"ax\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", C(c, x0), C(c, p.t),
         C(c, x0), C(c, p.b));
    svg_close(c);
    card_close(c);
    free(rk);
    return ML_OK;
}

/* ---- cross-validation -------------------------------------------------- */

static void table_cv(rc *c, const rpt_cv *cv)
{
    size_t nf = cv->n_folds, nm = cv->n_metrics;
    char note[64];
    snprintf(note, sizeof note, "%zu folds", nf);
    card_open(c, "Cross-validation", note, false);
    put(c, "<div class=\"scroll\"><table data-table=\"cv\"><thead><tr><th>fold</th>");
    for (size_t j = 0; j < nm; j++) {
        put(c, "<th class=\"num\">");
        put_esc(c, label_of(c, cv->metric_names, j));
        put(c, "</th>");
    }
    put(c, "</tr></thead><tbody>\n");
    for (size_t f = 0; f < nf; f++) {
        if (cv->fold)
            putf(c, "<tr><td>%d</td>", cv->fold[f]);
        else
            putf(c, "<tr><td>%zu</td>", f + 1);
        for (size_t j = 0; j < nm; j++)
            put_num_cell(c, cv->values[f * nm + j], false);
        put(c, "</tr>\n");
    }
    put(c, "</tbody><tfoot><tr><td>mean \u00b1 std</td>");
    for (size_t j = 0; j < nm; j++) {
        double mean, sd;
        if (cv->mean && cv->std) {
            mean = cv->mean[j];
            sd = cv->std[j];
        } else {
            double s = 0, ss = 0;
            size_t n = 0;
            for (size_t f = 0; f < nf; f++) {
                double v = cv->values[f * nm + j];
                if (isfinite(v)) {
                    s += v;
                    n++;
                }
            }
            mean = n ? s / (double)n : NAN;
            for (size_t f = 0; f < nf; f++) {
                double v = cv->values[f * nm + j];
                if (isfinite(v))
                    ss += (v - mean) * (v - mean);
            }
            sd = n ? sqrt(ss / (double)n) : NAN;
        }
        putf(c, "<td class=\"num\">%s", N(c, mean));
        if (isfinite(mean) && isfinite(sd))
            putf(c, " <span class=\"pm\">\u00b1 %s</span>", N(c, sd));
        put(c, "</td>");
    }
    put(c, "</tr></tfoot></table></div>");
    card_close(c);
}

/* ---- regression -------------------------------------------------------- */

/* Evenly spaced indexes 0..n-1, at most max of them. */
static size_t *subsample(size_t n, size_t max, size_t *m)
{
    *m = n < max ? n : max;
    size_t *idx = malloc((*m ? *m : 1) * sizeof *idx);
    if (!idx)
        return NULL;
    for (size_t j = 0; j < *m; j++)
        idx[j] = *m == n ? j : (size_t)((double)j * (double)n / (double)*m);
    return idx;
}

static void draw_scatter(rc *c, const plot *p, const double *x, const double *y, const size_t *idx,
                         size_t m, const char *color, const char *xname, const char *yname)
{
    bool tips = m <= RPT_TIP_POINTS;
    putf(c, "<g class=\"pts\" fill=\"%s\">", color);
    if (!tips)
        putf(c, "<title>%zu points</title>", m);
    for (size_t j = 0; j < m; j++) {
        size_t i = idx[j];
        if (!in_domain(&p->x, x[i]) || !in_domain(&p->y, y[i]))
            continue;
        putf(c, "<circle cx=\"%s\" cy=\"%s\" r=\"2.6\">", C(c, px(p, x[i])), C(c, py(p, y[i])));
        if (tips)
            putf(c, "<title>#%zu: %s %s, %s %s</title>", i, xname, N(c, x[i]), yname, N(c, y[i]));
        put(c, "</circle>");
    }
    put(c, "</g>\n");
}

static int charts_regression(rc *c, const rpt_regression *rg)
{
    size_t m;
    size_t *idx = subsample(rg->n, RPT_MAX_SCATTER, &m);
    double *res = NULL;
    if (!idx)
        return ML_ENOMEM;
    const double *resid = rg->residual;
    if (!resid) {
        res = malloc(rg->n * sizeof *res);
        if (!res) {
            free(idx);
            return ML_ENOMEM;
        }
        for (size_t i = 0; i < rg->n; i++)
            res[i] = rg->actual[i] - rg->pred[i];
        resid = res;
    }
    char note[128];
    if (m < rg->n)
        snprintf(note, sizeof note, "%zu of %zu points shown (an evenly spaced subsample)", m,
                 rg->n);
    else
        snprintf(note, sizeof note, "%zu points", m);

    double xlo, xhi, ylo, yhi;
    plot p = plot_default();
    range_of(rg->pred, idx, m, false, &xlo, &xhi);
    p.x = axis_padded(xlo, xhi, 6);
    if (range_of(resid, idx, m, false, &ylo, &yhi)) {
        double lim = fmax(fabs(ylo), fabs(yhi));
        p.y = axis_padded(-lim, lim, 6);
    } else {
        p.y = axis_linear(-1, 1, 6);
    }
    card_open(c, "Residuals", note, false);
    svg_open(c, "residuals", p.W, p.H, "Residuals against predictions");
    draw_axes(c, &p, "Predicted", "Residual (actual \u2212 predicted)");
    data_open(c, &p);
    draw_scatter(c, &p, rg->pred, resid, idx, m, COL_BLUE, "predicted", "residual");
    draw_ref_line(c, &p, p.x.lo, 0, p.x.hi, 0);
    data_close(c);
    svg_close(c);
    card_close(c);

    if (rg->actual) {
        double alo, ahi, plo, phi;
        bool a = range_of(rg->actual, idx, m, false, &alo, &ahi);
        bool b = range_of(rg->pred, idx, m, false, &plo, &phi);
        double lo = a && b ? fmin(alo, plo) : a ? alo : plo;
        double hi = a && b ? fmax(ahi, phi) : a ? ahi : phi;
        p = plot_default();
        p.x = p.y = axis_padded(lo, hi, 6);
        card_open(c, "Predicted vs actual", note, false);
        svg_open(c, "pred_actual", p.W, p.H, "Predicted against actual values");
        draw_axes(c, &p, "Actual", "Predicted");
        data_open(c, &p);
        draw_ref_line(c, &p, p.x.lo, p.x.lo, p.x.hi, p.x.hi);
        draw_scatter(c, &p, rg->actual, rg->pred, idx, m, COL_GREEN, "actual", "predicted");
        data_close(c);
        legend lg[] = {{"samples", COL_GREEN, LG_DOT}, {"y = x", COL_GREY, LG_DASH}};
        draw_legend(c, &p, lg, 2);
        svg_close(c);
        card_close(c);
    }
    free(res);
    free(idx);
    return ML_OK;
}

/* ---- tuning ------------------------------------------------------------ */

static void chart_trials(rc *c, const rpt_tuning *tu, size_t k, const char *score_name)
{
    char fallback[32];
    snprintf(fallback, sizeof fallback, "parameter %zu", k + 1);
    const char *pname = tu->param_names && tu->param_names[k] ? tu->param_names[k] : fallback;
    size_t nt = tu->n_trials, np = tu->n_params;
    bool want_log = tu->log_scale && tu->log_scale[k];
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = -INFINITY;
    for (size_t i = 0; i < nt; i++) {
        double x = tu->param_values[i * np + k], y = tu->score[i];
        if (!isfinite(x) || (want_log && x <= 0) || !isfinite(y))
            continue;
        double sd = tu->score_std && isfinite(tu->score_std[i]) ? tu->score_std[i] : 0;
        xlo = fmin(xlo, x);
        xhi = fmax(xhi, x);
        ylo = fmin(ylo, y - sd);
        yhi = fmax(yhi, y + sd);
    }
    if (!(xlo <= xhi))
        return; /* no numeric value for this parameter */
    plot p = plot_default();
    p.x = want_log ? axis_log(xlo, xhi) : axis_padded(xlo, xhi, 6);
    p.y = axis_padded(ylo, yhi, 5);

    char title[160];
    snprintf(title, sizeof title, "%s vs %s", score_name, pname);
    card_open(c, title, want_log ? "one point per trial; log scale" : "one point per trial", false);
    svg_open(c, "trials", p.W, p.H, title);
    draw_axes(c, &p, pname, score_name);
    data_open(c, &p);
    for (int pass = 0; pass < 2; pass++) { /* the best trial last, on top */
        for (size_t i = 0; i < nt; i++) {
            bool best = tu->has_best && tu->best == i;
            if (best != (pass == 1))
                continue;
            double x = tu->param_values[i * np + k], y = tu->score[i];
            if (!in_domain(&p.x, x) || !isfinite(y))
                continue;
            double X = px(&p, x), Y = py(&p, y);
            double sd = tu->score_std ? tu->score_std[i] : NAN;
            if (isfinite(sd) && sd > 0)
                putf(c, "<line class=\"err\" x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\"/>", C(c, X),
                     C(c, py(&p, y - sd)), C(c, X), C(c, py(&p, y + sd)));
            putf(c, "<circle class=\"%s\" cx=\"%s\" cy=\"%s\" r=\"%s\" fill=\"%s\"><title>",
                 best ? "pt best" : "pt", C(c, X), C(c, Y), best ? "6.5" : "4.5",
                 best ? COL_ORANGE : COL_BLUE);
            putf(c, "%strial %zu: ", best ? "best " : "", i + 1);
            put_esc(c, pname);
            putf(c, " = %s, ", N(c, x));
            put_esc(c, score_name);
            putf(c, " %s", N(c, y));
            if (isfinite(sd))
                putf(c, " \u00b1 %s", N(c, sd));
            put(c, "</title></circle>");
        }
    }
    put(c, "\n");
    data_close(c);
    legend lg[] = {{"trial", COL_BLUE, LG_DOT}, {"best", COL_ORANGE, LG_DOT}};
    draw_legend(c, &p, lg, tu->has_best ? 2 : 1);
    svg_close(c);
    card_close(c);
}

static void table_trials(rc *c, const rpt_tuning *tu, const char *score_name)
{
    char note[64];
    snprintf(note, sizeof note, "%zu trials", tu->n_trials);
    card_open(c, "Trials", note, true);
    put(c, "<div class=\"scroll\"><table data-table=\"trials\"><thead><tr><th>#</th>");
    if (tu->trial_params)
        put(c, "<th>parameters</th>");
    put(c, "<th class=\"num\">");
    put_esc(c, score_name);
    put(c, "</th>");
    if (tu->score_std)
        put(c, "<th class=\"num\">\u00b1 std</th>");
    if (tu->seconds)
        put(c, "<th class=\"num\">seconds</th>");
    put(c, "</tr></thead><tbody>\n");
    for (size_t i = 0; i < tu->n_trials; i++) {
        bool best = tu->has_best && tu->best == i;
        putf(c, "<tr%s><td>%s%zu</td>", best ? " class=\"best\"" : "", best ? "\u2605 " : "",
             i + 1);
        if (tu->trial_params) {
            put(c, "<td class=\"params\">");
            put_esc(c, tu->trial_params[i]);
            put(c, "</td>");
        }
        put_num_cell(c, tu->score[i], false);
        if (tu->score_std)
            put_num_cell(c, tu->score_std[i], false);
        if (tu->seconds)
            putf(c, "<td class=\"num\">%s</td>", fmtd(c, "%.3g", tu->seconds[i]));
        put(c, "</tr>\n");
    }
    put(c, "</tbody></table></div>");
    card_close(c);
}

/* ---- the page ---------------------------------------------------------- */

static const char CSS[] =
    ":root{--bg:#f3f5f8;--card:#fff;--ink:#1e293b;--muted:#64748b;--line:#e2e8f0}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"
    "'Segoe UI',Roboto,'Helvetica Neue',Arial,'Noto Sans',sans-serif}\n"
    ".wrap{max-width:1240px;margin:0 auto;padding:0 24px}\n"
    "header.top{background:linear-gradient(135deg,#0f172a,#1e3a5f);color:#f8fafc;"
    "padding:28px 0 26px}\n"
    "h1{margin:0;font-size:26px;font-weight:650;letter-spacing:-.01em}\n"
    ".sub{margin:4px 0 0;color:#cbd5e1;font-size:15px}\n"
    ".facts{display:flex;flex-wrap:wrap;gap:8px;margin:16px 0 0;padding:0;list-style:none}\n"
    ".facts li{background:rgba(255,255,255,.08);border:1px solid rgba(255,255,255,.18);"
    "border-radius:999px;padding:3px 12px;font-size:13px}\n"
    ".facts b{font-weight:500;color:#93a4bd;margin-right:6px}\n"
    "main.wrap{padding-top:24px;padding-bottom:8px}\n"
    "section{margin:0 0 30px}\n"
    "h2{font-size:12.5px;text-transform:uppercase;letter-spacing:.09em;color:var(--muted);"
    "margin:0 0 12px;font-weight:650}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));"
    "gap:20px}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:12px;"
    "padding:16px 18px 14px;min-width:0;box-shadow:0 1px 2px rgba(15,23,42,.04),"
    "0 6px 16px rgba(15,23,42,.04)}\n"
    ".card.wide{grid-column:1/-1}\n"
    ".card h3{margin:0;font-size:15px;font-weight:600}\n"
    ".note{margin:2px 0 8px;color:var(--muted);font-size:12.5px}\n"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fill,minmax(170px,1fr));gap:14px}\n"
    ".tile{background:var(--card);border:1px solid var(--line);border-radius:12px;"
    "padding:12px 16px;border-top:3px solid #3b6fb6}\n"
    ".tile .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.05em;"
    "overflow:hidden;text-overflow:ellipsis;white-space:nowrap}\n"
    ".tile .v{font-size:26px;font-weight:650;font-variant-numeric:tabular-nums;line-height:1.3}\n"
    ".tile .s{color:var(--muted);font-size:12.5px;font-variant-numeric:tabular-nums}\n"
    "svg.chart{display:block;width:100%;height:auto;max-width:700px;margin:0 auto;"
    "font-size:12px}\n"
    "svg.chart text{fill:#475569}\n"
    "svg.chart .tk{font-variant-numeric:tabular-nums}\n"
    "svg.chart .lbl{fill:#334155;font-weight:600;font-size:12.5px}\n"
    "svg.chart .gl{stroke:#edf1f5;stroke-width:1}\n"
    "svg.chart .ax{stroke:#94a3b8;stroke-width:1;fill:none}\n"
    "svg.chart .ln{fill:none;stroke-width:2.4;stroke-linejoin:round;stroke-linecap:round}\n"
    "svg.chart .area{opacity:.1}\n"
    "svg.chart .ref{stroke:#94a3b8;stroke-width:1.5;stroke-dasharray:5 4}\n"
    "svg.chart .mark{stroke:#334155;stroke-width:1.5;stroke-dasharray:5 4}\n"
    "svg.chart .marklbl{fill:#334155;font-weight:600}\n"
    "svg.chart .hp{fill:transparent}\n"
    "svg.chart .hp:hover{fill:currentColor}\n"
    "svg.chart .pt{stroke:#fff;stroke-width:1.2}\n"
    "svg.chart .pt:hover,svg.chart .pts circle:hover{stroke:#0f172a;stroke-width:1.5}\n"
    "svg.chart .pt.best{stroke:#7c2d12;stroke-width:1.5}\n"
    "svg.chart .pts{fill-opacity:.55}\n"
    "svg.chart .err{stroke:#94a3b8;stroke-width:1.2}\n"
    "svg.chart .hist{fill:#cbd5e1}\n"
    "svg.chart .cell:hover rect{stroke:#0f172a;stroke-width:1.5}\n"
    "svg.chart .cell text{fill:#1e293b}\n"
    "svg.chart .cell text.on{fill:#fff}\n"
    "svg.chart .cnt{font-size:13px;font-weight:600}\n"
    "svg.chart .pct{font-size:10.5px;opacity:.85}\n"
    "svg.chart .cnts{font-size:10px}\n"
    "svg.chart .bar:hover rect{opacity:.8}\n"
    "svg.chart .val{font-size:11px;fill:#64748b}\n"
    ".scroll{max-height:440px;overflow:auto}\n"
    "table{width:100%;border-collapse:collapse;font-size:13px;font-variant-numeric:tabular-nums}\n"
    "th,td{padding:6px 10px;border-bottom:1px solid var(--line);text-align:left}\n"
    "th{color:var(--muted);font-weight:600;font-size:11.5px;text-transform:uppercase;"
    "letter-spacing:.04em;background:#f8fafc;position:sticky;top:0}\n"
    ".num{text-align:right;white-space:nowrap}\n"
    "td.bar{background:linear-gradient(90deg,#dbe7fb var(--v),transparent var(--v))}\n"
    "td.params{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;"
    "font-size:12px;color:#334155}\n"
    "tbody tr:hover td{background-color:#f8fafc}\n"
    "tr.best td{background-color:#fff4dc}\n"
    "tfoot td{font-weight:600;border-top:2px solid "
    "var(--line);border-bottom:0;white-space:nowrap}\n"
    ".pm{color:var(--muted);font-weight:500}\n"
    ".empty{background:var(--card);border:1px dashed #cbd5e1;border-radius:12px;padding:28px;"
    "color:var(--muted);text-align:center}\n"
    "footer{color:var(--muted);font-size:12px;padding:8px 0 32px}\n"
    "@media print{body{background:#fff}.card{break-inside:avoid;box-shadow:none}"
    ".scroll{max-height:none}}\n";

static void page_head(rc *c, const rpt_report *r)
{
    const char *title = r->title ? r->title : "Evaluation report";
    put(c, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
           "style-src 'unsafe-inline'\">\n");
    putf(c, "<meta name=\"generator\" content=\"mloop %s\">\n<title>", mloop_version());
    put_esc(c, title);
    put(c, "</title>\n<style>\n");
    put(c, CSS);
    put(c, "</style>\n</head>\n<body>\n<header class=\"top\"><div class=\"wrap\">\n<h1>");
    put_esc(c, title);
    put(c, "</h1>\n");
    if (r->subtitle) {
        put(c, "<p class=\"sub\">");
        put_esc(c, r->subtitle);
        put(c, "</p>\n");
    }
    const char *fk[] = {"model", "task", "data", "date"};
    const char *fv[] = {r->model, r->task, r->data_source, r->date};
    bool any = false;
    for (size_t i = 0; i < 4; i++) {
        if (!fv[i])
            continue;
        put(c, any ? "<li>" : "<ul class=\"facts\"><li>");
        putf(c, "<b>%s</b>", fk[i]);
        put_esc(c, fv[i]);
        put(c, "</li>");
        any = true;
    }
    if (any)
        put(c, "</ul>\n");
    put(c, "</div></header>\n<main class=\"wrap\">\n");
}

static void metric_tiles(rc *c, const rpt_report *r)
{
    put(c, "<section id=\"summary\"><div class=\"tiles\" data-table=\"metrics\">\n");
    for (size_t i = 0; i < r->n_metrics; i++) {
        const rpt_metric *m = &r->metrics[i];
        put(c, "<div class=\"tile\"><div class=\"k\" title=\"");
        put_esc(c, m->name ? m->name : "");
        put(c, "\">");
        put_esc(c, m->name ? m->name : "");
        putf(c, "</div><div class=\"v\">%s</div>", N(c, m->value));
        if (isfinite(m->std))
            putf(c, "<div class=\"s\">\u00b1 %s</div>", N(c, m->std));
        put(c, "</div>\n");
    }
    put(c, "</div></section>\n");
}

#define NEED(cond, ...)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return ml_err(err, ML_EINVAL, "report: " __VA_ARGS__);                                 \
    } while (0)

static int validate(const rpt_report *r, ml_error *err)
{
    NEED(!r->n_metrics || r->metrics, "%zu metrics but no metrics array", r->n_metrics);
    NEED(!r->roc.n || (r->roc.fpr && r->roc.tpr), "roc: %zu points but no fpr or tpr array",
         r->roc.n);
    NEED(!r->pr.n || (r->pr.recall && r->pr.precision),
         "pr: %zu points but no recall or precision array", r->pr.n);
    NEED(!r->threshold.n || r->threshold.threshold, "threshold: %zu points but no threshold array",
         r->threshold.n);
    NEED(!r->calibration.nbins || (r->calibration.mean_pred && r->calibration.frac_pos),
         "calibration: %zu bins but no mean_pred or frac_pos array", r->calibration.nbins);
    NEED(!r->confusion.k || r->confusion.m, "confusion: %zu classes but no matrix", r->confusion.k);
    if (r->confusion.k > RPT_MAX_CLASSES)
        return ml_err(err, ML_ELIMIT, "report: confusion: %zu classes, at most %d can be drawn",
                      r->confusion.k, RPT_MAX_CLASSES);
    NEED(!r->importance.n || r->importance.values, "importance: %zu features but no values",
         r->importance.n);
    NEED(!r->cv.n_folds || !r->cv.n_metrics || r->cv.values,
         "cv: %zu folds of %zu metrics but no values", r->cv.n_folds, r->cv.n_metrics);
    NEED(!r->regression.n || r->regression.pred, "regression: %zu rows but no predictions",
         r->regression.n);
    NEED(!r->regression.n || r->regression.actual || r->regression.residual,
         "regression: neither actual values nor residuals");
    const rpt_tuning *tu = &r->tuning;
    NEED(!tu->n_trials || tu->score, "tuning: %zu trials but no scores", tu->n_trials);
    NEED(!tu->n_trials || !tu->n_params || tu->param_values,
         "tuning: %zu parameters but no parameter values", tu->n_params);
    NEED(!tu->has_best || tu->best < tu->n_trials, "tuning: best trial %zu of %zu trials", tu->best,
         tu->n_trials);
    return ML_OK;
}

int rpt_render(const rpt_report *r, char **html, size_t *len, ml_error *err)
{
    *html = NULL;
    *len = 0;
    int rc_ = validate(r, err);
    if (rc_)
        return rc_;
    rc *c = calloc(1, sizeof *c);
    if (!c)
        return ml_err(err, ML_ENOMEM, "report: out of memory");
    wbuf_init(&c->w);
    page_head(c, r);
    bool any = false;
    if (r->n_metrics) {
        metric_tiles(c, r);
        any = true;
    }
    bool cls = r->roc.n || r->pr.n || r->threshold.n || r->calibration.nbins || r->confusion.k ||
               r->per_class.k;
    if (cls) {
        section_open(c, "classification", "Classification");
        if (r->roc.n)
            chart_roc(c, &r->roc);
        if (r->pr.n)
            chart_pr(c, &r->pr);
        if (r->threshold.n)
            chart_threshold(c, &r->threshold);
        if (r->calibration.nbins)
            chart_calibration(c, &r->calibration);
        if (r->confusion.k)
            chart_confusion(c, &r->confusion);
        if (r->per_class.k)
            table_per_class(c, &r->per_class);
        section_close(c);
        any = true;
    }
    int st = ML_OK;
    if (r->regression.n) {
        section_open(c, "regression", "Regression");
        st = charts_regression(c, &r->regression);
        section_close(c);
        any = true;
    }
    bool model = r->importance.n || (r->cv.n_folds && r->cv.n_metrics);
    if (!st && model) {
        section_open(c, "model", "Model");
        if (r->importance.n)
            st = chart_importance(c, &r->importance);
        if (r->cv.n_folds && r->cv.n_metrics)
            table_cv(c, &r->cv);
        section_close(c);
        any = true;
    }
    const rpt_tuning *tu = &r->tuning;
    if (!st && tu->n_trials) {
        const char *sn = tu->score_name ? tu->score_name : "score";
        section_open(c, "tuning", "Tuning");
        for (size_t k = 0; k < tu->n_params; k++)
            chart_trials(c, tu, k, sn);
        table_trials(c, tu, sn);
        section_close(c);
        any = true;
    }
    if (!any)
        put(c, "<div class=\"empty\">This report has nothing to show yet.</div>\n");
    putf(c, "</main>\n<footer class=\"wrap\">generated by mloop %s</footer>\n</body>\n</html>\n",
         mloop_version());
    wbuf_u8(&c->w, 0);
    if (st || c->w.failed) {
        wbuf_free(&c->w);
        free(c);
        return ml_err(err, ML_ENOMEM, "report: out of memory");
    }
    size_t n;
    *html = (char *)wbuf_take(&c->w, &n);
    *len = n - 1;
    free(c);
    return ML_OK;
}

/* Temporary file beside path, fsync, rename over path; nothing left on failure. */
static int write_atomically(const char *path, const char *p, size_t len, ml_error *err)
{
    char *tmp;
    int fd = ml_file_temp_beside(path, &tmp);
    if (fd < 0)
        return ml_err(err, errno == ENOMEM ? ML_ENOMEM : ML_EIO,
                      "%s: cannot create a temporary file beside it: %s", path, strerror(errno));
    int rc_ = ML_OK;
    if (fchmod(fd, ml_file_new_mode()) != 0)
        rc_ = ml_err(err, ML_EIO, "%s: cannot set permissions: %s", path, strerror(errno));
    for (size_t done = 0; !rc_ && done < len;) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            rc_ = ml_err(err, ML_EIO, "%s: write error: %s", path,
                         w < 0 ? strerror(errno) : "no progress");
        else
            done += (size_t)w;
    }
    if (!rc_ && fsync(fd) != 0)
        rc_ = ml_err(err, ML_EIO, "%s: cannot sync: %s", path, strerror(errno));
    if (close(fd) != 0 && !rc_)
        rc_ = ml_err(err, ML_EIO, "%s: write error: %s", path, strerror(errno));
    if (!rc_ && rename(tmp, path) != 0)
        rc_ = ml_err(err, ML_EIO, "%s: cannot rename the temporary file over it: %s", path,
                     strerror(errno));
    if (rc_)
        unlink(tmp);
    else
        ml_fsync_dir_of(path);
    free(tmp);
    return rc_;
}

int rpt_write_html(const rpt_report *r, const char *path, ml_error *err)
{
    char *html;
    size_t len;
    int st = rpt_render(r, &html, &len, err);
    if (st)
        return ml_err_prefix(err, "%s", path);
    st = write_atomically(path, html, len, err);
    free(html);
    return st;
}
