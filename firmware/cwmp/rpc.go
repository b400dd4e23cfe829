package cwmp

import (
	"strconv"
	"time"
)

// EventStruct is one event of an Inform.
type EventStruct struct {
	EventCode  string `xml:"EventCode"`
	CommandKey string `xml:"CommandKey"`
}

// Inform opens every session (TR-069 A.3.3.1).
type Inform struct {
	DeviceID      DeviceID      `xml:"DeviceId"`
	Event         []EventStruct `xml:"Event>EventStruct"`
	MaxEnvelopes  uint32        `xml:"MaxEnvelopes"`
	CurrentTime   time.Time     `xml:"CurrentTime"`
	RetryCount    uint32        `xml:"RetryCount"`
	ParameterList []Value       `xml:"ParameterList>ParameterValueStruct"`
}

// InformResponse is the ACS's answer to Inform.
type InformResponse struct {
	MaxEnvelopes uint32 `xml:"MaxEnvelopes"`
}

// TransferFault is the outcome of a transfer: code 0 is success.
type TransferFault struct {
	FaultCode   int    `xml:"FaultCode"`
	FaultString string `xml:"FaultString"`
}

// TransferComplete reports the end of a Download (TR-069 A.3.3.2).
type TransferComplete struct {
	CommandKey   string        `xml:"CommandKey"`
	Fault        TransferFault `xml:"FaultStruct"`
	StartTime    time.Time     `xml:"StartTime"`
	CompleteTime time.Time     `xml:"CompleteTime"`
}

// TransferCompleteResponse acknowledges a TransferComplete.
type TransferCompleteResponse struct{}

// GetRPCMethods asks for the methods the other side supports.
type GetRPCMethods struct{}

// GetRPCMethodsResponse lists methods.
type GetRPCMethodsResponse struct {
	MethodList []string `xml:"MethodList>string"`
}

// GetParameterNames (TR-069 A.3.2.3).
type GetParameterNames struct {
	ParameterPath string `xml:"ParameterPath"`
	NextLevel     bool   `xml:"NextLevel"`
}

// GetParameterNamesResponse lists names.
type GetParameterNamesResponse struct {
	ParameterList []Info `xml:"ParameterList>ParameterInfoStruct"`
}

// GetParameterValues (TR-069 A.3.2.2).
type GetParameterValues struct {
	ParameterNames []string `xml:"ParameterNames>string"`
}

// GetParameterValuesResponse lists values.
type GetParameterValuesResponse struct {
	ParameterList []Value `xml:"ParameterList>ParameterValueStruct"`
}

// SetParameterValues (TR-069 A.3.2.1).
type SetParameterValues struct {
	ParameterList []Value `xml:"ParameterList>ParameterValueStruct"`
	ParameterKey  string  `xml:"ParameterKey"`
}

// SetParameterValuesResponse tells whether the change is in effect (0) or
// waits for a reboot (1).
type SetParameterValuesResponse struct {
	Status int `xml:"Status"`
}

// GetParameterAttributes (TR-069 A.3.2.5).
type GetParameterAttributes struct {
	ParameterNames []string `xml:"ParameterNames>string"`
}

// GetParameterAttributesResponse lists attributes.
type GetParameterAttributesResponse struct {
	ParameterList []Attr `xml:"ParameterList>ParameterAttributeStruct"`
}

// SetParameterAttributes (TR-069 A.3.2.4).
type SetParameterAttributes struct {
	ParameterList []SetAttr `xml:"ParameterList>SetParameterAttributesStruct"`
}

// SetParameterAttributesResponse is empty.
type SetParameterAttributesResponse struct{}

// AddObject (TR-069 A.3.2.6).
type AddObject struct {
	ObjectName   string `xml:"ObjectName"`
	ParameterKey string `xml:"ParameterKey"`
}

