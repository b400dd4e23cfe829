// Package acs is a scriptable TR-069 Auto-Configuration Server for tests,
// written from the CWMP specification (TR-069 Annex A) and sharing no type
// with the box's client: it has its own XML structures and its own
// envelope writer, so that a mistake in firmware/cwmp's codec cannot hide
// behind the same mistake here.
//
// A Server is an http.Handler. Every session starts with the CPE's Inform;
// the ACS answers InformResponse, acknowledges TransferCompletes, and after
// the CPE's empty POST sends the RPCs queued with Queue or returned by
// OnInform, one per HTTP exchange, recording each reply; it ends the session
// with HTTP 204. Finished sessions are delivered on Sessions(). The ACS
// also serves files for Download (Serve) and can demand basic or digest
// authentication.
//
// Check validates an envelope against the Broadband Forum schemas with
// xmllint (carried under testdata/xsd, with stand-ins for the two SOAP
// schemas).
//
// Methods of Server may be called from any goroutine.
package acs

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// The namespaces the ACS writes and reads.
const (
	soapEnv = "http://schemas.xmlsoap.org/soap/envelope/"
	soapEnc = "http://schemas.xmlsoap.org/soap/encoding/"
	CWMP10  = "urn:dslforum-org:cwmp-1-0"
	CWMP11  = "urn:dslforum-org:cwmp-1-1"
	CWMP12  = "urn:dslforum-org:cwmp-1-2"
)

// Param is a parameter name, its xsi:type and its value.
type Param struct {
	Name  string
	Type  string // "xsd:string" when empty
	Value string
}

// Inform is what the CPE said when it opened a session.
type Inform struct {
	NS           string // namespace of the CPE's envelope
	Manufacturer string
	OUI          string
	ProductClass string
	SerialNumber string
	Events       []Event
	MaxEnvelopes int
	CurrentTime  time.Time
	RetryCount   int
	Params       []Param
}

// Event is one EventStruct.
type Event struct{ Code, CommandKey string }

// Has reports whether the Inform carries the event code.
func (i *Inform) Has(code string) bool {
	for _, e := range i.Events {
		if e.Code == code {
			return true
		}
	}
	return false
}

// Param returns the value of a parameter of the Inform ("" when absent).
func (i *Inform) Param(name string) string {
	for _, p := range i.Params {
		if p.Name == name {
			return p.Value
		}
	}
	return ""
}

// Transfer is a TransferComplete.
type Transfer struct {
	CommandKey   string
	FaultCode    int
	FaultString  string
	StartTime    time.Time
	CompleteTime time.Time
}

// Fault is a CWMP fault the CPE answered with.
type Fault struct {
	Code   int
	String string
	Params []ParamFault // SetParameterValuesFault
}

// ParamFault is one SetParameterValuesFault.
type ParamFault struct {
	Name   string
	Code   int
	String string
}

// Reply is the CPE's answer to one RPC.
type Reply struct {
	Method   string // e.g. "SetParameterValuesResponse", "Fault"
	Fault    *Fault
	Values   []Param
	Names    []NameInfo
	Attrs    []Attr
	Methods  []string
	Status   int
	Instance int
}

// NameInfo is one ParameterInfoStruct.
type NameInfo struct {
	Name     string
	Writable bool
}

// Attr is one ParameterAttributeStruct.
type Attr struct {
	Name         string
	Notification int
}

// Call is an RPC and the CPE's reply.
type Call struct {
	RPC   RPC
	Reply Reply
}

// Session is one finished session.
type Session struct {
	Inform    Inform
	Transfers []Transfer
	Calls     []Call
	Envelopes [][]byte // every envelope the CPE sent, in order
	Errors    []string // protocol errors the ACS saw
	Start     time.Time
	End       time.Time
}

// Server is the ACS.
type Server struct {
	// Auth is "", "basic" or "digest"; Username and Password are the
	// credentials the CPE must present.
	Auth               string
	Username, Password string
	// NS is the namespace the ACS answers in (default: the CPE's).
	NS string
	// OnInform, when set, returns RPCs to send in the session it opens,
	// after the ones queued with Queue.
	OnInform func(*Inform) []RPC
	// Down makes the ACS answer every request with HTTP 503 (unreachable).
	Down bool
	// Hold sets the HoldRequests header to true in every envelope: the
	// CPE must not send its own requests (TransferComplete).
	Hold bool

	mu       sync.Mutex
	queue    []RPC
	open     map[string]*live
	done     chan *Session
	files    map[string][]byte
	attempts []time.Time
	nonce    string
}

