package cwmp

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// The namespaces of CWMP envelopes.
const (
	NSEnvelope = "http://schemas.xmlsoap.org/soap/envelope/"
	NSEncoding = "http://schemas.xmlsoap.org/soap/encoding/"
	NSXSD      = "http://www.w3.org/2001/XMLSchema"
	NSXSI      = "http://www.w3.org/2001/XMLSchema-instance"
	NS10       = "urn:dslforum-org:cwmp-1-0"
	NS11       = "urn:dslforum-org:cwmp-1-1"
	NS12       = "urn:dslforum-org:cwmp-1-2" // also protocol versions 1.3 and 1.4
)

// Namespaces lists the CWMP namespaces the codec understands, oldest first.
var Namespaces = []string{NS10, NS11, NS12}

var (
	errNotEnvelope = errors.New("cwmp: not a SOAP envelope")
	errNoBody      = errors.New("cwmp: SOAP envelope without a body message")
	errTooBig      = errors.New("cwmp: envelope too large")
)

// MaxEnvelope is the largest envelope Decode reads.
const MaxEnvelope = 1 << 20

// Envelope is one SOAP envelope of a CWMP session.
type Envelope struct {
	NS           string // CWMP namespace: one of Namespaces
	ID           string // cwmp:ID header ("" when absent)
	HoldRequests bool   // cwmp:HoldRequests header set to true
	Body         Message
}

// Message is the one element in a SOAP body: an RPC request, an RPC
// response or a *SOAPFault.
type Message interface {
	Method() string
	encode(w *writer)
}

// SOAPFault is a SOAP fault carrying a CWMP fault (TR-069 A.5).
type SOAPFault struct {
	Code        string // "Client" or "Server"
	String      string // "CWMP fault"
	FaultCode   int
	FaultString string
	Params      []ParamFault // SetParameterValuesFault entries
}

// Method implements Message.
func (*SOAPFault) Method() string { return "Fault" }

// NewFault builds the SOAP fault that answers a request with err: a *Fault,
// a *SetFault, or anything else (9002 internal error).
func NewFault(err error) *SOAPFault {
	var f *Fault
	var sf *SetFault
	switch {
	case errors.As(err, &sf):
		return &SOAPFault{Code: "Client", String: "CWMP fault", FaultCode: FaultInvalidArguments,
			FaultString: FaultText(FaultInvalidArguments), Params: sf.Faults}
	case errors.As(err, &f):
		s := f.String
		if s == "" {
			s = FaultText(f.Code)
		}
		code := "Client"
		if f.Code == FaultInternal || f.Code == FaultResourcesExceeded {
			code = "Server"
		}
		return &SOAPFault{Code: code, String: "CWMP fault", FaultCode: f.Code, FaultString: s}
	}
	return &SOAPFault{Code: "Server", String: "CWMP fault", FaultCode: FaultInternal, FaultString: FaultText(FaultInternal)}
}

// Unknown is a body message the codec does not know; the client answers it
// with fault 9000.
type Unknown struct{ Name string }

// Method implements Message.
func (u *Unknown) Method() string { return u.Name }

