#ifndef VEA_STORE_SCHEMA_H
#define VEA_STORE_SCHEMA_H

#include <sqlite3.h>

/* Bring the database to the newest schema, one numbered migration at a
 * time, each in its own transaction (PRAGMA user_version holds the number
 * applied). A database newer than this vea is refused rather than guessed
 * at. Returns 0, or -1 with *error_r. */
int schema_migrate(sqlite3 *db, char **error_r);

/* The schema version this build writes. */
int schema_latest_version(void);

#endif
