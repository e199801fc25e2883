/*
 * value.c — the conversions behind type inference.  val_parse_f64 is on the
 * CSV hot path (tens of millions of calls per load), so it parses the common
 * case itself: up to 19 significant digits and a decimal exponent within
 * ±22, where mantissa × 10^e is exact in double arithmetic (Clinger's fast
 * path) and therefore correctly rounded.  Anything else goes to strtod_l in
 * the C locale, which is correctly rounded too, so results never depend on
 * which path ran.
 */
#include "data/value.h"

#include <inttypes.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;

static void c_locale_init(void)
{
    c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
}

static locale_t get_c_locale(void)
{
    pthread_once(&c_locale_once, c_locale_init);
    return c_locale;
}

static void trim(const char **s, size_t *len)
{
    const char *p = *s;
    size_t n = *len;
    while (n && (*p == ' ' || *p == '\t')) {
        p++;
        n--;
    }
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    *s = p;
    *len = n;
}

bool val_parse_i64(const char *s, size_t len, int64_t *out)
{
    trim(&s, &len);
    if (!len)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
        if (len == 1)
            return false;
    }
    uint64_t v = 0;
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                     1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                     1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static bool ieq(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    if (n != len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != word[i])
            return false;
    }
    return true;
}

static bool parse_f64_slow(const char *s, size_t len, double *out)
{
    char buf[512];
    if (len >= sizeof buf)
        return false;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    double v = strtod_l(buf, &end, get_c_locale());
    if (end != buf + len)
        return false;
    *out = v;
    return true;
}

bool val_parse_f64(const char *s, size_t len, double *out)
{
    trim(&s, &len);
    if (!len)
        return false;
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    uint64_t mant = 0;
    int sig = 0;     /* significant digits kept in mant */
    int dropped = 0; /* integer digits beyond 19 (scale up) */
    int frac = 0;    /* fraction digits kept (scale down) */
    int digits = 0;
    bool lost = false; /* a non-zero digit could not be kept */
    for (; i < len; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            break;
        digits++;
        if (sig < 19) {
            mant = mant * 10 + d;
            if (mant)
                sig++;
        } else {
            dropped++;
            lost |= d != 0;
        }
    }
    if (i < len && s[i] == '.') {
        for (i++; i < len; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d > 9)
                break;
            digits++;
            if (sig < 19) {
                mant = mant * 10 + d;
                if (mant)
                    sig++;
                frac++;
            } else {
                lost |= d != 0;
            }
        }
    }
    if (!digits) {
        const char *w = s + (neg || s[0] == '+' ? 1 : 0);
        size_t wl = len - (size_t)(w - s);
        if (ieq(w, wl, "inf") || ieq(w, wl, "infinity")) {
            *out = neg ? -INFINITY : INFINITY;
            return true;
        }
        return false;
    }
    int64_t exp10 = 0;
    if (i < len && (s[i] == 'e' || s[i] == 'E')) {
        i++;
        bool eneg = false;
        if (i < len && (s[i] == '-' || s[i] == '+')) {
            eneg = s[i] == '-';
            i++;
        }
        if (i >= len)
            return false;
        for (; i < len; i++) {
            unsigned d = (unsigned char)s[i] - '0';
            if (d > 9)
                return false;
            if (exp10 < 100000)
                exp10 = exp10 * 10 + d;
        }
        if (eneg)
            exp10 = -exp10;
    }
    if (i != len)
        return false;
    int64_t e = exp10 + dropped - frac;
    if (!lost && mant <= (1ULL << 53) && e >= -22 && e <= 22) {
        double v = (double)mant;
        v = e < 0 ? v / pow10_exact[-e] : v * pow10_exact[e];
        *out = neg ? -v : v;
        return true;
    }
    return parse_f64_slow(s, len, out);
}

bool val_parse_bool(const char *s, size_t len, bool *out)
{
    trim(&s, &len);
    if (ieq(s, len, "true")) {
        *out = true;
        return true;
    }
    if (ieq(s, len, "false")) {
        *out = false;
        return true;
    }
    return false;
}

int64_t val_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil algorithm. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void val_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool digits_at(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned char)s[i] - '0';
        if (d > 9)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

static bool is_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool parse_ymd(const char *s, int64_t *days)
{
    unsigned y, m, d;
    if (!digits_at(s, 4, &y) || s[4] != '-' || !digits_at(s + 5, 2, &m) || s[7] != '-' ||
        !digits_at(s + 8, 2, &d))
        return false;
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    unsigned maxd = mdays[m - 1] + (m == 2 && is_leap(y));
    if (d > maxd)
        return false;
    *days = val_days_from_civil(y, m, d);
    return true;
}

