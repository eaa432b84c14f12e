#include "admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int test_admin_bootstrap(const char *pmu_bin, const char *db)
{
    static const char password[] = "admin-password";
    char pw[1024], cmd[3072];
    snprintf(pw, sizeof pw, "%s.admin-pw", db);
    FILE *f = fopen(pw, "w");
    if (f == NULL)
        return -1;
    fprintf(f, "%s\n", password);
    fclose(f);
    setenv("PMU_USER", "admin", 1);
    setenv("PMU_USER_PASSWORD", password, 1);
    snprintf(cmd, sizeof cmd,
             "'%s' user add admin --level administrator --password-file '%s' --cost minimal --db '%s' >/dev/null",
             pmu_bin, pw, db);
    int st = system(cmd);
    unlink(pw);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}
