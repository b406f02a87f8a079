#include "tools/confusion.h"

#include <stddef.h>

void confusion_class(const uint64_t *conf, int C, int c, double *precision, double *recall,
                     double *f1, uint64_t *support) {
    uint64_t tp = conf[(size_t)c * C + c], row = 0, col = 0;
    for (int j = 0; j < C; j++) row += conf[(size_t)c * C + j], col += conf[(size_t)j * C + c];
    *precision = col ? (double)tp / (double)col : 0.0;
    *recall = row ? (double)tp / (double)row : 0.0;
    *f1 = row + col ? 2.0 * (double)tp / (double)(row + col) : 0.0;
    *support = row;
}

double confusion_macro_f1(const uint64_t *conf, int C) {
    double sum = 0.0;
    int n = 0;
    for (int c = 0; c < C; c++) {
        uint64_t tp = conf[(size_t)c * C + c], row = 0, col = 0;
        for (int j = 0; j < C; j++) row += conf[(size_t)c * C + j], col += conf[(size_t)j * C + c];
        if (row == 0 && col == 0) continue;
        sum += 2.0 * (double)tp / (double)(row + col);
        n++;
    }
    return n ? sum / n : 0.0;
}