type live struct {
	s       *Session
	pending []RPC
	sent    RPC
}

// New returns an ACS.
func New() *Server {
	return &Server{open: map[string]*live{}, done: make(chan *Session, 64), files: map[string][]byte{}, nonce: randHex(16)}
}

// Queue adds RPCs for the next session.
func (a *Server) Queue(rpcs ...RPC) {
	a.mu.Lock()
	a.queue = append(a.queue, rpcs...)
	a.mu.Unlock()
}

// SetHold switches the HoldRequests header on or off.
func (a *Server) SetHold(hold bool) {
	a.mu.Lock()
	a.Hold = hold
	a.mu.Unlock()
}

// SetDown switches the ACS between unreachable (503) and working.
func (a *Server) SetDown(down bool) {
	a.mu.Lock()
	a.Down = down
	a.mu.Unlock()
}

// Attempts returns when each session attempt (a POST without a session
// cookie) arrived.
func (a *Server) Attempts() []time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]time.Time(nil), a.attempts...)
}

// Sessions delivers every finished session.
func (a *Server) Sessions() <-chan *Session { return a.done }

// Next waits for the next finished session.
func (a *Server) Next(ctx context.Context) (*Session, error) {
	select {
	case s := <-a.done:
		return s, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("acs: no session: %w", ctx.Err())
	}
}

// Serve publishes data at /files/name (for Download); it returns the path.
func (a *Server) Serve(name string, data []byte) string {
	a.mu.Lock()
	a.files[name] = data
	a.mu.Unlock()
	return "/files/" + name
}