// AddObjectResponse names the new instance.
type AddObjectResponse struct {
	InstanceNumber uint32 `xml:"InstanceNumber"`
	Status         int    `xml:"Status"`
}

// DeleteObject (TR-069 A.3.2.7).
type DeleteObject struct {
	ObjectName   string `xml:"ObjectName"`
	ParameterKey string `xml:"ParameterKey"`
}

// DeleteObjectResponse tells the status.
type DeleteObjectResponse struct {
	Status int `xml:"Status"`
}

// Reboot (TR-069 A.3.2.9).
type Reboot struct {
	CommandKey string `xml:"CommandKey"`
}

// RebootResponse is empty.
type RebootResponse struct{}

// FactoryReset (TR-069 A.4.1.2).
type FactoryReset struct{}

// FactoryResetResponse is empty.
type FactoryResetResponse struct{}

// Download (TR-069 A.3.2.8).
type Download struct {
	CommandKey     string `xml:"CommandKey"`
	FileType       string `xml:"FileType"`
	URL            string `xml:"URL"`
	Username       string `xml:"Username"`
	Password       string `xml:"Password"`
	FileSize       uint32 `xml:"FileSize"`
	TargetFileName string `xml:"TargetFileName"`
	DelaySeconds   uint32 `xml:"DelaySeconds"`
	SuccessURL     string `xml:"SuccessURL"`
	FailureURL     string `xml:"FailureURL"`
}

// DownloadResponse: status 1 means the transfer runs after the session and
// a TransferComplete follows.
type DownloadResponse struct {
	Status       int       `xml:"Status"`
	StartTime    time.Time `xml:"StartTime"`
	CompleteTime time.Time `xml:"CompleteTime"`
}

// ScheduleInform (TR-069 A.4.1.1).
type ScheduleInform struct {
	DelaySeconds uint32 `xml:"DelaySeconds"`
	CommandKey   string `xml:"CommandKey"`
}

// ScheduleInformResponse is empty.
type ScheduleInformResponse struct{}

// Method implementations.
func (*Inform) Method() string                         { return "Inform" }
func (*InformResponse) Method() string                 { return "InformResponse" }
func (*TransferComplete) Method() string               { return "TransferComplete" }
func (*TransferCompleteResponse) Method() string       { return "TransferCompleteResponse" }
func (*GetRPCMethods) Method() string                  { return "GetRPCMethods" }
func (*GetRPCMethodsResponse) Method() string          { return "GetRPCMethodsResponse" }
func (*GetParameterNames) Method() string              { return "GetParameterNames" }
func (*GetParameterNamesResponse) Method() string      { return "GetParameterNamesResponse" }
func (*GetParameterValues) Method() string             { return "GetParameterValues" }
func (*GetParameterValuesResponse) Method() string     { return "GetParameterValuesResponse" }
func (*SetParameterValues) Method() string             { return "SetParameterValues" }
func (*SetParameterValuesResponse) Method() string     { return "SetParameterValuesResponse" }
func (*GetParameterAttributes) Method() string         { return "GetParameterAttributes" }
func (*GetParameterAttributesResponse) Method() string { return "GetParameterAttributesResponse" }
func (*SetParameterAttributes) Method() string         { return "SetParameterAttributes" }
func (*SetParameterAttributesResponse) Method() string { return "SetParameterAttributesResponse" }
func (*AddObject) Method() string                      { return "AddObject" }
func (*AddObjectResponse) Method() string              { return "AddObjectResponse" }
func (*DeleteObject) Method() string                   { return "DeleteObject" }
func (*DeleteObjectResponse) Method() string           { return "DeleteObjectResponse" }
func (*Reboot) Method() string                         { return "Reboot" }
func (*RebootResponse) Method() string                 { return "RebootResponse" }
func (*FactoryReset) Method() string                   { return "FactoryReset" }
func (*FactoryResetResponse) Method() string           { return "FactoryResetResponse" }
func (*Download) Method() string                       { return "Download" }
func (*DownloadResponse) Method() string               { return "DownloadResponse" }
func (*ScheduleInform) Method() string                 { return "ScheduleInform" }
func (*ScheduleInformResponse) Method() string         { return "ScheduleInformResponse" }

