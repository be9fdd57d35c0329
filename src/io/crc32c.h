/* CRC32C (Castagnoli), as TFRecord files use it, and TFRecord's masking. */
#ifndef TFCI_CRC32C_H
#define TFCI_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC32C of data[0..n) continuing from crc (0 to start). */
uint32_t tfci_crc32c_extend(uint32_t crc, const void *data, size_t n);

static inline uint32_t tfci_crc32c(const void *data, size_t n) { return tfci_crc32c_extend(0, data, n); }

/* TFRecord stores CRCs masked, so a CRC of data that itself holds CRCs does
 * not degenerate: rotate right by 15 bits and add a constant. */
static inline uint32_t tfci_crc32c_mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + 0xa282ead8u; }
static inline uint32_t tfci_crc32c_unmask(uint32_t masked)
{
    uint32_t r = masked - 0xa282ead8u;
    return (r >> 17) | (r << 15);
}

#endif
