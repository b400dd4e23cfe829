//go:build cgo

package spandsp

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// put_msg_func_t of spandsp/async.h.
typedef void (*spd_put_msg)(void *user_data, const uint8_t *msg, int len);

static void *(*p_rx_init)(void *, int, spd_put_msg, void *);
static int (*p_rx_free)(void *);
static int (*p_rx)(void *, const int16_t *, int);
static int (*p_next_field)(void *, const uint8_t *, int, int, uint8_t *, const uint8_t **, int *);
static void *(*p_tx_init)(void *, int);
static int (*p_tx_free)(void *);
static int (*p_tx)(void *, int16_t *, int);
static int (*p_tx_put)(void *, const uint8_t *, int);
static void (*p_tx_alert)(void *);
static void (*p_tx_preamble)(void *, int, int, int, int);

static const char *spd_load(void) {
	static int done;
	static const char *err;
	if (done) return err;
	done = 1;
	void *h = dlopen("libspandsp.so.2", RTLD_NOW | RTLD_LOCAL);
	if (!h) h = dlopen("libspandsp.so", RTLD_NOW | RTLD_LOCAL);
	if (!h) { err = dlerror(); return err; }
	p_rx_init = (void *(*)(void *, int, spd_put_msg, void *))dlsym(h, "adsi_rx_init");
	p_rx_free = (int (*)(void *))dlsym(h, "adsi_rx_free");
	p_rx = (int (*)(void *, const int16_t *, int))dlsym(h, "adsi_rx");
	p_next_field = (int (*)(void *, const uint8_t *, int, int, uint8_t *, const uint8_t **, int *))dlsym(h, "adsi_next_field");
	p_tx_init = (void *(*)(void *, int))dlsym(h, "adsi_tx_init");
	p_tx_free = (int (*)(void *))dlsym(h, "adsi_tx_free");
	p_tx = (int (*)(void *, int16_t *, int))dlsym(h, "adsi_tx");
	p_tx_put = (int (*)(void *, const uint8_t *, int))dlsym(h, "adsi_tx_put_message");
	p_tx_alert = (void (*)(void *))dlsym(h, "adsi_tx_send_alert_tone");
	p_tx_preamble = (void (*)(void *, int, int, int, int))dlsym(h, "adsi_tx_set_preamble");
	if (!p_rx_init || !p_rx_free || !p_rx || !p_next_field || !p_tx_init || !p_tx_free || !p_tx || !p_tx_put || !p_tx_alert || !p_tx_preamble)
		err = "libspandsp lacks the adsi_* functions";
	return err;
}

// An inbox collects the messages the receiver delivers through its
// callback, so that no Go function is called from C.
enum { SPD_MAXMSG = 32, SPD_MSGLEN = 256 };
typedef struct {
	int n;
	int dropped;
	int len[SPD_MAXMSG];
	uint8_t msg[SPD_MAXMSG][SPD_MSGLEN];
} spd_inbox;

static void spd_put(void *u, const uint8_t *msg, int len) {
	spd_inbox *b = u;
	if (len < 0) return; // a status report, not a message
	if (b->n >= SPD_MAXMSG || len > SPD_MSGLEN) { b->dropped++; return; }
	memcpy(b->msg[b->n], msg, len);
	b->len[b->n] = len;
	b->n++;
}

static void *spd_rx_init(int standard, spd_inbox *b) { return p_rx_init(NULL, standard, spd_put, b); }
static void spd_rx_free(void *s) { p_rx_free(s); }
static void spd_rx(void *s, const int16_t *x, int n) { p_rx(s, x, n); }
static int spd_next_field(void *s, const uint8_t *m, int n, int pos, uint8_t *typ, int *off, int *flen) {
	const uint8_t *body = NULL;
	int r = p_next_field(s, m, n, pos, typ, &body, flen);
	*off = body ? (int)(body - m) : -1;
	return r;
}
static void *spd_tx_init(int standard) { return p_tx_init(NULL, standard); }
static void spd_tx_free(void *s) { p_tx_free(s); }
static int spd_tx(void *s, int16_t *x, int n) { return p_tx(s, x, n); }
static int spd_tx_put(void *s, const uint8_t *m, int n) { return p_tx_put(s, m, n); }
static void spd_tx_alert(void *s) { p_tx_alert(s); }
static void spd_tx_preamble(void *s, int a, int b, int c, int d) { p_tx_preamble(s, a, b, c, d); }
*/
import "C"

import (
	"fmt"
	"unsafe"
)

func load() error {
	if e := C.spd_load(); e != nil {
		return fmt.Errorf("%w: cannot load libspandsp.so.2: %s; %s", ErrUnavailable, C.GoString(e), installHint)
	}
	return nil
}

