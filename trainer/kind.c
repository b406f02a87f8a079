#include "trainer/kind.h"

#include <stdio.h>
#include <string.h>

/* One row per model kind drnn-train can train. */
static const train_kind_t *const kinds[] = {&train_kind_lm, &train_kind_classifier};

const train_kind_t *train_kind_find(const char *name) {
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(kinds[i]->name, name) == 0) return kinds[i];
    return NULL;
}

const char *train_kind_names(void) {
    static char names[128];
    if (!names[0])
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
            snprintf(names + strlen(names), sizeof names - strlen(names), "%s%s", i ? ", " : "",
                     kinds[i]->name);
    return names;
}
