/* patch:Set / patch:Get: messages forged off RT into a plugin's control atom input, and the
   plugin's patch:Set replies copied out of its atom outputs (RT) and turned into text (non-RT). */
#include <lv2/atom/forge.h>
#include <lv2/atom/util.h>
#include <lv2/patch/patch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define SB_PATCH_MAX 8192 /* bytes of one forged message */
#define SB_MOD_HOST_SEQ (-1337) /* mod-host marks its own messages: their echoes are not fed back */

void sb_patch_urids(sb_engine *e)
{
    sb_urids *u = &e->urids;
    e->urid_object = sb_urid_map(u, LV2_ATOM__Object);
    e->urid_patch_set = sb_urid_map(u, LV2_PATCH__Set);
    e->urid_patch_get = sb_urid_map(u, LV2_PATCH__Get);
    e->urid_patch_property = sb_urid_map(u, LV2_PATCH__property);
    e->urid_patch_value = sb_urid_map(u, LV2_PATCH__value);
    e->urid_patch_sequence = sb_urid_map(u, LV2_PATCH__sequenceNumber);
}

/* RT: append the queued messages to the control input's sequence, at frame 0. */
void sb_patch_append(sb_engine *e, sb_instance *inst, sb_port *port)
{
    (void)e;
    LV2_Atom_Sequence *seq = port->buf;
    char msg[SB_PATCH_MAX];
    int32_t n;
    while (sb_ring_read_space(&inst->to_plugin) > 0 &&
           (n = sb_ring_read_msg(&inst->to_plugin, msg, sizeof(msg))) >= 0) {
        if ((uint32_t)n > sizeof(msg) || (uint32_t)n < sizeof(LV2_Atom)) {
            continue;
        }
        uint32_t used = (uint32_t)sizeof(LV2_Atom) + seq->atom.size;
        uint32_t need = (uint32_t)sizeof(LV2_Atom_Event) + lv2_atom_pad_size((uint32_t)n);
        if (used + need - (uint32_t)sizeof(LV2_Atom) > port->buf_size) {
            continue; /* dropped: no room this cycle */
        }
        LV2_Atom_Event *ev = (LV2_Atom_Event *)((char *)seq + used);
        ev->time.frames = 0;
        memcpy(&ev->body, msg, (size_t)n);
        seq->atom.size += need;
    }
}

/* RT: copy every patch:Set the plugin wrote to its atom outputs into e->patches. */
void sb_patch_collect(sb_engine *e, sb_instance *inst)
{
    char msg[SB_PATCH_MAX];
    for (uint32_t p = 0; p < inst->n_ports; ++p) {
        sb_port *port = &inst->ports[p];
        if (port->type != SB_PORT_ATOM || port->is_input) {
            continue;
        }
        LV2_Atom_Sequence *seq = port->buf;
        if (seq->atom.type != e->urid_sequence ||
            seq->atom.size + sizeof(LV2_Atom) > port->buf_size) {
            continue;
        }
        LV2_ATOM_SEQUENCE_FOREACH(seq, ev)
        {
            const LV2_Atom_Object *obj = (const LV2_Atom_Object *)&ev->body;
            uint32_t size = (uint32_t)sizeof(LV2_Atom) + obj->atom.size;
            if (obj->atom.type != e->urid_object || obj->body.otype != e->urid_patch_set ||
                size + sizeof(int32_t) > sizeof(msg)) {
                continue;
            }
            int32_t number = inst->number;
            memcpy(msg, &number, sizeof(number));
            memcpy(msg + sizeof(number), obj, size);
            sb_ring_write_msg(&e->patches, msg, (uint32_t)(size + sizeof(number)));
        }
    }
}

