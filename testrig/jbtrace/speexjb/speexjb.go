//go:build cgo

// Package speexjb runs the adaptive jitter buffer of speexdsp
// (jitter_buffer_* in libspeexdsp) for comparison with dsp/jitter. It is
// test-bench code: it uses cgo and loads libspeexdsp.so.1 with dlopen at
// run time, so it builds without the library's headers, and a machine
// without the library gets an error from Open (tests then fail under
// CI=true, or say how to install it). The firmware never imports it; with
// CGO_ENABLED=0 a stub takes its place whose Open always fails.
//
// A JB belongs to one goroutine.
package speexjb

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stddef.h>

// The layout of JitterBufferPacket in speex/speex_jitter.h.
typedef struct {
	char    *data;
	uint32_t len;
	uint32_t timestamp;
	uint32_t span;
	uint16_t sequence;
	uint32_t user_data;
} jb_packet;

static void *(*p_init)(int);
static void (*p_destroy)(void *);
static void (*p_put)(void *, const jb_packet *);
static int (*p_get)(void *, jb_packet *, int32_t, int32_t *);
static void (*p_tick)(void *);
static int (*p_ctl)(void *, int, void *);
static int (*p_pointer)(void *);

static const char *jb_load(void) {
	static int done;
	static const char *err;
	if (done) return err;
	done = 1;
	void *h = dlopen("libspeexdsp.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) h = dlopen("libspeexdsp.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) { err = dlerror(); return err; }
	p_init = (void *(*)(int))dlsym(h, "jitter_buffer_init");
	p_destroy = (void (*)(void *))dlsym(h, "jitter_buffer_destroy");
	p_put = (void (*)(void *, const jb_packet *))dlsym(h, "jitter_buffer_put");
	p_get = (int (*)(void *, jb_packet *, int32_t, int32_t *))dlsym(h, "jitter_buffer_get");
	p_tick = (void (*)(void *))dlsym(h, "jitter_buffer_tick");
	p_ctl = (int (*)(void *, int, void *))dlsym(h, "jitter_buffer_ctl");
	p_pointer = (int (*)(void *))dlsym(h, "jitter_buffer_get_pointer_timestamp");
	if (!p_init || !p_destroy || !p_put || !p_get || !p_tick || !p_ctl || !p_pointer)
		err = "libspeexdsp lacks the jitter_buffer_* functions";
	return err;
}

static void *jb_init(int step) { return p_init(step); }
static void jb_destroy(void *j) { p_destroy(j); }
static int jb_ctl(void *j, int req, int32_t v) { return p_ctl(j, req, &v); }
static int jb_pointer(void *j) { return p_pointer(j); }
static void jb_tick(void *j) { p_tick(j); }

static void jb_put(void *j, uint32_t ts, uint32_t span, uint16_t seq, uint32_t user) {
	char b = 0;
	jb_packet p = { &b, 1, ts, span, seq, user };
	p_put(j, &p);
}

static int jb_get(void *j, int32_t desired, uint32_t *ts, uint32_t *span, uint32_t *user, int32_t *off) {
	char b[4];
	jb_packet p = { b, sizeof b, 0, 0, 0, 0 };
	int r = p_get(j, &p, desired, off);
	*ts = p.timestamp;
	*span = p.span;
	*user = p.user_data;
	return r;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"unsafe"
)

var errLoad = errors.New("speexjb: cannot load libspeexdsp (Debian: apt-get install libspeexdsp-dev)")

// Status is what Get returned.
type Status int

const (
	OK        Status = 0 // a packet
	Missing   Status = 1 // lost or late: conceal Span samples
	Insertion Status = 2 // grow the delay: conceal Span samples
)

// ctl requests (speex_jitter.h).
const (
	ctlSetMargin      = 0
	ctlSetMaxLateRate = 10
	ctlSetLateCost    = 12
)

// JB is one speexdsp jitter buffer.
type JB struct{ p unsafe.Pointer }

// Open loads the library (once) and makes a buffer whose delay steps and
// concealment units are step timestamp units.
func Open(step int) (*JB, error) {
	if e := C.jb_load(); e != nil {
		return nil, fmt.Errorf("%w: %s", errLoad, C.GoString(e))
	}
	p := C.jb_init(C.int(step))
	if p == nil {
		return nil, errors.New("speexjb: jitter_buffer_init failed")
	}
	return &JB{p: p}, nil
}

// Close frees the buffer.
func (j *JB) Close() {
	if j.p != nil {
		C.jb_destroy(j.p)
		j.p = nil
	}
}

// SetMaxLateRate sets the largest share of late packets, in percent,
// speexdsp's delay choice tolerates (its default is 4).
func (j *JB) SetMaxLateRate(pct int) { C.jb_ctl(j.p, ctlSetMaxLateRate, C.int32_t(pct)) }

// SetMargin sets extra buffering, in timestamp units, added to speexdsp's
// own choice.
func (j *JB) SetMargin(units int) { C.jb_ctl(j.p, ctlSetMargin, C.int32_t(units)) }

// SetLateCost sets the delay (timestamp units) speexdsp trades for one
// percent of late packets (0: automatic).
func (j *JB) SetLateCost(units int) { C.jb_ctl(j.p, ctlSetLateCost, C.int32_t(units)) }

// Put stores one packet; user comes back from Get.
func (j *JB) Put(ts, span uint32, seq uint16, user uint32) {
	C.jb_put(j.p, C.uint32_t(ts), C.uint32_t(span), C.uint16_t(seq), C.uint32_t(user))
}

// Get asks for desired timestamp units of audio.
func (j *JB) Get(desired int) (st Status, ts, span, user uint32, offset int) {
	var cts, cspan, cuser C.uint32_t
	var coff C.int32_t
	r := C.jb_get(j.p, C.int32_t(desired), &cts, &cspan, &cuser, &coff)
	return Status(r), uint32(cts), uint32(cspan), uint32(cuser), int(coff)
}

// Tick tells the buffer one playout step has passed.
func (j *JB) Tick() { C.jb_tick(j.p) }

// Pointer returns the timestamp the buffer will play next.
func (j *JB) Pointer() uint32 { return uint32(C.jb_pointer(j.p)) }
