/* io/ckpt_internal.h — helpers shared by io/ckpt_write.c and io/ckpt_read.c only. */
#ifndef DRNN_IO_CKPT_INTERNAL_H
#define DRNN_IO_CKPT_INTERNAL_H

#include <hdf5.h>
#include <stddef.h>

int ckpt_attr_set_f64(hid_t obj, const char *name, double v);
int ckpt_attr_get_f64(hid_t obj, const char *name, double *v);

#endif