// Transport returns an in-memory HTTP transport that hands requests to
// the ACS without a socket (for tests in virtual time).
func (a *Server) Transport() http.RoundTripper {
	return roundTripper(func(r *http.Request) (*http.Response, error) {
		rec := httptest.NewRecorder()
		a.ServeHTTP(rec, r)
		return rec.Result(), nil
	})
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func randHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

const cookieName = "acs-session"

// ServeHTTP implements http.Handler.
func (a *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if name, ok := strings.CutPrefix(r.URL.Path, "/files/"); ok && r.Method == http.MethodGet {
		a.mu.Lock()
		data, ok := a.files[name]
		a.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(data)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	cookie, _ := r.Cookie(cookieName)
	if cookie == nil {
		a.attempts = append(a.attempts, time.Now())
	}
	if a.Down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if !a.authorized(w, r) {
		return
	}
	var l *live
	if cookie != nil {
		l = a.open[cookie.Value]
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if l == nil {
			http.Error(w, "empty POST outside a session", http.StatusBadRequest)
			return
		}
		a.next(w, l, cookie.Value)
		return
	}
	env, err := parse(body)
	if err != nil {
		if l != nil {
			l.s.Errors = append(l.s.Errors, err.Error())
		}
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if env.method == "Inform" {
		inf, err := env.inform()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		id := randHex(8)
		l = &live{s: &Session{Inform: inf, Start: time.Now(), Envelopes: [][]byte{body}}}
		l.pending = append(l.pending, a.queue...)
		a.queue = nil
		if a.OnInform != nil {
			l.pending = append(l.pending, a.OnInform(&l.s.Inform)...)
		}
		a.open[id] = l
		http.SetCookie(w, &http.Cookie{Name: cookieName, Value: id, Path: "/"})
		a.write(w, l, env.id, "<cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse>")
		return
	}
	if l == nil {
		http.Error(w, "no session: Inform first", http.StatusBadRequest)
		return
	}
	l.s.Envelopes = append(l.s.Envelopes, body)
	switch env.method {
	case "TransferComplete":
		tc, err := env.transfer()
		if err != nil {
			l.s.Errors = append(l.s.Errors, err.Error())
		}
		l.s.Transfers = append(l.s.Transfers, tc)
		a.write(w, l, env.id, "<cwmp:TransferCompleteResponse/>")
	default:
		if l.sent == nil {
			l.s.Errors = append(l.s.Errors, "unexpected "+env.method)
			a.next(w, l, cookie.Value)
			return
		}
		rep, err := env.reply()
		if err != nil {
			l.s.Errors = append(l.s.Errors, err.Error())
		}
		l.s.Calls = append(l.s.Calls, Call{RPC: l.sent, Reply: rep})
		l.sent = nil
		a.next(w, l, cookie.Value)
	}
}

// next sends the next RPC of the session or ends it with 204.
func (a *Server) next(w http.ResponseWriter, l *live, id string) {
	if len(l.pending) == 0 {
		delete(a.open, id)
		l.s.End = time.Now()
		select {
		case a.done <- l.s:
		default:
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	rpc := l.pending[0]
	l.pending = l.pending[1:]
	l.sent = rpc
	a.write(w, l, randHex(4), rpc.body())
}

func (a *Server) write(w http.ResponseWriter, l *live, id, body string) {
	ns := a.NS
	if ns == "" {
		ns = l.s.Inform.NS
	}
	hold := ""
	if a.Hold {
		hold = `<cwmp:HoldRequests SOAP-ENV:mustUnderstand="1">1</cwmp:HoldRequests>`
	}
	w.Header().Set("Content-Type", `text/xml; charset="utf-8"`)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<SOAP-ENV:Envelope xmlns:SOAP-ENV="%s" xmlns:SOAP-ENC="%s" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="%s">
<SOAP-ENV:Header><cwmp:ID SOAP-ENV:mustUnderstand="1">%s</cwmp:ID>%s</SOAP-ENV:Header>
<SOAP-ENV:Body>%s</SOAP-ENV:Body></SOAP-ENV:Envelope>
`, soapEnv, soapEnc, ns, esc(id), hold, body)
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// authorized checks the CPE's credentials; on failure it has answered 401.
func (a *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	switch a.Auth {
	case "basic":
		u, p, ok := r.BasicAuth()
		if ok && u == a.Username && p == a.Password {
			return true
		}
		w.Header().Set("WWW-Authenticate", `Basic realm="acs"`)
	case "digest":
		if a.digestOK(r) {
			return true
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="acs", qop="auth", nonce="%s", opaque="x"`, a.nonce))
	default:
		return true
	}
	http.Error(w, "authentication required", http.StatusUnauthorized)
	return false
}

func hexMD5(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

func (a *Server) digestOK(r *http.Request) bool {
	h, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Digest ")
	if !ok {
		return false
	}
	f := map[string]string{}
	for _, part := range strings.Split(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		f[k] = strings.Trim(v, `"`)
	}
	if f["username"] != a.Username || f["nonce"] != a.nonce {
		return false
	}
	ha1 := hexMD5(a.Username + ":acs:" + a.Password)
	ha2 := hexMD5(r.Method + ":" + f["uri"])
	want := hexMD5(ha1 + ":" + f["nonce"] + ":" + f["nc"] + ":" + f["cnonce"] + ":" + f["qop"] + ":" + ha2)
	return f["response"] == want
}

// --- parsing what the CPE sends ---

type rawEnvelope struct {
	XMLName xml.Name
	Header  struct {
		ID []struct {
			XMLName xml.Name
			Value   string `xml:",chardata"`
		} `xml:",any"`
	} `xml:"Header"`
	Body struct {
		Items []struct {
			XMLName xml.Name
			Inner   []byte `xml:",innerxml"`
		} `xml:",any"`
	} `xml:"Body"`
}

type parsed struct {
	ns, id, method string
	inner          []byte
}

var errEnvelope = errors.New("acs: bad envelope")

func parse(b []byte) (*parsed, error) {
	var e rawEnvelope
	if err := xml.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("%w: %w", errEnvelope, err)
	}
	if e.XMLName.Space != soapEnv || e.XMLName.Local != "Envelope" {
		return nil, fmt.Errorf("%w: root %v", errEnvelope, e.XMLName)
	}
	if len(e.Body.Items) != 1 {
		return nil, fmt.Errorf("%w: %d body elements", errEnvelope, len(e.Body.Items))
	}
	p := &parsed{method: e.Body.Items[0].XMLName.Local, ns: e.Body.Items[0].XMLName.Space, inner: e.Body.Items[0].Inner}
	for _, h := range e.Header.ID {
		if h.XMLName.Local == "ID" {
			p.id = h.Value
		}
	}
	if p.method == "Fault" && p.ns == soapEnv {
		p.ns = ""
	}
	return p, nil
}

func (p *parsed) decode(v any) error {
	return xml.Unmarshal(append(append([]byte("<x>"), p.inner...), "</x>"...), v)
}

type xmlValue struct {
	Name  string `xml:"Name"`
	Value struct {
		Type string `xml:"type,attr"`
		Text string `xml:",chardata"`
	} `xml:"Value"`
}

func params(list []xmlValue) []Param {
	var out []Param
	for _, v := range list {
		out = append(out, Param{Name: v.Name, Type: v.Value.Type, Value: v.Value.Text})
	}
	return out
}

func (p *parsed) inform() (Inform, error) {
	var x struct {
		DeviceID struct {
			Manufacturer, OUI, ProductClass, SerialNumber string
		} `xml:"DeviceId"`
		Events []struct {
			Code string `xml:"EventCode"`
			Key  string `xml:"CommandKey"`
		} `xml:"Event>EventStruct"`
		MaxEnvelopes int        `xml:"MaxEnvelopes"`
		CurrentTime  string     `xml:"CurrentTime"`
		RetryCount   int        `xml:"RetryCount"`
		Params       []xmlValue `xml:"ParameterList>ParameterValueStruct"`
	}
	if err := p.decode(&x); err != nil {
		return Inform{}, fmt.Errorf("acs: Inform: %w", err)
	}
	inf := Inform{NS: p.ns, Manufacturer: x.DeviceID.Manufacturer, OUI: x.DeviceID.OUI, ProductClass: x.DeviceID.ProductClass,
		SerialNumber: x.DeviceID.SerialNumber, MaxEnvelopes: x.MaxEnvelopes, RetryCount: x.RetryCount, Params: params(x.Params)}
	for _, e := range x.Events {
		inf.Events = append(inf.Events, Event{Code: e.Code, CommandKey: e.Key})
	}
	t, err := time.Parse(time.RFC3339, x.CurrentTime)
	if err != nil {
		return inf, fmt.Errorf("acs: Inform CurrentTime: %w", err)
	}
	inf.CurrentTime = t
	return inf, nil
}

func (p *parsed) transfer() (Transfer, error) {
	var x struct {
		CommandKey string `xml:"CommandKey"`
		Fault      struct {
			Code   int    `xml:"FaultCode"`
			String string `xml:"FaultString"`
		} `xml:"FaultStruct"`
		StartTime    string `xml:"StartTime"`
		CompleteTime string `xml:"CompleteTime"`
	}
	if err := p.decode(&x); err != nil {
		return Transfer{}, fmt.Errorf("acs: TransferComplete: %w", err)
	}
	tc := Transfer{CommandKey: x.CommandKey, FaultCode: x.Fault.Code, FaultString: x.Fault.String}
	tc.StartTime, _ = time.Parse(time.RFC3339, x.StartTime)
	tc.CompleteTime, _ = time.Parse(time.RFC3339, x.CompleteTime)
	return tc, nil
}

func (p *parsed) reply() (Reply, error) {
	r := Reply{Method: p.method}
	if p.method == "Fault" {
		var x struct {
			Code   string `xml:"faultcode"`
			Detail struct {
				Fault struct {
					Code   int    `xml:"FaultCode"`
					String string `xml:"FaultString"`
					Params []struct {
						Name   string `xml:"ParameterName"`
						Code   int    `xml:"FaultCode"`
						String string `xml:"FaultString"`
					} `xml:"SetParameterValuesFault"`
				} `xml:"Fault"`
			} `xml:"detail"`
		}
		if err := p.decode(&x); err != nil {
			return r, fmt.Errorf("acs: Fault: %w", err)
		}
		f := &Fault{Code: x.Detail.Fault.Code, String: x.Detail.Fault.String}
		for _, pf := range x.Detail.Fault.Params {
			f.Params = append(f.Params, ParamFault{Name: pf.Name, Code: pf.Code, String: pf.String})
		}
		r.Fault = f
		return r, nil
	}
	var x struct {
		Values []xmlValue `xml:"ParameterList>ParameterValueStruct"`
		Names  []struct {
			Name     string `xml:"Name"`
			Writable string `xml:"Writable"`
		} `xml:"ParameterList>ParameterInfoStruct"`
		Attrs []struct {
			Name         string `xml:"Name"`
			Notification int    `xml:"Notification"`
		} `xml:"ParameterList>ParameterAttributeStruct"`
		Methods  []string `xml:"MethodList>string"`
		Status   int      `xml:"Status"`
		Instance int      `xml:"InstanceNumber"`
	}
	if err := p.decode(&x); err != nil {
		return r, fmt.Errorf("acs: %s: %w", p.method, err)
	}
	r.Values, r.Methods, r.Status, r.Instance = params(x.Values), x.Methods, x.Status, x.Instance
	for _, n := range x.Names {
		r.Names = append(r.Names, NameInfo{Name: n.Name, Writable: n.Writable == "1" || n.Writable == "true"})
	}
	for _, a := range x.Attrs {
		r.Attrs = append(r.Attrs, Attr{Name: a.Name, Notification: a.Notification})
	}
	return r, nil
}
