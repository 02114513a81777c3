/* Lock-free SPSC ring: head and tail are free-running counters, the mask wraps the index. */
#include "ring.h"

#include <stdlib.h>
#include <string.h>

int sb_ring_init(sb_ring *r, uint32_t capacity)
{
    uint32_t size = 1;
    while (size < capacity) {
        size <<= 1U;
    }
    r->buf = calloc(size, 1);
    if (!r->buf) {
        return -1;
    }
    r->mask = size - 1;
    atomic_store(&r->head, 0);
    atomic_store(&r->tail, 0);
    return 0;
}

void sb_ring_free(sb_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

uint32_t sb_ring_read_space(const sb_ring *r)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    return head - tail;
}

uint32_t sb_ring_write_space(const sb_ring *r)
{
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    return r->mask + 1 - (head - tail);
}

static void copy_in(sb_ring *r, uint32_t at, const void *data, uint32_t size)
{
    uint32_t start = at & r->mask;
    uint32_t first = r->mask + 1 - start;
    if (first > size) {
        first = size;
    }
    memcpy(r->buf + start, data, first);
    memcpy(r->buf, (const char *)data + first, size - first);
}

static void copy_out(const sb_ring *r, uint32_t at, void *data, uint32_t size)
{
    uint32_t start = at & r->mask;
    uint32_t first = r->mask + 1 - start;
    if (first > size) {
        first = size;
    }
    memcpy(data, r->buf + start, first);
    memcpy((char *)data + first, r->buf, size - first);
}

int sb_ring_write(sb_ring *r, const void *data, uint32_t size)
{
    if (sb_ring_write_space(r) < size) {
        return -1;
    }
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    copy_in(r, head, data, size);
    atomic_store_explicit(&r->head, head + size, memory_order_release);
    return 0;
}

int sb_ring_peek(const sb_ring *r, void *data, uint32_t size)
{
    if (sb_ring_read_space(r) < size) {
        return -1;
    }
    copy_out(r, atomic_load_explicit(&r->tail, memory_order_relaxed), data, size);
    return 0;
}

int sb_ring_read(sb_ring *r, void *data, uint32_t size)
{
    if (sb_ring_peek(r, data, size)) {
        return -1;
    }
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    atomic_store_explicit(&r->tail, tail + size, memory_order_release);
    return 0;
}

int sb_ring_write_msg(sb_ring *r, const void *data, uint32_t size)
{
    if (sb_ring_write_space(r) < size + sizeof(uint32_t)) {
        return -1;
    }
    uint32_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    copy_in(r, head, &size, sizeof(size));
    copy_in(r, head + (uint32_t)sizeof(size), data, size);
    atomic_store_explicit(&r->head, head + (uint32_t)sizeof(size) + size, memory_order_release);
    return 0;
}

int32_t sb_ring_read_msg(sb_ring *r, void *data, uint32_t cap)
{
    uint32_t size = 0;
    if (sb_ring_peek(r, &size, sizeof(size)) || sb_ring_read_space(r) < sizeof(size) + size) {
        return -1;
    }
    uint32_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    copy_out(r, tail + (uint32_t)sizeof(size), data, size < cap ? size : cap);
    atomic_store_explicit(&r->tail, tail + (uint32_t)sizeof(size) + size, memory_order_release);
    return (int32_t)size;
}
