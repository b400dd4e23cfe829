package cwmp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"time"
)

var (
	errHTTP       = errors.New("cwmp: ACS answered")
	errAuth       = errors.New("cwmp: ACS refused our credentials")
	errNoInform   = errors.New("cwmp: ACS did not answer the Inform")
	errBadCACerts = errors.New("cwmp: no certificate in the CA set")
	errMalformed  = errors.New("cwmp: malformed envelope from the ACS")
)

// SupportedMethods are the RPCs the box serves (GetRPCMethodsResponse).
var SupportedMethods = []string{
	"GetRPCMethods", "SetParameterValues", "GetParameterValues", "GetParameterNames",
	"SetParameterAttributes", "GetParameterAttributes", "AddObject", "DeleteObject",
	"Reboot", "Download", "FactoryReset", "ScheduleInform",
}

// newTransport builds the HTTP transport of the sessions: certificates are
// checked against caPEM when set, else the system roots.
func newTransport(caPEM string) (*http.Transport, error) {
	tr := &http.Transport{
		Proxy:               nil,
		MaxIdleConnsPerHost: 1,
		IdleConnTimeout:     30 * time.Second,
		TLSHandshakeTimeout: 15 * time.Second,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if strings.TrimSpace(caPEM) != "" {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM([]byte(caPEM)) {
			return nil, errBadCACerts
		}
		tr.TLSClientConfig.RootCAs = pool
	}
	return tr, nil
}

// session is one CWMP session.
type session struct {
	c      *Client
	s      Settings
	http   *http.Client
	digest *digestClient
	basic  bool
	ns     string // negotiated namespace
	after  []func(ctx context.Context)
	reboot bool
}

func (c *Client) newSession(s Settings) (*session, error) {
	jar, _ := cookiejar.New(nil)
	rt := c.o.Transport
	if rt == nil {
		tr, err := c.transport(s.CACerts)
		if err != nil {
			return nil, err
		}
		rt = tr
	}
	return &session{
		c: c, s: s, ns: NS12,
		http:   &http.Client{Transport: rt, Jar: jar, Timeout: 60 * time.Second},
		digest: &digestClient{user: s.Username, pass: s.Password},
	}, nil
}

// post sends one envelope (nil: an empty POST) and returns the ACS's
// answer (nil when it answered 204 or an empty body).
func (s *session) post(ctx context.Context, env *Envelope) (*Envelope, error) {
	var body []byte
	if env != nil {
		body = env.Encode()
		if s.c.o.Sent != nil {
			s.c.o.Sent(body)
		}
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.s.URL, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("cwmp: %w", err)
		}
		if env != nil {
			req.Header.Set("Content-Type", `text/xml; charset="utf-8"`)
			req.Header.Set("SOAPAction", `"`+env.Body.Method()+`"`)
		}
		switch {
		case s.digest.chal != nil:
			s.digest.authorize(req)
		case s.basic:
			req.SetBasicAuth(s.s.Username, s.s.Password)
		}
		resp, err := s.http.Do(req)
		if err != nil {
			return nil, fmt.Errorf("cwmp: %w", err)
		}
		data, err := io.ReadAll(io.LimitReader(resp.Body, MaxEnvelope+1))
		resp.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("cwmp: %w", err)
		}
		if resp.StatusCode == http.StatusUnauthorized && attempt < 2 {
			h := resp.Header.Values("WWW-Authenticate")
			if s.s.Username == "" {
				return nil, errAuth
			}
			if s.challenge(h) {
				continue
			}
			return nil, errAuth
		}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusNoContent:
			return nil, nil
		case http.StatusUnauthorized:
			return nil, errAuth
		default:
			return nil, fmt.Errorf("%w: HTTP %d", errHTTP, resp.StatusCode)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return nil, nil
		}
		env, err := Decode(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("%w: %w", errMalformed, err)
		}
		return env, nil
	}
}