bool val_parse_date(const char *s, size_t len, int32_t *days)
{
    trim(&s, &len);
    int64_t v;
    if (len != 10 || !parse_ymd(s, &v))
        return false;
    *days = (int32_t)v;
    return true;
}

bool val_parse_timestamp(const char *s, size_t len, int64_t *micros)
{
    trim(&s, &len);
    int64_t days;
    if (len < 16 || !parse_ymd(s, &days) || (s[10] != 'T' && s[10] != ' '))
        return false;
    unsigned hh, mm, ss = 0;
    if (!digits_at(s + 11, 2, &hh) || s[13] != ':' || !digits_at(s + 14, 2, &mm))
        return false;
    size_t i = 16;
    int64_t frac_us = 0;
    if (i < len && s[i] == ':') {
        if (i + 3 > len || !digits_at(s + i + 1, 2, &ss))
            return false;
        i += 3;
        if (i < len && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t start = i;
            int64_t scale = 100000;
            for (; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                frac_us += (s[i] - '0') * scale;
                scale /= 10;
            }
            if (i == start || i - start > 9)
                return false;
        }
    }
    if (hh > 23 || mm > 59 || ss > 60)
        return false;
    int64_t offset_s = 0;
    if (i < len) {
        if (s[i] == 'Z' && i + 1 == len) {
            i++;
        } else if (s[i] == '+' || s[i] == '-') {
            int sign = s[i] == '-' ? -1 : 1;
            unsigned oh, om = 0;
            size_t rest = len - i - 1;
            const char *o = s + i + 1;
            if (rest == 2 && digits_at(o, 2, &oh)) {
            } else if (rest == 4 && digits_at(o, 2, &oh) && digits_at(o + 2, 2, &om)) {
            } else if (rest == 5 && o[2] == ':' && digits_at(o, 2, &oh) &&
                       digits_at(o + 3, 2, &om)) {
            } else {
                return false;
            }
            if (oh > 23 || om > 59)
                return false;
            offset_s = sign * (int64_t)(oh * 3600 + om * 60);
            i = len;
        } else {
            return false;
        }
    }
    if (i != len)
        return false;
    int64_t secs = days * 86400 + hh * 3600 + mm * 60 + ss - offset_s;
    *micros = secs * 1000000 + frac_us;
    return true;
}

size_t val_format_f64(double v, char *buf)
{
    if (isnan(v))
        return (size_t)snprintf(buf, VAL_TEXT_MAX, "nan");
    if (isinf(v))
        return (size_t)snprintf(buf, VAL_TEXT_MAX, v < 0 ? "-inf" : "inf");
    if (v == 0)
        return (size_t)snprintf(buf, VAL_TEXT_MAX, signbit(v) ? "-0" : "0");
    /* Integral values print without exponent noise when they are exact. */
    if (fabs(v) < 1e15 && v == (double)(int64_t)v)
        return (size_t)snprintf(buf, VAL_TEXT_MAX, "%" PRId64, (int64_t)v);
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(buf, VAL_TEXT_MAX, "%.*g", prec, v);
        double back;
        if (prec == 17 || (parse_f64_slow(buf, (size_t)n, &back) && back == v))
            break;
    }
    return (size_t)n;
}

size_t val_format_i64(int64_t v, char *buf)
{
    return (size_t)snprintf(buf, VAL_TEXT_MAX, "%" PRId64, v);
}

size_t val_format_date(int32_t days, char *buf)
{
    int64_t y;
    unsigned m, d;
    val_civil_from_days(days, &y, &m, &d);
    return (size_t)snprintf(buf, VAL_TEXT_MAX, "%04" PRId64 "-%02u-%02u", y, m, d);
}

size_t val_format_timestamp(int64_t micros, char *buf)
{
    int64_t secs = micros / 1000000, us = micros % 1000000;
    if (us < 0) {
        us += 1000000;
        secs--;
    }
    int64_t days = secs / 86400, sod = secs % 86400;
    if (sod < 0) {
        sod += 86400;
        days--;
    }
    int64_t y;
    unsigned m, d;
    val_civil_from_days(days, &y, &m, &d);
    int n = snprintf(buf, VAL_TEXT_MAX, "%04" PRId64 "-%02u-%02uT%02u:%02u:%02u", y, m, d,
                     (unsigned)(sod / 3600), (unsigned)(sod / 60 % 60), (unsigned)(sod % 60));
    if (us)
        n += snprintf(buf + n, (size_t)(VAL_TEXT_MAX - n), ".%06u", (unsigned)us);
    return (size_t)n;
}
