#ifndef CSNAPSHOTSUPPORT_H
#define CSNAPSHOTSUPPORT_H

#include <stddef.h>
#include <stdint.h>

/// Sets SQLITE_DBCONFIG_DEFENSIVE on and SQLITE_DBCONFIG_TRUSTED_SCHEMA off on an open
/// connection (`sqlite3_db_config` is variadic, so Swift cannot call it). `db` is a `sqlite3 *`.
/// Returns 0 on success, else the first SQLite result code that was not SQLITE_OK.
int qcpu_sqlite_harden(void *db);

/// SHA-256 state (FIPS 180-4).
typedef struct {
    uint32_t state[8];
    uint64_t length;
    uint8_t block[64];
    size_t used;
} qcpu_sha256;

/// Starts a digest.
void qcpu_sha256_init(qcpu_sha256 *c);
/// Adds `count` bytes.
void qcpu_sha256_update(qcpu_sha256 *c, const void *bytes, size_t count);
/// Finishes the digest into `out` (32 bytes).
void qcpu_sha256_final(qcpu_sha256 *c, uint8_t out[32]);

#endif