func empty(w *writer, m Message) { w.raw("<cwmp:" + m.Method() + "/>") }

func (m *Inform) encode(w *writer) {
	w.open("Inform")
	w.raw("<DeviceId>")
	w.elem("Manufacturer", m.DeviceID.Manufacturer)
	w.elem("OUI", m.DeviceID.OUI)
	w.elem("ProductClass", m.DeviceID.ProductClass)
	w.elem("SerialNumber", m.DeviceID.SerialNumber)
	w.raw("</DeviceId>")
	w.array("Event", "cwmp:EventStruct", len(m.Event), func(i int) {
		w.raw("<EventStruct>")
		w.elem("EventCode", m.Event[i].EventCode)
		w.elem("CommandKey", m.Event[i].CommandKey)
		w.raw("</EventStruct>")
	})
	w.uint("MaxEnvelopes", m.MaxEnvelopes)
	w.time("CurrentTime", m.CurrentTime)
	w.uint("RetryCount", m.RetryCount)
	w.values("ParameterList", m.ParameterList)
	w.close("Inform")
}

func (m *InformResponse) encode(w *writer) {
	w.open("InformResponse")
	w.uint("MaxEnvelopes", m.MaxEnvelopes)
	w.close("InformResponse")
}

func (m *TransferComplete) encode(w *writer) {
	w.open("TransferComplete")
	w.elem("CommandKey", m.CommandKey)
	w.raw("<FaultStruct>")
	w.elem("FaultCode", strconv.Itoa(m.Fault.FaultCode))
	w.elem("FaultString", m.Fault.FaultString)
	w.raw("</FaultStruct>")
	w.time("StartTime", m.StartTime)
	w.time("CompleteTime", m.CompleteTime)
	w.close("TransferComplete")
}

func (m *TransferCompleteResponse) encode(w *writer) { empty(w, m) }
func (m *GetRPCMethods) encode(w *writer)            { empty(w, m) }

func (m *GetRPCMethodsResponse) encode(w *writer) {
	w.open(m.Method())
	w.strings("MethodList", m.MethodList)
	w.close(m.Method())
}

func (m *GetParameterNames) encode(w *writer) {
	w.open(m.Method())
	w.elem("ParameterPath", m.ParameterPath)
	w.boolean("NextLevel", m.NextLevel)
	w.close(m.Method())
}

func (m *GetParameterNamesResponse) encode(w *writer) {
	w.open(m.Method())
	w.array("ParameterList", "cwmp:ParameterInfoStruct", len(m.ParameterList), func(i int) {
		w.raw("<ParameterInfoStruct>")
		w.elem("Name", m.ParameterList[i].Name)
		w.boolean("Writable", m.ParameterList[i].Writable)
		w.raw("</ParameterInfoStruct>")
	})
	w.close(m.Method())
}

func (m *GetParameterValues) encode(w *writer) {
	w.open(m.Method())
	w.strings("ParameterNames", m.ParameterNames)
	w.close(m.Method())
}

func (m *GetParameterValuesResponse) encode(w *writer) {
	w.open(m.Method())
	w.values("ParameterList", m.ParameterList)
	w.close(m.Method())
}

func (m *SetParameterValues) encode(w *writer) {
	w.open(m.Method())
	w.values("ParameterList", m.ParameterList)
	w.elem("ParameterKey", m.ParameterKey)
	w.close(m.Method())
}

func (m *SetParameterValuesResponse) encode(w *writer) {
	w.open(m.Method())
	w.elem("Status", strconv.Itoa(m.Status))
	w.close(m.Method())
}

