/*
 * artifact.h — the `.mloop` artifact: one file holding every section a
 * trained model needs (schema, pipeline, model, profile, metadata), each
 * checksummed and zstd-compressed, the whole file covered by a SHA-256.
 *
 * Contract
 *  - art_write is atomic: readers see the old file or the complete new one,
 *    never a torn write, and a failure leaves neither the file nor a
 *    temporary beside it.
 *  - The loader trusts no byte of its input: any truncation, corruption or
 *    hostile length fails with ML_EFORMAT (ML_EUNSUPPORTED for a newer
 *    format version, ML_ELIMIT for a section above 4 GiB) and a message;
 *    it never reads out of bounds and never allocates more than the input
 *    could legitimately decompress to.
 *  - Section kinds unknown to this version are kept and ignored, so a newer
 *    writer may add kinds without a format version bump.
 *
 * Format version 1 (little-endian):
 *   "MLOOPART"  u32 format_version  u32 section_count
 *   section_count x { u32 kind, u32 codec (0 stored, 1 zstd), u64 offset,
 *                     u64 stored_len, u64 raw_len, u64 xxh64 of raw bytes }
 *   payloads
 *   32-byte SHA-256 of every preceding byte
 */
#ifndef ML_MODELS_ARTIFACT_H
#define ML_MODELS_ARTIFACT_H

#include "core/error.h"

#include <stddef.h>
#include <stdint.h>

#define ART_FORMAT_VERSION 1
#define ART_MAX_SECTIONS 64

/* Section kinds are written to disk: append only. */
typedef enum art_kind {
    ART_SCHEMA = 1,
    ART_PIPELINE = 2,
    ART_MODEL = 3,
    ART_PROFILE = 4,
    ART_METADATA = 5
} art_kind;

typedef struct art_section {
    uint32_t kind;
    const void *data;
    size_t len;
} art_section;

/* Writes sections to path atomically (temp file in the same directory,
 * fsync, rename, fsync dir); on any failure no file (and no temp file) is
 * left.  Fills sha256_hex (65 bytes) with the SHA-256 of the whole written
 * file when non-NULL. */
int art_write(const char *path, const art_section *sections, size_t n, char *sha256_hex,
              ml_error *err);

typedef struct art_file art_file;

/* Errors are prefixed with the path. */
int art_read(const char *path, art_file **out, ml_error *err);
int art_read_buffer(const void *p, size_t len, art_file **out, ml_error *err);

/* Uncompressed, verified bytes of the first section of this kind, or NULL
 * (len 0) when absent; a present empty section gives a non-NULL pointer.
 * Owned by the art_file. */
const void *art_section_data(const art_file *f, uint32_t kind, size_t *len);
/* Hex SHA-256 of the whole file. */
const char *art_sha256(const art_file *f);
uint32_t art_format_version(const art_file *f);
void art_file_free(art_file *f);

#endif
