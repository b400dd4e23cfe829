package cwmp

import (
	"fmt"
	"strings"
	"time"
)

// Value is one parameter value as CWMP carries it: the full name, the XML
// Schema type ("xsd:string", "xsd:unsignedInt", "xsd:boolean",
// "xsd:dateTime", "xsd:int", "xsd:base64", ...) and the value in its
// lexical form.
type Value struct {
	Name  string
	Type  string
	Value string
}

// Info is one answer line of GetParameterNames: a parameter name, or an
// object name ending with ".", and whether the ACS may write it (for an
// object: whether it may add or delete instances).
type Info struct {
	Name     string `xml:"Name"`
	Writable bool   `xml:"Writable"`
}

// Notification values of a parameter attribute (TR-069 A.3.2.4).
const (
	NotifyOff     = 0
	NotifyPassive = 1
	NotifyActive  = 2
)

// Attr is the attribute set of one parameter.
type Attr struct {
	Name         string   `xml:"Name"`
	Notification int      `xml:"Notification"`
	AccessList   []string `xml:"AccessList>string"`
}

// SetAttr is one entry of SetParameterAttributes.
type SetAttr struct {
	Name               string   `xml:"Name"`
	NotificationChange bool     `xml:"NotificationChange"`
	Notification       int      `xml:"Notification"`
	AccessListChange   bool     `xml:"AccessListChange"`
	AccessList         []string `xml:"AccessList>string"`
}

// DeviceID names the box in every Inform.
type DeviceID struct {
	Manufacturer string `xml:"Manufacturer"`
	OUI          string `xml:"OUI"`
	ProductClass string `xml:"ProductClass"`
	SerialNumber string `xml:"SerialNumber"`
}

// CWMP fault codes the client and the data model use (TR-069 A.5.1).
const (
	FaultMethodNotSupported = 9000
	FaultRequestDenied      = 9001
	FaultInternal           = 9002
	FaultInvalidArguments   = 9003
	FaultResourcesExceeded  = 9004
	FaultInvalidName        = 9005
	FaultInvalidType        = 9006
	FaultInvalidValue       = 9007
	FaultNotWritable        = 9008
	FaultNotifyRejected     = 9009
	FaultDownload           = 9010
	FaultUnsupportedProto   = 9013
	FaultContactServer      = 9015
	FaultFileAccess         = 9016
	FaultIncomplete         = 9017
	FaultCorrupted          = 9018
	FaultAuthentication     = 9019
)

var faultStrings = map[int]string{
	9000: "Method not supported", 9001: "Request denied", 9002: "Internal error",
	9003: "Invalid arguments", 9004: "Resources exceeded", 9005: "Invalid parameter name",
	9006: "Invalid parameter type", 9007: "Invalid parameter value",
	9008: "Attempt to set a non-writable parameter", 9009: "Notification request rejected",
	9010: "Download failure", 9013: "Unsupported protocol for file transfer",
	9015: "File transfer failure: unable to contact file server",
	9016: "File transfer failure: unable to access file",
	9017: "File transfer failure: unable to complete download",
	9018: "File transfer failure: file corrupted",
	9019: "File transfer failure: file authentication failure",
}

// FaultText is the standard text of a CWMP fault code.
func FaultText(code int) string {
	if s, ok := faultStrings[code]; ok {
		return s
	}
	return "Fault"
}

// Fault is a CWMP fault: the model returns it from any method and the client
// answers the RPC with a SOAP fault that carries it.
type Fault struct {
	Code   int
	String string
}

func (f *Fault) Error() string {
	s := f.String
	if s == "" {
		s = FaultText(f.Code)
	}
	return fmt.Sprintf("cwmp: fault %d: %s", f.Code, s)
}

// ParamFault is the fault of one parameter of a SetParameterValues.
type ParamFault struct {
	Name   string
	Code   int
	String string
}

// SetFault is what Model.Set returns when it refused one or more
// parameters; nothing was changed. The client answers fault 9003 with one
// SetParameterValuesFault per entry.
type SetFault struct{ Faults []ParamFault }

func (f *SetFault) Error() string {
	var b strings.Builder
	b.WriteString("cwmp: parameters refused:")
	for _, p := range f.Faults {
		fmt.Fprintf(&b, " %s (%d)", p.Name, p.Code)
	}
	return b.String()
}

// Model is the parameter tree the ACS manages (firmware/cwmp/datamodel
// implements it). Every method may be called from any goroutine. Names are
// full paths ("Device.DeviceInfo.SerialNumber"); a path ending with "." is a
// partial path. Errors are *Fault, or *SetFault from Set.
type Model interface {
	DeviceID() DeviceID
	// Names answers GetParameterNames (TR-069 A.3.2.3): path "" is the
	// whole tree.
	Names(path string, nextLevel bool) ([]Info, error)
	// Values answers GetParameterValues; partial paths expand to every
	// parameter below.
	Values(names []string) ([]Value, error)
	// Set applies every value or none. On success the ParameterKey becomes
	// key in the same commit; status 0 means applied, 1 applied after a
	// reboot.
	Set(values []Value, key string) (status int, err error)
	Attributes(names []string) ([]Attr, error)
	SetAttributes(attrs []SetAttr) error
	AddObject(path, key string) (instance uint32, status int, err error)
	DeleteObject(path, key string) (status int, err error)
	// Inform returns the forced-inform parameters.
	Inform() []Value
	// Changes returns the parameters with passive or active notification
	// whose value differs from the one last acknowledged; active tells
	// whether one of them has active notification.
	Changes() (changed []Value, active bool)
	// Acknowledge records values the ACS has received.
	Acknowledge(reported []Value)
	// Notify receives when a parameter with active notification may have
	// changed.
	Notify() <-chan struct{}
}

// Runtime is what the client tells the model about itself.
type Runtime interface {
	ConnectionRequestURL() string
	LastInform() time.Time
}
