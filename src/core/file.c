/*
 * file.c — map or read.  A mapping failure on a regular file (rare: address
 * space, exotic file systems) falls back to reading, so callers see one
 * behaviour whatever the file is.
 */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int read_all(int fd, const char *path, ml_file *f, ml_error *err)
{
    size_t cap = (size_t)1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            return ml_err(err, ML_ENOMEM, "%s: out of memory reading %zu bytes", path, len);
        if (len == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger)
                free(buf);
            buf = bigger;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            free(buf);
            return ml_err(err, ML_EIO, "%s: cannot read: %s", path, strerror(e));
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    f->heap_ = buf;
    f->data = buf;
    f->len = len;
    return ML_OK;
}

int ml_file_load(const char *path, ml_file *f, ml_error *err)
{
    memset(f, 0, sizeof *f);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return ml_err(err, ML_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    int rc = ML_OK;
    if (fstat(fd, &st) != 0) {
        rc = ml_err(err, ML_EIO, "%s: cannot open: %s", path, strerror(errno));
    } else if (S_ISDIR(st.st_mode)) {
        rc = ml_err(err, ML_EIO, "%s: cannot open: %s", path, strerror(EISDIR));
    } else {
        void *m = MAP_FAILED;
        if (S_ISREG(st.st_mode) && st.st_size > 0)
            m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m != MAP_FAILED) {
            madvise(m, (size_t)st.st_size, MADV_SEQUENTIAL);
            f->map_ = m;
            f->data = m;
            f->len = (size_t)st.st_size;
            f->mapped = true;
        } else {
            rc = read_all(fd, path, f, err);
        }
    }
    close(fd);
    return rc;
}

void ml_file_release(ml_file *f)
{
    if (f->map_)
        munmap(f->map_, f->len);
    free(f->heap_);
    memset(f, 0, sizeof *f);
}

mode_t ml_file_new_mode(void)
{
    mode_t mask = 022;
    FILE *f = fopen("/proc/self/status", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (strncmp(line, "Umask:", 6) == 0)
                mask = (mode_t)strtoul(line + 6, NULL, 8);
        fclose(f);
    }
    return 0666 & ~mask;
}

void ml_fsync_dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

int ml_file_temp_beside(const char *path, char **tmp_path)
{
    const char *slash = strrchr(path, '/');
    size_t dirlen = slash ? (size_t)(slash - path + 1) : 0;
    size_t tlen = strlen(path) + 16;
    char *tmp = malloc(tlen);
    *tmp_path = NULL;
    if (!tmp) {
        errno = ENOMEM;
        return -1;
    }
    snprintf(tmp, tlen, "%.*s.%s.tmp.XXXXXX", (int)dirlen, path, path + dirlen);
    int fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        int saved = errno;
        free(tmp);
        errno = saved;
        return -1;
    }
    *tmp_path = tmp;
    return fd;
}