// messages maps the local name of a body element to a new message.
var messages = map[string]func() Message{
	"Inform": func() Message { return new(Inform) }, "InformResponse": func() Message { return new(InformResponse) },
	"TransferComplete": func() Message { return new(TransferComplete) }, "TransferCompleteResponse": func() Message { return new(TransferCompleteResponse) },
	"GetRPCMethods": func() Message { return new(GetRPCMethods) }, "GetRPCMethodsResponse": func() Message { return new(GetRPCMethodsResponse) },
	"GetParameterNames": func() Message { return new(GetParameterNames) }, "GetParameterNamesResponse": func() Message { return new(GetParameterNamesResponse) },
	"GetParameterValues": func() Message { return new(GetParameterValues) }, "GetParameterValuesResponse": func() Message { return new(GetParameterValuesResponse) },
	"SetParameterValues": func() Message { return new(SetParameterValues) }, "SetParameterValuesResponse": func() Message { return new(SetParameterValuesResponse) },
	"GetParameterAttributes": func() Message { return new(GetParameterAttributes) }, "GetParameterAttributesResponse": func() Message { return new(GetParameterAttributesResponse) },
	"SetParameterAttributes": func() Message { return new(SetParameterAttributes) }, "SetParameterAttributesResponse": func() Message { return new(SetParameterAttributesResponse) },
	"AddObject": func() Message { return new(AddObject) }, "AddObjectResponse": func() Message { return new(AddObjectResponse) },
	"DeleteObject": func() Message { return new(DeleteObject) }, "DeleteObjectResponse": func() Message { return new(DeleteObjectResponse) },
	"Reboot": func() Message { return new(Reboot) }, "RebootResponse": func() Message { return new(RebootResponse) },
	"FactoryReset": func() Message { return new(FactoryReset) }, "FactoryResetResponse": func() Message { return new(FactoryResetResponse) },
	"Download": func() Message { return new(Download) }, "DownloadResponse": func() Message { return new(DownloadResponse) },
	"ScheduleInform": func() Message { return new(ScheduleInform) }, "ScheduleInformResponse": func() Message { return new(ScheduleInformResponse) },
}

func isCWMP(ns string) bool { return ns == NS10 || ns == NS11 || ns == NS12 }

// Decode reads one envelope. Prefixes are free; the SOAP envelope namespace
// is required; the CWMP namespace is the first one met (cwmp-1-0 when the
// envelope names none).
func Decode(r io.Reader) (*Envelope, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxEnvelope+1))
	if err != nil {
		return nil, fmt.Errorf("cwmp: reading envelope: %w", err)
	}
	if len(data) > MaxEnvelope {
		return nil, errTooBig
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	env := &Envelope{}
	seen := func(ns string) {
		if env.NS == "" && isCWMP(ns) {
			env.NS = ns
		}
	}
	root, err := nextStart(d)
	if err != nil {
		return nil, err
	}
	if root.Name.Local != "Envelope" || root.Name.Space != NSEnvelope {
		return nil, fmt.Errorf("%w: root element %s", errNotEnvelope, root.Name.Local)
	}
	for {
		t, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("cwmp: %w", err)
		}
		se, ok := t.(xml.StartElement)
		if !ok {
			if _, end := t.(xml.EndElement); end {
				if env.Body == nil {
					return nil, errNoBody
				}
				if env.NS == "" {
					env.NS = NS10
				}
				return env, nil
			}
			continue
		}
		switch {
		case se.Name.Local == "Header" && se.Name.Space == NSEnvelope:
			if err := decodeHeader(d, env, seen); err != nil {
				return nil, err
			}
		case se.Name.Local == "Body" && se.Name.Space == NSEnvelope:
			if err := decodeBody(d, env, seen); err != nil {
				return nil, err
			}
		default:
			if err := d.Skip(); err != nil {
				return nil, fmt.Errorf("cwmp: %w", err)
			}
		}
	}
}

func nextStart(d *xml.Decoder) (xml.StartElement, error) {
	for {
		t, err := d.Token()
		if err != nil {
			if err == io.EOF {
				return xml.StartElement{}, errNotEnvelope
			}
			return xml.StartElement{}, fmt.Errorf("%w: %w", errNotEnvelope, err)
		}
		if se, ok := t.(xml.StartElement); ok {
			return se, nil
		}
	}
}

func decodeHeader(d *xml.Decoder, env *Envelope, seen func(string)) error {
	for {
		t, err := d.Token()
		if err != nil {
			return fmt.Errorf("cwmp: header: %w", err)
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			var s string
			if err := d.DecodeElement(&s, &t); err != nil {
				return fmt.Errorf("cwmp: header %s: %w", t.Name.Local, err)
			}
			switch t.Name.Local {
			case "ID":
				seen(t.Name.Space)
				env.ID = s
			case "HoldRequests":
				seen(t.Name.Space)
				b, err := strconv.ParseBool(strings.TrimSpace(s))
				if err != nil {
					return fmt.Errorf("cwmp: HoldRequests %q: %w", s, err)
				}
				env.HoldRequests = b
			}
		}
	}
}