// challenge picks up a WWW-Authenticate challenge; it reports whether a
// retry may succeed.
func (s *session) challenge(headers []string) bool {
	for _, h := range headers {
		scheme, rest, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Digest") {
			p := parseAuth(rest)
			if s.digest.chal != nil && s.digest.chal["nonce"] == p["nonce"] && !strings.EqualFold(p["stale"], "true") {
				return false // same nonce refused: wrong password
			}
			s.digest.chal, s.digest.nc = p, 0
			return true
		}
	}
	for _, h := range headers {
		scheme, _, _ := strings.Cut(h, " ")
		if strings.EqualFold(scheme, "Basic") && !s.basic {
			s.basic = true
			return true
		}
	}
	return false
}

// run holds one session: Inform, TransferComplete, empty POST, then the
// ACS's requests until it answers 204.
func (s *session) run(ctx context.Context, retries int) error {
	c := s.c
	events := c.events.Pending()
	params := c.o.Model.Inform()
	changed, _ := c.o.Model.Changes()
	if len(changed) > 0 && !hasCode(events, EventValueChange) {
		events = append(events, EventStruct{EventCode: EventValueChange})
	}
	if len(events) > 64 { // the schema's EventList holds at most 64; the rest wait
		events = events[:64]
	}
	for _, v := range changed {
		if !containsName(params, v.Name) {
			params = append(params, v)
		}
	}
	inform := &Inform{
		DeviceID:      c.o.Model.DeviceID(),
		Event:         events,
		MaxEnvelopes:  1,
		CurrentTime:   c.now(),
		RetryCount:    uint32(retries),
		ParameterList: params,
	}
	ans, err := s.post(ctx, &Envelope{NS: s.ns, ID: randHex(4), Body: inform})
	if err != nil {
		return err
	}
	if ans == nil {
		return errNoInform
	}
	if _, ok := ans.Body.(*InformResponse); !ok {
		if f, ok := ans.Body.(*SOAPFault); ok {
			return fmt.Errorf("%w: fault %d %s", errNoInform, f.FaultCode, f.FaultString)
		}
		return fmt.Errorf("%w: got %s", errNoInform, ans.Body.Method())
	}
	s.ns = ans.NS // the ACS picks the version for the rest of the session
	if err := c.events.Informed(events, s.s.URL); err != nil {
		c.log.Error("cwmp: events", "err", err)
	}
	c.o.Model.Acknowledge(changed)
	c.informed(s.s.URL)

	if tc := c.events.Transfer(); tc != nil && !ans.HoldRequests {
		ans, err := s.post(ctx, &Envelope{NS: s.ns, ID: randHex(4), Body: tc})
		if err != nil {
			return err
		}
		if ans != nil {
			if _, ok := ans.Body.(*TransferCompleteResponse); ok {
				if err := c.events.TransferAcked(); err != nil {
					c.log.Error("cwmp: events", "err", err)
				}
			}
		}
	}
	// Our requests are done: the empty POST hands the turn to the ACS.
	var reply *Envelope
	bad := 0
	for {
		req, err := s.post(ctx, reply)
		if errors.Is(err, errMalformed) && bad < 8 {
			bad++
			// A request we cannot read is answered with a fault, and the
			// session goes on (TR-069 A.5: 9003 invalid arguments).
			c.log.Warn("cwmp: unreadable ACS request", "err", err)
			reply = &Envelope{NS: s.ns, Body: NewFault(&Fault{Code: FaultInvalidArguments, String: "malformed request"})}
			continue
		}
		if err != nil {
			return err
		}
		if req == nil {
			return nil // 204: the session is over
		}
		reply = &Envelope{NS: req.NS, ID: req.ID, Body: s.serve(ctx, req.Body)}
		if _, isFault := req.Body.(*SOAPFault); isFault {
			reply = nil
		}
	}
}

func hasCode(evs []EventStruct, code string) bool {
	for _, e := range evs {
		if e.EventCode == code {
			return true
		}
	}
	return false
}

func containsName(vs []Value, name string) bool {
	for _, v := range vs {
		if v.Name == name {
			return true
		}
	}
	return false
}