// Available reports whether spandsp can be used (nil: yes).
func Available() error { return load() }

// Receiver is spandsp's ADSI receiver (adsi_rx) for one line.
type Receiver struct {
	st  unsafe.Pointer
	box *C.spd_inbox
}

// NewReceiver loads the library (once) and makes a receiver for std.
func NewReceiver(std Standard) (*Receiver, error) {
	if err := load(); err != nil {
		return nil, err
	}
	box := (*C.spd_inbox)(C.calloc(1, C.size_t(unsafe.Sizeof(C.spd_inbox{}))))
	st := C.spd_rx_init(C.int(std), box)
	if st == nil {
		C.free(unsafe.Pointer(box))
		return nil, fmt.Errorf("spandsp: adsi_rx_init(%d) failed", std)
	}
	return &Receiver{st: st, box: box}, nil
}

// Write feeds 8 kHz linear audio to the receiver.
func (r *Receiver) Write(x []int16) {
	if len(x) == 0 {
		return
	}
	C.spd_rx(r.st, (*C.int16_t)(unsafe.Pointer(&x[0])), C.int(len(x)))
}

// Dropped is how many messages the inbox had no room for.
func (r *Receiver) Dropped() int { return int(r.box.dropped) }

// Messages returns the messages delivered since the last call, each split
// into fields by spandsp's adsi_next_field.
func (r *Receiver) Messages() []Message {
	var out []Message
	for i := 0; i < int(r.box.n); i++ {
		n := int(r.box.len[i])
		raw := C.GoBytes(unsafe.Pointer(&r.box.msg[i][0]), C.int(n))
		m := Message{Raw: raw}
		pos := -1
		for range 300 { // adsi_next_field always advances; the bound is a guard
			var typ C.uint8_t
			var off, flen C.int
			pos = int(C.spd_next_field(r.st, &r.box.msg[i][0], C.int(n), C.int(pos), &typ, &off, &flen))
			if pos < 0 {
				break
			}
			f := Field{Type: byte(typ)}
			if off >= 0 && flen >= 0 && int(off)+int(flen) <= n {
				f.Body = append([]byte{}, raw[off:int(off)+int(flen)]...)
			}
			m.Fields = append(m.Fields, f)
		}
		m.Split = pos
		out = append(out, m)
	}
	r.box.n = 0
	return out
}

// Close frees the receiver.
func (r *Receiver) Close() {
	if r.st != nil {
		C.spd_rx_free(r.st)
		C.free(unsafe.Pointer(r.box))
		r.st, r.box = nil, nil
	}
}

// Transmitter is spandsp's ADSI transmitter (adsi_tx) for one line.
type Transmitter struct{ st unsafe.Pointer }

// NewTransmitter loads the library (once) and makes a transmitter for std.
func NewTransmitter(std Standard) (*Transmitter, error) {
	if err := load(); err != nil {
		return nil, err
	}
	st := C.spd_tx_init(C.int(std))
	if st == nil {
		return nil, fmt.Errorf("spandsp: adsi_tx_init(%d) failed", std)
	}
	return &Transmitter{st: st}, nil
}

// SetPreamble sets the bits of channel seizure, of marks before and after
// the message, and the stop bits per character (adsi_tx_set_preamble; -1
// keeps spandsp's default for that item).
func (t *Transmitter) SetPreamble(seizure, marks, post, stopBits int) {
	C.spd_tx_preamble(t.st, C.int(seizure), C.int(marks), C.int(post), C.int(stopBits))
}

// Send queues one message: for FSK standards its type, length and body
// without the checksum (spandsp sets the length byte from the size and
// appends the checksum itself), for CLIPDTMF the digit string.
func (t *Transmitter) Send(msg []byte) error {
	if len(msg) == 0 {
		return fmt.Errorf("spandsp: empty message")
	}
	r := C.spd_tx_put(t.st, (*C.uint8_t)(unsafe.Pointer(&msg[0])), C.int(len(msg)))
	if r <= 0 {
		return fmt.Errorf("spandsp: adsi_tx_put_message refused a message of %d bytes (%d)", len(msg), r)
	}
	return nil
}

// Alert queues the alerting tone (CAS / DT-AS).
func (t *Transmitter) Alert() { C.spd_tx_alert(t.st) }

// Generate writes the next samples into dst and returns how many it wrote:
// fewer than len(dst) when the transmitter has nothing more to send.
func (t *Transmitter) Generate(dst []int16) int {
	if len(dst) == 0 {
		return 0
	}
	return int(C.spd_tx(t.st, (*C.int16_t)(unsafe.Pointer(&dst[0])), C.int(len(dst))))
}

// Close frees the transmitter.
func (t *Transmitter) Close() {
	if t.st != nil {
		C.spd_tx_free(t.st)
		t.st = nil
	}
}
