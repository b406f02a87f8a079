#include "tools/tools.h"

#include <stdio.h>
#include <string.h>

#include "base/util.h"

/* NAME is one of the space-separated words of LIST. */
static int listed(const char *list, const char *name) {
    const size_t len = strlen(name);
    for (const char *p = list; *p; p += strcspn(p, " "), p += *p == ' ')
        if (strncmp(p, name, len) == 0 && (p[len] == ' ' || p[len] == '\0')) return 1;
    return 0;
}

void tools_check_options(const config_cli_t *cli, const opt_spec_t *spec, int nspec,
                         const char *kind_shaped, const char *reads, const char *noun,
                         const char *path) {
    for (int i = 0; i < nspec; i++)
        if (listed(kind_shaped, spec[i].name) && !listed(reads, spec[i].name) &&
            config_given(cli, spec, nspec, spec[i].name))
            drnn_die(64, "--%s does not apply to %s, a %s; its options here are: %s", spec[i].name,
                     path, noun, reads);
}