// serve answers one ACS request.
func (s *session) serve(ctx context.Context, m Message) Message {
	c := s.c
	mdl := c.o.Model
	c.log.Info("cwmp: ACS request", "method", m.Method())
	switch r := m.(type) {
	case *GetRPCMethods:
		return &GetRPCMethodsResponse{MethodList: SupportedMethods}
	case *GetParameterNames:
		list, err := mdl.Names(r.ParameterPath, r.NextLevel)
		if err != nil {
			return NewFault(err)
		}
		return &GetParameterNamesResponse{ParameterList: list}
	case *GetParameterValues:
		list, err := mdl.Values(r.ParameterNames)
		if err != nil {
			return NewFault(err)
		}
		return &GetParameterValuesResponse{ParameterList: list}
	case *SetParameterValues:
		if len(r.ParameterKey) > 32 {
			return NewFault(&Fault{Code: FaultInvalidArguments, String: "ParameterKey longer than 32 characters"})
		}
		seen := map[string]bool{}
		for _, v := range r.ParameterList {
			if seen[v.Name] { // A.3.2.1: the same name twice is invalid
				return NewFault(&Fault{Code: FaultInvalidArguments, String: "parameter " + v.Name + " given twice"})
			}
			seen[v.Name] = true
		}
		st, err := mdl.Set(r.ParameterList, r.ParameterKey)
		if err != nil {
			return NewFault(err)
		}
		return &SetParameterValuesResponse{Status: st}
	case *GetParameterAttributes:
		list, err := mdl.Attributes(r.ParameterNames)
		if err != nil {
			return NewFault(err)
		}
		return &GetParameterAttributesResponse{ParameterList: list}
	case *SetParameterAttributes:
		if err := mdl.SetAttributes(r.ParameterList); err != nil {
			return NewFault(err)
		}
		return &SetParameterAttributesResponse{}
	case *AddObject:
		n, st, err := mdl.AddObject(r.ObjectName, r.ParameterKey)
		if err != nil {
			return NewFault(err)
		}
		return &AddObjectResponse{InstanceNumber: n, Status: st}
	case *DeleteObject:
		st, err := mdl.DeleteObject(r.ObjectName, r.ParameterKey)
		if err != nil {
			return NewFault(err)
		}
		return &DeleteObjectResponse{Status: st}
	case *Reboot:
		if c.o.Reboot == nil {
			return NewFault(&Fault{Code: FaultMethodNotSupported})
		}
		if err := c.events.Add(EventMReboot, r.CommandKey); err != nil {
			return NewFault(&Fault{Code: FaultInternal, String: err.Error()})
		}
		s.reboot = true
		return &RebootResponse{}
	case *FactoryReset:
		if c.o.FactoryReset == nil {
			return NewFault(&Fault{Code: FaultMethodNotSupported})
		}
		s.after = append(s.after, func(ctx context.Context) {
			if err := c.events.Reset(); err != nil {
				c.log.Error("cwmp: events", "err", err)
			}
			if err := c.o.FactoryReset(ctx); err != nil {
				c.log.Error("cwmp: factory reset", "err", err)
			}
		})
		return &FactoryResetResponse{}
	case *ScheduleInform:
		if r.DelaySeconds == 0 {
			return NewFault(&Fault{Code: FaultInvalidArguments, String: "DelaySeconds must be greater than 0"})
		}
		c.schedule(time.Duration(r.DelaySeconds)*time.Second, r.CommandKey)
		return &ScheduleInformResponse{}
	case *Download:
		if f := c.acceptDownload(r); f != nil {
			return NewFault(f)
		}
		return &DownloadResponse{Status: 1}
	case *SOAPFault:
		c.log.Warn("cwmp: ACS sent a fault", "code", r.FaultCode, "string", r.FaultString)
		return nil
	}
	return NewFault(&Fault{Code: FaultMethodNotSupported, String: "method " + m.Method() + " not supported"})
}
