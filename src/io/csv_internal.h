/* What csv.c shares with json_lines.c: a schema's defaults and label vocabularies. */
#ifndef TFCI_CSV_INTERNAL_H
#define TFCI_CSV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tfc/input.h"

bool tfci_csv_schema_default(const tfc_csv_schema *s, int col, double *num, int64_t *inum, const char **str,
                             size_t *len);
/* Another reference to s (released with tfc_csv_schema_free); a schema with
 * several references refuses new columns, as it does while readers use it. */
tfc_csv_schema *tfci_csv_schema_retain(tfc_csv_schema *s);
int tfci_csv_schema_label_id(const tfc_csv_schema *s, int col, const char *str, size_t len, int64_t *id);

#endif