type wireFault struct {
	Code   string `xml:"faultcode"`
	String string `xml:"faultstring"`
	Detail struct {
		Fault struct {
			XMLName xml.Name
			Code    int    `xml:"FaultCode"`
			String  string `xml:"FaultString"`
			Params  []struct {
				Name   string `xml:"ParameterName"`
				Code   int    `xml:"FaultCode"`
				String string `xml:"FaultString"`
			} `xml:"SetParameterValuesFault"`
		} `xml:"Fault"`
	} `xml:"detail"`
}

func decodeBody(d *xml.Decoder, env *Envelope, seen func(string)) error {
	for {
		t, err := d.Token()
		if err != nil {
			return fmt.Errorf("cwmp: body: %w", err)
		}
		switch t := t.(type) {
		case xml.EndElement:
			return nil
		case xml.StartElement:
			if env.Body != nil { // one message per body; ignore the rest
				if err := d.Skip(); err != nil {
					return fmt.Errorf("cwmp: body: %w", err)
				}
				continue
			}
			if t.Name.Local == "Fault" && t.Name.Space == NSEnvelope {
				var wf wireFault
				if err := d.DecodeElement(&wf, &t); err != nil {
					return fmt.Errorf("cwmp: fault: %w", err)
				}
				seen(wf.Detail.Fault.XMLName.Space)
				f := &SOAPFault{Code: wf.Code, String: wf.String, FaultCode: wf.Detail.Fault.Code, FaultString: wf.Detail.Fault.String}
				for _, p := range wf.Detail.Fault.Params {
					f.Params = append(f.Params, ParamFault{Name: p.Name, Code: p.Code, String: p.String})
				}
				env.Body = f
				continue
			}
			seen(t.Name.Space)
			mk, ok := messages[t.Name.Local]
			if !ok {
				env.Body = &Unknown{Name: t.Name.Local}
				if err := d.Skip(); err != nil {
					return fmt.Errorf("cwmp: body: %w", err)
				}
				continue
			}
			m := mk()
			if err := d.DecodeElement(m, &t); err != nil {
				return fmt.Errorf("cwmp: %s: %w", t.Name.Local, err)
			}
			env.Body = m
		}
	}
}

// Encode writes env with the prefixes soap-env, soap-enc, xsd, xsi and cwmp.
func (env *Envelope) Encode() []byte {
	ns := env.NS
	if !isCWMP(ns) {
		ns = NS10
	}
	w := &writer{}
	w.raw(`<?xml version="1.0" encoding="UTF-8"?>` + "\n")
	w.raw(`<soap-env:Envelope xmlns:soap-env="` + NSEnvelope + `" xmlns:soap-enc="` + NSEncoding +
		`" xmlns:xsd="` + NSXSD + `" xmlns:xsi="` + NSXSI + `" xmlns:cwmp="` + ns + `">`)
	if env.ID != "" || env.HoldRequests {
		w.raw("<soap-env:Header>")
		if env.ID != "" {
			w.raw(`<cwmp:ID soap-env:mustUnderstand="1">`)
			w.text(env.ID)
			w.raw("</cwmp:ID>")
		}
		if env.HoldRequests {
			w.raw(`<cwmp:HoldRequests soap-env:mustUnderstand="1">1</cwmp:HoldRequests>`)
		}
		w.raw("</soap-env:Header>")
	}
	w.raw("<soap-env:Body>")
	if env.Body != nil {
		env.Body.encode(w)
	}
	w.raw("</soap-env:Body></soap-env:Envelope>\n")
	return w.b.Bytes()
}