static LilvNode *property_range(sb_engine *e, sb_instance *inst, const char *property)
{
    LilvNode *prop = lilv_new_uri(e->world, property);
    LilvNode *writable = lilv_new_uri(e->world, LV2_PATCH__writable);
    LilvNode *readable = lilv_new_uri(e->world, LV2_PATCH__readable);
    LilvNode *range_p = lilv_new_uri(e->world, "http://www.w3.org/2000/01/rdf-schema#range");
    const LilvNode *plugin = lilv_plugin_get_uri(inst->plugin);
    LilvNode *range = NULL;
    if (lilv_world_ask(e->world, plugin, writable, prop) ||
        lilv_world_ask(e->world, plugin, readable, prop)) {
        range = lilv_world_get(e->world, prop, range_p, NULL);
        if (!range) {
            range = lilv_new_uri(e->world, LV2_ATOM__String);
        }
    }
    lilv_node_free(prop);
    lilv_node_free(writable);
    lilv_node_free(readable);
    lilv_node_free(range_p);
    return range;
}

static int forge_value(sb_engine *e, LV2_Atom_Forge *f, const char *range, const char *value)
{
    LV2_URID_Map *map = &e->map;
    if (!strcmp(range, LV2_ATOM__Path)) {
        return !lv2_atom_forge_path(f, value, (uint32_t)strlen(value));
    }
    if (!strcmp(range, LV2_ATOM__URI)) {
        return !lv2_atom_forge_uri(f, value, (uint32_t)strlen(value));
    }
    if (!strcmp(range, LV2_ATOM__URID)) {
        return !lv2_atom_forge_urid(f, map->map(map->handle, value));
    }
    if (!strcmp(range, LV2_ATOM__Float)) {
        return !lv2_atom_forge_float(f, strtof(value, NULL));
    }
    if (!strcmp(range, LV2_ATOM__Double)) {
        return !lv2_atom_forge_double(f, strtod(value, NULL));
    }
    if (!strcmp(range, LV2_ATOM__Int)) {
        return !lv2_atom_forge_int(f, (int32_t)strtol(value, NULL, 10));
    }
    if (!strcmp(range, LV2_ATOM__Long)) {
        return !lv2_atom_forge_long(f, strtoll(value, NULL, 10));
    }
    if (!strcmp(range, LV2_ATOM__Bool)) {
        return !lv2_atom_forge_bool(f, strtol(value, NULL, 10) != 0);
    }
    return !lv2_atom_forge_string(f, value, (uint32_t)strlen(value));
}

/* patch_set (value non-NULL) or patch_get (property may be "" for all). Holds no lock of RT. */
int sb_patch(sb_engine *e, int number, const char *property, const char *value)
{
    pthread_mutex_lock(&e->lock);
    int code = 0;
    sb_instance *inst = number >= 0 && number < SB_MAX_INSTANCES ? e->table[number] : NULL;
    if (!inst) {
        code = SB_ERR_INSTANCE_NON_EXISTS;
        goto done;
    }
    if (inst->control_in < 0) {
        code = SB_ERR_INVALID_OPERATION;
        goto done;
    }
    LilvNode *range = NULL;
    if (value || *property) {
        range = property_range(e, inst, property);
        if (!range) {
            code = SB_ERR_INVALID_URI;
            goto done;
        }
    }
    char *buf = malloc(SB_PATCH_MAX);
    if (!buf) {
        lilv_node_free(range);
        code = SB_ERR_MEMORY;
        goto done;
    }
    LV2_Atom_Forge forge;
    lv2_atom_forge_init(&forge, &e->map);
    lv2_atom_forge_set_buffer(&forge, (uint8_t *)buf, SB_PATCH_MAX);
    LV2_Atom_Forge_Frame frame;
    int bad = !lv2_atom_forge_object(&forge, &frame, 0,
                                     value ? e->urid_patch_set : e->urid_patch_get);
    if (*property) {
        bad = bad || !lv2_atom_forge_key(&forge, e->urid_patch_property) ||
              !lv2_atom_forge_urid(&forge, sb_urid_map(&e->urids, property));
    }
    if (value) {
        bad = bad || !lv2_atom_forge_key(&forge, e->urid_patch_value) ||
              forge_value(e, &forge, lilv_node_as_uri(range), value);
    }
    lilv_node_free(range);
    if (!bad) {
        lv2_atom_forge_pop(&forge, &frame);
        const LV2_Atom *atom = (const LV2_Atom *)buf;
        bad = sb_ring_write_msg(&inst->to_plugin, buf, (uint32_t)sizeof(LV2_Atom) + atom->size);
    }
    free(buf);
    if (bad) {
        code = SB_ERR_MEMORY; /* too long for one message, or the queue is full */
    }
done:
    pthread_mutex_unlock(&e->lock);
    return code;
}

