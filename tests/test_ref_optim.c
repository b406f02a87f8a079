/* drnn's optimizers (trainer/optim.h) against torch.optim.SGD / Adam / AdamW on the same
 * gradients (tests/reference/optim_reference.py): after every step the parameters, and after the
 * last the optimizer state, must be within 1e-6 of PyTorch's (absolute; relative for entries
 * above 1 — the parameters here stay below 4). Every case listed in
 * OUT_DIR/cases.txt must be there and pass; each kind (sgd, adam, adamw) must have run.
 *
 * Usage: test_ref_optim OUT_DIR
 */
#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/h5util.h"
#include "tests/refutil.h"
#include "tests/testutil.h"
#include "trainer/optim.h"

#define MAX_ABS 1e-6

/* max |a - b| / max(1, |b|) over n: absolute below 1, relative above (the state's squared
 * gradients reach 100s, where float32 itself rounds at 1e-5). */
static double max_abs_diff(const float *a, const float *b, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]) / fmax(1.0, fabs((double)b[i]));
        if (!(d <= m)) m = d; /* NaN wins */
    }
    return m;
}

static int run_case(const char *dir, const char *name, int *seen) {
    char path[4200], why[256], kind[16];
    snprintf(path, sizeof path, "%s/%s.h5", dir, name);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    EXPECT(f >= 0, "%s: cannot open", path);
    if (f < 0) return 1;
    int64_t steps = 0, P = 0;
    optim_cfg_t c = {0};
    int bad = h5_attr_get_string(f, "optimizer", kind, sizeof kind) < 0 ||
              h5_attr_get_i64(f, "steps", &steps) < 0 || h5_attr_get_i64(f, "P", &P) < 0 ||
              h5_attr_get_f64(f, "momentum", &c.momentum) < 0 ||
              h5_attr_get_f64(f, "beta1", &c.beta1) < 0 ||
              h5_attr_get_f64(f, "beta2", &c.beta2) < 0 || h5_attr_get_f64(f, "eps", &c.eps) < 0 ||
              h5_attr_get_f64(f, "weight_decay", &c.weight_decay) < 0;
    c.kind = optim_parse(kind);
    EXPECT(!bad && c.kind >= 0 && steps > 0 && P > 0, "%s: attributes", path);
    if (bad || c.kind < 0) {
        H5Fclose(f);
        return 1;
    }
    seen[c.kind] = 1;
    float *p = ref_calloc((size_t)P, sizeof(float)), *g = ref_calloc((size_t)(steps * P), 4);
    float *want = ref_calloc((size_t)(steps * P), 4), *coef = ref_calloc((size_t)steps, 4);
    double *lrs = ref_calloc((size_t)steps, sizeof(double));
    hsize_t d1[1] = {(hsize_t)P}, d2[2] = {(hsize_t)steps, (hsize_t)P}, ds[1] = {(hsize_t)steps};
    bad = ref_read_dataset(f, "params0", H5T_NATIVE_FLOAT, p, 1, d1, why, sizeof why) ||
          ref_read_dataset(f, "grads", H5T_NATIVE_FLOAT, g, 2, d2, why, sizeof why) ||
          ref_read_dataset(f, "params", H5T_NATIVE_FLOAT, want, 2, d2, why, sizeof why) ||
          ref_read_dataset(f, "coef", H5T_NATIVE_FLOAT, coef, 1, ds, why, sizeof why) ||
          ref_read_dataset(f, "lrs", H5T_NATIVE_DOUBLE, lrs, 1, ds, why, sizeof why);
    EXPECT(!bad, "%s: %s", path, why);
    optim_t o;
    EXPECT(optim_init(&o, &c, (size_t)P) == 0, "out of memory");
    double worst = 0.0;
    for (int64_t t = 0; !bad && t < steps; t++) {
        optim_step(&o, p, g + t * P, coef[t], lrs[t]);
        double d = max_abs_diff(p, want + t * P, (size_t)P);
        worst = d > worst || isnan(d) ? d : worst;
        EXPECT(d <= MAX_ABS, "%s step %lld: parameters differ by %.3g (max %.0e)", name,
               (long long)t + 1, d, MAX_ABS);
    }
    for (int i = 0; !bad && i < o.nstate; i++) {
        char ds_name[64];
        float *st = ref_calloc((size_t)P, sizeof(float));
        snprintf(ds_name, sizeof ds_name, "state/%s", optim_state_name(&o, i));
        int r = ref_read_dataset(f, ds_name, H5T_NATIVE_FLOAT, st, 1, d1, why, sizeof why);
        EXPECT(r == 0, "%s: %s", path, why);
        double d = r ? INFINITY : max_abs_diff(o.state[i], st, (size_t)P);
        EXPECT(d <= MAX_ABS, "%s: %s differs by %.3g", name, ds_name, d);
        worst = d > worst ? d : worst;
        free(st);
    }
    printf("  %-18s %-5s %lld steps x %lld parameters: max abs difference %.2e\n", name, kind,
           (long long)steps, (long long)P, worst);
    optim_free(&o);
    free(p), free(g), free(want), free(coef), free(lrs);
    H5Fclose(f);
    return 0;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_ref_optim OUT_DIR\n");
        return 64;
    }
    char list[4200], name[256];
    snprintf(list, sizeof list, "%s/cases.txt", argv[1]);
    FILE *l = fopen(list, "r");
    EXPECT(l != NULL, "%s missing", list);
    int seen[3] = {0}, n = 0;
    while (l && fgets(name, sizeof name, l)) {
        name[strcspn(name, "\n")] = '\0';
        if (name[0]) run_case(argv[1], name, seen), n++;
    }
    if (l) fclose(l);
    for (int k = 0; k < 3; k++) EXPECT(seen[k], "no %s case ran", optim_name(k));
    printf("%d cases\n", n);
    return TEST_RESULT("test_ref_optim");
}
