//go:build cgo

package cref

/*
#cgo pkg-config: speexdsp
#include <speex/speex_echo.h>
#include <speex/speex_preprocess.h>

static int cref_ctl_int(SpeexPreprocessState *st, int req, int v) {
	return speex_preprocess_ctl(st, req, &v);
}
static int cref_echo_rate(SpeexEchoState *st, int rate) {
	return speex_echo_ctl(st, SPEEX_ECHO_SET_SAMPLING_RATE, &rate);
}
static int cref_attach_echo(SpeexPreprocessState *pp, SpeexEchoState *ec) {
	return speex_preprocess_ctl(pp, SPEEX_PREPROCESS_SET_ECHO_STATE, ec);
}
*/
import "C"

import (
	"fmt"
	"unsafe"
)

// Available reports whether the C references are built in (nil: yes).
func Available() error { return nil }

// SpeexEcho is speexdsp's MDF echo canceller for one channel, optionally
// followed by its preprocessor as a residual-echo suppressor, speexdsp's
// counterpart of a non-linear processor (its echo suppression works through
// the noise suppressor, which therefore stays on at its defaults; AGC and
// dereverberation off, VAD at its default, off).
type SpeexEcho struct {
	st    *C.SpeexEchoState
	pp    *C.SpeexPreprocessState
	frame int
}

// NewSpeexEcho returns a canceller for frames of frame samples at rate Hz
// with a filter of tail samples. With suppress, the residual-echo
// suppressor runs after the canceller.
func NewSpeexEcho(frame, tail, rate int, suppress bool) (*SpeexEcho, error) {
	if frame <= 0 || tail <= 0 || rate <= 0 {
		return nil, fmt.Errorf("cref: speex echo: bad frame %d, tail %d or rate %d", frame, tail, rate)
	}
	s := &SpeexEcho{frame: frame}
	s.st = C.speex_echo_state_init(C.int(frame), C.int(tail))
	if s.st == nil {
		return nil, fmt.Errorf("cref: speex_echo_state_init(%d, %d) failed", frame, tail)
	}
	C.cref_echo_rate(s.st, C.int(rate))
	if suppress {
		s.pp = C.speex_preprocess_state_init(C.int(frame), C.int(rate))
		if s.pp == nil {
			s.Close()
			return nil, fmt.Errorf("cref: speex_preprocess_state_init(%d, %d) failed", frame, rate)
		}
		// speexdsp applies its residual-echo suppression inside the
		// noise suppressor's gains (with denoise off it forces them to
		// 1), so the suppressor stays on, at its defaults.
		C.cref_ctl_int(s.pp, C.SPEEX_PREPROCESS_SET_AGC, 0)
		C.cref_ctl_int(s.pp, C.SPEEX_PREPROCESS_SET_DEREVERB, 0)
		C.cref_attach_echo(s.pp, s.st)
	}
	return s, nil
}

// Process cancels the echo of far in near and writes the result to out, one
// frame at a time; the three slices have the same length, a multiple of the
// frame size. out must not alias far.
func (s *SpeexEcho) Process(near, far, out []int16) {
	if len(near) != len(far) || len(out) != len(near) || len(near)%s.frame != 0 {
		panic(fmt.Sprintf("cref: speex echo: lengths %d/%d/%d, want equal multiples of %d", len(near), len(far), len(out), s.frame))
	}
	for i := 0; i < len(near); i += s.frame {
		n := (*C.spx_int16_t)(unsafe.Pointer(&near[i]))
		f := (*C.spx_int16_t)(unsafe.Pointer(&far[i]))
		o := (*C.spx_int16_t)(unsafe.Pointer(&out[i]))
		C.speex_echo_cancellation(s.st, n, f, o)
		if s.pp != nil {
			C.speex_preprocess_run(s.pp, o)
		}
	}
}

// Close frees the C state. The value is unusable afterwards.
func (s *SpeexEcho) Close() {
	if s.pp != nil {
		C.speex_preprocess_state_destroy(s.pp)
		s.pp = nil
	}
	if s.st != nil {
		C.speex_echo_state_destroy(s.st)
		s.st = nil
	}
}
