/* LV2 host features: urid map/unmap, options, bounded block length, log, per-instance worker. */
#include <lv2/atom/atom.h>
#include <lv2/buf-size/buf-size.h>
#include <lv2/parameters/parameters.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine.h"

#define SB_LOG_LINE 512

static int log_vprintf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, va_list ap)
{
    sb_engine *e = handle;
    char line[SB_LOG_LINE];
    int level = 1; /* URIDs mapped beforehand: this may run on the process thread */
    if (type == e->urid_log_trace) {
        level = 0;
    } else if (type == e->urid_log_warning) {
        level = 2;
    } else if (type == e->urid_log_error) {
        level = 3;
    }
    line[0] = (char)('0' + level);
    int n = vsnprintf(line + 1, sizeof(line) - 1, fmt, ap);
    if (n < 0) {
        return 0;
    }
    uint32_t len = (uint32_t)n + 1 < sizeof(line) ? (uint32_t)n + 1 : (uint32_t)sizeof(line) - 1;
    if ((uint64_t)pthread_self() == atomic_load(&e->rt_thread)) {
        sb_ring_write_msg(&e->logs, line, len); /* dropped when full */
    } else {
        fprintf(stderr, "lv2 log %d: %s", level, line + 1);
    }
    return n;
}

static int log_printf(LV2_Log_Handle handle, LV2_URID type, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = log_vprintf(handle, type, fmt, ap);
    va_end(ap);
    return n;
}

void sb_features_init(sb_engine *e)
{
    sb_urids *u = &e->urids;
    e->map = (LV2_URID_Map){u, sb_urid_map};
    e->unmap = (LV2_URID_Unmap){u, sb_urid_unmap};
    e->log = (LV2_Log_Log){e, log_printf, log_vprintf};
    e->urid_log_trace = sb_urid_map(u, LV2_LOG__Trace);
    e->urid_log_warning = sb_urid_map(u, LV2_LOG__Warning);
    e->urid_log_error = sb_urid_map(u, LV2_LOG__Error);
    e->opt_rate = (float)e->rate;
    e->opt_min_block = 1;
    e->opt_max_block = SB_MAX_BLOCK;
    e->opt_nominal_block = (int32_t)e->block;
    e->opt_seq_size = SB_ATOM_CAPACITY;
    LV2_URID a_int = sb_urid_map(u, LV2_ATOM__Int);
    LV2_URID a_float = sb_urid_map(u, LV2_ATOM__Float);
    LV2_Options_Option *o = e->options;
    o[0] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, sb_urid_map(u, LV2_PARAMETERS__sampleRate),
                                sizeof(float), a_float, &e->opt_rate};
    o[1] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, sb_urid_map(u, LV2_BUF_SIZE__minBlockLength),
                                sizeof(int32_t), a_int, &e->opt_min_block};
    o[2] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, sb_urid_map(u, LV2_BUF_SIZE__maxBlockLength),
                                sizeof(int32_t), a_int, &e->opt_max_block};
    o[3] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0,
                                sb_urid_map(u, LV2_BUF_SIZE_PREFIX "nominalBlockLength"),
                                sizeof(int32_t), a_int, &e->opt_nominal_block};
    o[4] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, sb_urid_map(u, LV2_BUF_SIZE__sequenceSize),
                                sizeof(int32_t), a_int, &e->opt_seq_size};
    o[5] = (LV2_Options_Option){LV2_OPTIONS_INSTANCE, 0, 0, 0, 0, NULL};
    e->map_feature = (LV2_Feature){LV2_URID__map, &e->map};
    e->unmap_feature = (LV2_Feature){LV2_URID__unmap, &e->unmap};
    e->log_feature = (LV2_Feature){LV2_LOG__log, &e->log};
    e->options_feature = (LV2_Feature){LV2_OPTIONS__options, e->options};
    e->bounded_feature = (LV2_Feature){LV2_BUF_SIZE__boundedBlockLength, NULL};
    e->pow2_feature = (LV2_Feature){LV2_BUF_SIZE__powerOf2BlockLength, NULL};
}

static LV2_Worker_Status schedule_work(LV2_Worker_Schedule_Handle handle, uint32_t size,
                                       const void *data)
{
    sb_worker *w = handle;
    return sb_ring_write_msg(&w->requests, data, size) ? LV2_WORKER_ERR_NO_SPACE
                                                       : LV2_WORKER_SUCCESS;
}

/* A NULL-terminated feature list for one instance (its own worker schedule); free() it. */
const LV2_Feature **sb_features_for(sb_engine *e, sb_instance *inst)
{
    const LV2_Feature **list = calloc(9, sizeof(LV2_Feature *));
    if (!list) {
        return NULL;
    }
    inst->schedule = (LV2_Worker_Schedule){&inst->worker, schedule_work};
    inst->worker_feature = (LV2_Feature){LV2_WORKER__schedule, &inst->schedule};
    list[0] = &e->map_feature;
    list[1] = &e->unmap_feature;
    list[2] = &e->log_feature;
    list[3] = &e->options_feature;
    list[4] = &e->bounded_feature;
    list[5] = &inst->worker_feature;
    list[6] = &e->pow2_feature;
    return list;
}
