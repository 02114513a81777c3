/* Lock-free single-producer single-consumer byte ring: the only way data crosses threads. */
#ifndef SB_RING_H
#define SB_RING_H

#include <stdatomic.h>
#include <stdint.h>

typedef struct {
    _Atomic uint32_t head; /* written by the producer */
    _Atomic uint32_t tail; /* written by the consumer */
    uint32_t mask;
    char *buf;
} sb_ring;

/* capacity is rounded up to a power of two; returns 0, or -1 when out of memory (non-RT). */
int sb_ring_init(sb_ring *r, uint32_t capacity);
void sb_ring_free(sb_ring *r);
uint32_t sb_ring_read_space(const sb_ring *r);
uint32_t sb_ring_write_space(const sb_ring *r);
/* All or nothing: 0 when written/read, -1 when there is not enough space/data. */
int sb_ring_write(sb_ring *r, const void *data, uint32_t size);
int sb_ring_read(sb_ring *r, void *data, uint32_t size);
int sb_ring_peek(const sb_ring *r, void *data, uint32_t size);
/* A message is a uint32 length followed by that many bytes. */
int sb_ring_write_msg(sb_ring *r, const void *data, uint32_t size);
/* Returns the message length (copied up to cap bytes, the rest skipped), or -1 when empty. */
int32_t sb_ring_read_msg(sb_ring *r, void *data, uint32_t cap);

#endif