func (m *GetParameterAttributes) encode(w *writer) {
	w.open(m.Method())
	w.strings("ParameterNames", m.ParameterNames)
	w.close(m.Method())
}

func (m *GetParameterAttributesResponse) encode(w *writer) {
	w.open(m.Method())
	w.array("ParameterList", "cwmp:ParameterAttributeStruct", len(m.ParameterList), func(i int) {
		a := m.ParameterList[i]
		w.raw("<ParameterAttributeStruct>")
		w.elem("Name", a.Name)
		w.elem("Notification", strconv.Itoa(a.Notification))
		w.strings("AccessList", a.AccessList)
		w.raw("</ParameterAttributeStruct>")
	})
	w.close(m.Method())
}

func (m *SetParameterAttributes) encode(w *writer) {
	w.open(m.Method())
	w.array("ParameterList", "cwmp:SetParameterAttributesStruct", len(m.ParameterList), func(i int) {
		a := m.ParameterList[i]
		w.raw("<SetParameterAttributesStruct>")
		w.elem("Name", a.Name)
		w.boolean("NotificationChange", a.NotificationChange)
		w.elem("Notification", strconv.Itoa(a.Notification))
		w.boolean("AccessListChange", a.AccessListChange)
		w.strings("AccessList", a.AccessList)
		w.raw("</SetParameterAttributesStruct>")
	})
	w.close(m.Method())
}

func (m *SetParameterAttributesResponse) encode(w *writer) { empty(w, m) }

func (m *AddObject) encode(w *writer) {
	w.open(m.Method())
	w.elem("ObjectName", m.ObjectName)
	w.elem("ParameterKey", m.ParameterKey)
	w.close(m.Method())
}

func (m *AddObjectResponse) encode(w *writer) {
	w.open(m.Method())
	w.uint("InstanceNumber", m.InstanceNumber)
	w.elem("Status", strconv.Itoa(m.Status))
	w.close(m.Method())
}

func (m *DeleteObject) encode(w *writer) {
	w.open(m.Method())
	w.elem("ObjectName", m.ObjectName)
	w.elem("ParameterKey", m.ParameterKey)
	w.close(m.Method())
}

func (m *DeleteObjectResponse) encode(w *writer) {
	w.open(m.Method())
	w.elem("Status", strconv.Itoa(m.Status))
	w.close(m.Method())
}

func (m *Reboot) encode(w *writer) {
	w.open(m.Method())
	w.elem("CommandKey", m.CommandKey)
	w.close(m.Method())
}

func (m *RebootResponse) encode(w *writer)       { empty(w, m) }
func (m *FactoryReset) encode(w *writer)         { empty(w, m) }
func (m *FactoryResetResponse) encode(w *writer) { empty(w, m) }

func (m *Download) encode(w *writer) {
	w.open(m.Method())
	w.elem("CommandKey", m.CommandKey)
	w.elem("FileType", m.FileType)
	w.elem("URL", m.URL)
	w.elem("Username", m.Username)
	w.elem("Password", m.Password)
	w.uint("FileSize", m.FileSize)
	w.elem("TargetFileName", m.TargetFileName)
	w.uint("DelaySeconds", m.DelaySeconds)
	w.elem("SuccessURL", m.SuccessURL)
	w.elem("FailureURL", m.FailureURL)
	w.close(m.Method())
}

func (m *DownloadResponse) encode(w *writer) {
	w.open(m.Method())
	w.elem("Status", strconv.Itoa(m.Status))
	w.time("StartTime", m.StartTime)
	w.time("CompleteTime", m.CompleteTime)
	w.close(m.Method())
}

func (m *ScheduleInform) encode(w *writer) {
	w.open(m.Method())
	w.uint("DelaySeconds", m.DelaySeconds)
	w.elem("CommandKey", m.CommandKey)
	w.close(m.Method())
}

func (m *ScheduleInformResponse) encode(w *writer) { empty(w, m) }