func (f *SOAPFault) encode(w *writer) {
	w.raw("<soap-env:Fault>")
	w.elem("faultcode", f.Code)
	w.elem("faultstring", f.String)
	w.raw("<detail><cwmp:Fault>")
	w.elem("FaultCode", strconv.Itoa(f.FaultCode))
	w.elem("FaultString", f.FaultString)
	for _, p := range f.Params {
		w.raw("<SetParameterValuesFault>")
		w.elem("ParameterName", p.Name)
		w.elem("FaultCode", strconv.Itoa(p.Code))
		w.elem("FaultString", p.String)
		w.raw("</SetParameterValuesFault>")
	}
	w.raw("</cwmp:Fault></detail></soap-env:Fault>")
}

func (u *Unknown) encode(w *writer) { w.raw("<cwmp:" + u.Name + "/>") }

// writer builds an envelope.
type writer struct{ b bytes.Buffer }

func (w *writer) raw(s string) { w.b.WriteString(s) }

func (w *writer) text(s string) {
	// xml.EscapeText keeps newlines as they are; carriage returns and tabs
	// are escaped so that they survive a parser.
	_ = xml.EscapeText(&w.b, []byte(s))
}

func (w *writer) elem(name, value string) {
	w.raw("<" + name + ">")
	w.text(value)
	w.raw("</" + name + ">")
}

func (w *writer) boolean(name string, v bool) {
	if v {
		w.elem(name, "1")
	} else {
		w.elem(name, "0")
	}
}

func (w *writer) uint(name string, v uint32) { w.elem(name, strconv.FormatUint(uint64(v), 10)) }

func (w *writer) time(name string, t time.Time) { w.elem(name, FormatTime(t)) }

// FormatTime writes t as xsd:dateTime; the zero time is the spec's
// "unknown time" 0001-01-01T00:00:00Z.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return "0001-01-01T00:00:00Z"
	}
	return t.Format(time.RFC3339Nano)
}

func (w *writer) open(method string) { w.raw("<cwmp:" + method + ">") }

func (w *writer) close(method string) { w.raw("</cwmp:" + method + ">") }

func (w *writer) array(name, typ string, n int, item func(i int)) {
	w.raw("<" + name + ` soap-enc:arrayType="` + typ + "[" + strconv.Itoa(n) + `]">`)
	for i := range n {
		item(i)
	}
	w.raw("</" + name + ">")
}

func (w *writer) strings(name string, list []string) {
	w.array(name, "xsd:string", len(list), func(i int) { w.elem("string", list[i]) })
}

func (w *writer) values(name string, list []Value) {
	w.array(name, "cwmp:ParameterValueStruct", len(list), func(i int) {
		v := list[i]
		typ := v.Type
		if typ == "" {
			typ = "xsd:string"
		}
		w.raw("<ParameterValueStruct>")
		w.elem("Name", v.Name)
		w.raw(`<Value xsi:type="`)
		w.text(typ)
		w.raw(`">`)
		w.text(v.Value)
		w.raw("</Value></ParameterValueStruct>")
	})
}

// UnmarshalXML reads a ParameterValueStruct: the xsi:type attribute of
// Value becomes Type with the conventional "xsd:" prefix.
func (v *Value) UnmarshalXML(d *xml.Decoder, start xml.StartElement) error {
	var wire struct {
		Name  string `xml:"Name"`
		Value struct {
			Attrs []xml.Attr `xml:",any,attr"`
			Text  string     `xml:",chardata"`
		} `xml:"Value"`
	}
	if err := d.DecodeElement(&wire, &start); err != nil {
		return err
	}
	v.Name, v.Value, v.Type = wire.Name, wire.Value.Text, ""
	for _, a := range wire.Value.Attrs {
		if a.Name.Local == "type" && (a.Name.Space == NSXSI || a.Name.Space == "xsi") {
			t := a.Value
			if i := strings.LastIndexByte(t, ':'); i >= 0 {
				t = t[i+1:]
			}
			v.Type = "xsd:" + t
		}
	}
	if v.Type == "" || v.Type == "xsd:" {
		v.Type = "xsd:string"
	}
	return nil
}
