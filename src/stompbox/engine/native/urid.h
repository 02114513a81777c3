/* URID map/unmap: a thread-safe URI table (non-RT; a mutex guards it). */
#ifndef SB_URID_H
#define SB_URID_H

#include <lv2/urid/urid.h>
#include <pthread.h>
#include <stdint.h>

typedef struct {
    pthread_mutex_t lock;
    char **uris; /* uris[id - 1] */
    uint32_t n, cap;
} sb_urids;

int sb_urids_init(sb_urids *u);
void sb_urids_free(sb_urids *u);
LV2_URID sb_urid_map(LV2_URID_Map_Handle handle, const char *uri);
const char *sb_urid_unmap(LV2_URID_Unmap_Handle handle, LV2_URID urid);

#endif