static char type_char(sb_engine *e, LV2_URID type)
{
    static const struct {
        const char *uri;
        char c;
    } types[] = {{LV2_ATOM__Bool, 'b'},  {LV2_ATOM__Int, 'i'},    {LV2_ATOM__Long, 'l'},
                 {LV2_ATOM__Float, 'f'}, {LV2_ATOM__Double, 'g'}, {LV2_ATOM__String, 's'},
                 {LV2_ATOM__Path, 'p'},  {LV2_ATOM__URI, 'u'},    {LV2_ATOM__URID, 'u'}};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); ++i) {
        if (type == sb_urid_map(&e->urids, types[i].uri)) {
            return types[i].c;
        }
    }
    return 0;
}

/* Non-RT: the next patch:Set a plugin sent, as "<property>\t<t>\t<value>"; length or -1. */
int sb_next_patch(sb_engine *e, int *number, char *out, int out_size)
{
    char msg[SB_PATCH_MAX + 8];
    int32_t n;
    while ((n = sb_ring_read_msg(&e->patches, msg, sizeof(msg))) >= 0) {
        if ((size_t)n > sizeof(msg) || (size_t)n < sizeof(int32_t) + sizeof(LV2_Atom_Object)) {
            continue;
        }
        memcpy(number, msg, sizeof(int32_t));
        const LV2_Atom_Object *obj = (const LV2_Atom_Object *)(msg + sizeof(int32_t));
        const LV2_Atom *property = NULL, *value = NULL, *seq = NULL;
        lv2_atom_object_get(obj, e->urid_patch_property, &property, e->urid_patch_value, &value,
                            e->urid_patch_sequence, &seq, 0);
        if (seq && seq->type == sb_urid_map(&e->urids, LV2_ATOM__Int) &&
            ((const LV2_Atom_Int *)seq)->body == SB_MOD_HOST_SEQ) {
            continue;
        }
        if (!property || property->type != sb_urid_map(&e->urids, LV2_ATOM__URID) || !value) {
            continue;
        }
        const char *uri = sb_urid_unmap(&e->urids, ((const LV2_Atom_URID *)property)->body);
        char t = type_char(e, value->type);
        if (!uri || !t) {
            continue;
        }
        const void *body = LV2_ATOM_BODY_CONST(value);
        char text[SB_PATCH_MAX];
        switch (t) {
        case 'b':
        case 'i':
            snprintf(text, sizeof(text), "%d", *(const int32_t *)body);
            break;
        case 'l':
            snprintf(text, sizeof(text), "%lld", (long long)*(const int64_t *)body);
            break;
        case 'f':
            snprintf(text, sizeof(text), "%f", (double)*(const float *)body);
            break;
        case 'g':
            snprintf(text, sizeof(text), "%f", *(const double *)body);
            break;
        default:
            if (value->type == sb_urid_map(&e->urids, LV2_ATOM__URID)) {
                const char *s = sb_urid_unmap(&e->urids, *(const uint32_t *)body);
                snprintf(text, sizeof(text), "%s", s ? s : "");
            } else {
                snprintf(text, sizeof(text), "%.*s", (int)value->size, (const char *)body);
            }
            break;
        }
        return snprintf(out, (size_t)out_size, "%s\t%c\t%s", uri, t, text);
    }
    return -1;
}
