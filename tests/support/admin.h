/* Integration tests that use a store act as its first administrator (docs/security.md). */
#ifndef PMU_TEST_ADMIN_H
#define PMU_TEST_ADMIN_H

/* Creates the administrator "admin" in the store db (a new database: no login needed)
 * with the cheapest password hash, and sets PMU_USER / PMU_USER_PASSWORD so that every
 * later pmu this process starts acts as it. Returns pmu's exit status (0 = done). */
int test_admin_bootstrap(const char *pmu_bin, const char *db);

#endif
