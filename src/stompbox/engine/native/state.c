/* LV2 state: save an instance (port values + state:interface) as a preset bundle, and restore
   a preset or saved state into a running instance (paused in the process thread meanwhile). */
#include <lv2/atom/atom.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine.h"

#define SB_SUSPEND_WAIT_NS 500000L
#define SB_SUSPEND_TRIES 4000 /* 2 s */

typedef struct {
    sb_engine *e;
    sb_instance *inst;
} sb_state_ctx;

static const void *get_port_value(const char *symbol, void *user_data, uint32_t *size,
                                  uint32_t *type)
{
    sb_state_ctx *ctx = user_data;
    sb_instance *inst = ctx->inst;
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        if (port->type == SB_PORT_CONTROL && port->is_input && (int)p != inst->enabled_port &&
            !strcmp(port->symbol, symbol)) {
            *size = sizeof(float);
            *type = sb_urid_map(&ctx->e->urids, LV2_ATOM__Float);
            return &port->value;
        }
    }
    *size = *type = 0;
    return NULL;
}

static void set_port_value(const char *symbol, void *user_data, const void *value, uint32_t size,
                           uint32_t type)
{
    sb_state_ctx *ctx = user_data;
    sb_instance *inst = ctx->inst;
    sb_urids *u = &ctx->e->urids;
    float v;
    if (type == sb_urid_map(u, LV2_ATOM__Float) && size == sizeof(float)) {
        v = *(const float *)value;
    } else if (type == sb_urid_map(u, LV2_ATOM__Double) && size == sizeof(double)) {
        v = (float)*(const double *)value;
    } else if ((type == sb_urid_map(u, LV2_ATOM__Int) || type == sb_urid_map(u, LV2_ATOM__Bool)) &&
               size == sizeof(int32_t)) {
        v = (float)*(const int32_t *)value;
    } else {
        return;
    }
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        if (port->type == SB_PORT_CONTROL && port->is_input && (int)p != inst->enabled_port &&
            !strcmp(port->symbol, symbol)) {
            sb_send_ctl(ctx->e, SB_MSG_PARAM, inst, p, v);
        }
    }
}

/* Write <dir>/<filename> and <dir>/manifest.ttl; the preset URI is the file's URI. */
int sb_state_save(sb_engine *e, int number, const char *dir, const char *filename,
                  const char *label)
{
    pthread_mutex_lock(&e->lock);
    int code = 0;
    sb_instance *inst = number >= 0 && number < SB_MAX_INSTANCES ? e->table[number] : NULL;
    if (!inst) {
        code = SB_ERR_INSTANCE_INVALID;
        goto done;
    }
    sb_state_ctx ctx = {e, inst};
    /* files the plugin refers to are linked into the bundle (lilv 0.24 without a link dir
       removes the user's file while saving) */
    pthread_mutex_lock(&inst->worker.lock); /* not while its worker works */
    LilvState *state = lilv_state_new_from_instance(inst->plugin, inst->lilv, &e->map, NULL, dir,
                                                    dir, dir, get_port_value, &ctx, 0,
                                                    inst->features);
    pthread_mutex_unlock(&inst->worker.lock);
    if (!state) {
        code = SB_ERR_INVALID_OPERATION;
        goto done;
    }
    lilv_state_set_label(state, label);
    if (lilv_state_save(e->world, &e->map, &e->unmap, state, NULL, dir, filename)) {
        code = SB_ERR_INVALID_OPERATION;
    }
    lilv_state_free(state);
done:
    pthread_mutex_unlock(&e->lock);
    return code;
}

/* (Re)load a bundle into the engine's world, so preset_load finds what was saved there. */
void sb_load_bundle(sb_engine *e, const char *dir)
{
    pthread_mutex_lock(&e->lock);
    char path[4096];
    snprintf(path, sizeof(path), "%s/", dir);
    LilvNode *bundle = lilv_new_file_uri(e->world, NULL, path);
    lilv_world_unload_bundle(e->world, bundle);
    lilv_world_load_bundle(e->world, bundle);
    lilv_node_free(bundle);
    pthread_mutex_unlock(&e->lock);
}

static int suspend(sb_engine *e, sb_instance *inst, int on)
{
    uint32_t seq = ++inst->suspend_seq;
    if (sb_send_ctl(e, SB_MSG_SUSPEND, inst, seq, on ? 1.0f : 0.0f)) {
        return -1;
    }
    for (int i = 0; i < SB_SUSPEND_TRIES; ++i) {
        if (atomic_load_explicit(&inst->suspend_ack, memory_order_acquire) == seq) {
            return 0;
        }
        struct timespec ts = {0, SB_SUSPEND_WAIT_NS};
        nanosleep(&ts, NULL);
    }
    return -1;
}

/* Restore a preset or saved state (by URI; a file: URI's bundle is loaded first). */
int sb_state_restore(sb_engine *e, int number, const char *uri)
{
    pthread_mutex_lock(&e->lock);
    int code = 0;
    sb_instance *inst = number >= 0 && number < SB_MAX_INSTANCES ? e->table[number] : NULL;
    if (!inst) {
        code = SB_ERR_INSTANCE_NON_EXISTS;
        goto done;
    }
    LilvState *state = NULL;
    if (!strncmp(uri, "file://", 7)) { /* a saved preset: read its file as it is now */
        char *path = lilv_file_uri_parse(uri, NULL);
        if (path) {
            state = lilv_state_new_from_file(e->world, &e->map, NULL, path);
            lilv_free(path);
        }
    }
    if (!state) {
        LilvNode *node = lilv_new_uri(e->world, uri);
        state = node ? lilv_state_new_from_world(e->world, &e->map, node) : NULL;
        lilv_node_free(node);
    }
    if (!state) {
        code = -105; /* ERR_LV2_CANT_LOAD_STATE */
        goto done;
    }
    sb_state_ctx ctx = {e, inst};
    if (suspend(e, inst, 1)) {
        code = -105;
    } else {
        pthread_mutex_lock(&inst->worker.lock);
        lilv_state_restore(state, inst->lilv, set_port_value, &ctx, 0, inst->features);
        pthread_mutex_unlock(&inst->worker.lock);
        suspend(e, inst, 0);
    }
    lilv_state_free(state);
done:
    pthread_mutex_unlock(&e->lock);
    return code;
}
