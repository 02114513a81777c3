/* URID map/unmap: ids are 1-based indices into a growing table of copied URIs. */
#include "urid.h"

#include <stdlib.h>
#include <string.h>

int sb_urids_init(sb_urids *u)
{
    u->uris = NULL;
    u->n = u->cap = 0;
    return pthread_mutex_init(&u->lock, NULL);
}

void sb_urids_free(sb_urids *u)
{
    for (uint32_t i = 0; i < u->n; ++i) {
        free(u->uris[i]);
    }
    free(u->uris);
    u->uris = NULL;
    u->n = u->cap = 0;
    pthread_mutex_destroy(&u->lock);
}

LV2_URID sb_urid_map(LV2_URID_Map_Handle handle, const char *uri)
{
    sb_urids *u = handle;
    LV2_URID id = 0;
    if (!uri) {
        return 0;
    }
    pthread_mutex_lock(&u->lock);
    for (uint32_t i = 0; i < u->n; ++i) {
        if (!strcmp(u->uris[i], uri)) {
            id = i + 1;
            break;
        }
    }
    if (!id) {
        if (u->n == u->cap) {
            uint32_t cap = u->cap ? u->cap * 2 : 256;
            char **grown = realloc(u->uris, cap * sizeof(char *));
            if (grown) {
                u->uris = grown;
                u->cap = cap;
            }
        }
        char *copy = u->n < u->cap ? strdup(uri) : NULL;
        if (copy) {
            u->uris[u->n++] = copy;
            id = u->n;
        }
    }
    pthread_mutex_unlock(&u->lock);
    return id;
}

const char *sb_urid_unmap(LV2_URID_Unmap_Handle handle, LV2_URID urid)
{
    sb_urids *u = handle;
    const char *uri = NULL;
    pthread_mutex_lock(&u->lock);
    if (urid >= 1 && urid <= u->n) {
        uri = u->uris[urid - 1];
    }
    pthread_mutex_unlock(&u->lock);
    return uri;
}
