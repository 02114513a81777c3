/* Transport types: the host's tempo, JACK's position this cycle, and what each plugin was told. */
#ifndef SB_TRANSPORT_H
#define SB_TRANSPORT_H

#include <jack/transport.h>
#include <lv2/atom/forge.h>
#include <lv2/urid/urid.h>
#include <stdatomic.h>
#include <stdint.h>

typedef struct {
    LV2_URID position, speed, frame, bar, bar_beat, beat, beat_unit, beats_per_bar, bpm;
    LV2_URID designation_bpm, designation_bpb, designation_speed; /* unused at run time */
} sb_time_urids;

typedef struct {
    _Atomic double bpm, bpb; /* the host's tempo: set_bpm, set_bpb, transport (non-RT) */
    _Atomic int report;      /* non-RT asks the process thread to report the transport */
    /* RT */
    uint32_t serial;         /* bumped whenever the transport changed */
    int rolling;             /* -1 before the first cycle */
    double cur_bpm, cur_bpb;
    jack_nframes_t frame, expect; /* this cycle's frame; the frame the next cycle should have */
    int64_t bar;             /* 0-based */
    float bar_beat;          /* beat within the bar, 0 .. beats per bar */
    double beat;             /* running beat since frame 0 */
    LV2_Atom_Forge forge;
    sb_time_urids urids;
} sb_transport;

typedef struct {
    int port;                           /* atom input that supports time:Position, or -1 */
    int bpm_port, bpb_port, speed_port; /* designated control inputs, or -1 */
    uint32_t seen;                      /* RT: transport serial last written into `port` */
} sb_inst_time;

#endif
