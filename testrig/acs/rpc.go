package acs

import (
	"fmt"
	"strings"
)

// RPC is a request the ACS sends to the CPE.
type RPC interface {
	Method() string
	body() string
}

type rpc struct {
	method string
	inner  string
}

func (r rpc) Method() string { return r.method }
func (r rpc) body() string {
	if r.inner == "" {
		return "<cwmp:" + r.method + "/>"
	}
	return "<cwmp:" + r.method + ">" + r.inner + "</cwmp:" + r.method + ">"
}

func stringArray(tag string, items []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `<%s SOAP-ENC:arrayType="xsd:string[%d]">`, tag, len(items))
	for _, s := range items {
		b.WriteString("<string>" + esc(s) + "</string>")
	}
	b.WriteString("</" + tag + ">")
	return b.String()
}

// GetRPCMethods asks for the CPE's methods.
func GetRPCMethods() RPC { return rpc{method: "GetRPCMethods"} }

// GetParameterValues asks for values (names may be partial paths).
func GetParameterValues(names ...string) RPC {
	return rpc{"GetParameterValues", stringArray("ParameterNames", names)}
}

// GetParameterNames asks for names below path.
func GetParameterNames(path string, nextLevel bool) RPC {
	nl := "0"
	if nextLevel {
		nl = "1"
	}
	return rpc{"GetParameterNames", "<ParameterPath>" + esc(path) + "</ParameterPath><NextLevel>" + nl + "</NextLevel>"}
}

// SetParameterValues sets values with a ParameterKey.
func SetParameterValues(key string, values ...Param) RPC {
	var b strings.Builder
	fmt.Fprintf(&b, `<ParameterList SOAP-ENC:arrayType="cwmp:ParameterValueStruct[%d]">`, len(values))
	for _, v := range values {
		t := v.Type
		if t == "" {
			t = "xsd:string"
		}
		fmt.Fprintf(&b, `<ParameterValueStruct><Name>%s</Name><Value xsi:type="%s">%s</Value></ParameterValueStruct>`, esc(v.Name), esc(t), esc(v.Value))
	}
	b.WriteString("</ParameterList><ParameterKey>" + esc(key) + "</ParameterKey>")
	return rpc{"SetParameterValues", b.String()}
}

// GetParameterAttributes asks for attributes.
func GetParameterAttributes(names ...string) RPC {
	return rpc{"GetParameterAttributes", stringArray("ParameterNames", names)}
}

// SetNotification sets the notification attribute of parameters.
func SetNotification(notification int, names ...string) RPC {
	var b strings.Builder
	fmt.Fprintf(&b, `<ParameterList SOAP-ENC:arrayType="cwmp:SetParameterAttributesStruct[%d]">`, len(names))
	for _, n := range names {
		fmt.Fprintf(&b, `<SetParameterAttributesStruct><Name>%s</Name><NotificationChange>1</NotificationChange><Notification>%d</Notification><AccessListChange>0</AccessListChange><AccessList SOAP-ENC:arrayType="xsd:string[0]"></AccessList></SetParameterAttributesStruct>`, esc(n), notification)
	}
	b.WriteString("</ParameterList>")
	return rpc{"SetParameterAttributes", b.String()}
}

// AddObject adds an instance of the object path ("….Line.").
func AddObject(path, key string) RPC {
	return rpc{"AddObject", "<ObjectName>" + esc(path) + "</ObjectName><ParameterKey>" + esc(key) + "</ParameterKey>"}
}

// DeleteObject deletes an instance ("….Line.2.").
func DeleteObject(path, key string) RPC {
	return rpc{"DeleteObject", "<ObjectName>" + esc(path) + "</ObjectName><ParameterKey>" + esc(key) + "</ParameterKey>"}
}

// Reboot asks the CPE to restart.
func Reboot(key string) RPC { return rpc{"Reboot", "<CommandKey>" + esc(key) + "</CommandKey>"} }

// FactoryReset asks the CPE to forget its configuration.
func FactoryReset() RPC { return rpc{method: "FactoryReset"} }

// ScheduleInform asks for a session delay seconds from now.
func ScheduleInform(delay int, key string) RPC {
	return rpc{"ScheduleInform", fmt.Sprintf("<DelaySeconds>%d</DelaySeconds><CommandKey>%s</CommandKey>", delay, esc(key))}
}

// Download asks the CPE to fetch a file ("1 Firmware Upgrade Image" or
// "3 Vendor Configuration File").
func Download(key, fileType, url string, size int) RPC {
	return rpc{"Download", fmt.Sprintf("<CommandKey>%s</CommandKey><FileType>%s</FileType><URL>%s</URL><Username></Username><Password></Password><FileSize>%d</FileSize><TargetFileName></TargetFileName><DelaySeconds>0</DelaySeconds><SuccessURL></SuccessURL><FailureURL></FailureURL>",
		esc(key), esc(fileType), esc(url), size)}
}

// Raw sends a body element as written (for malformed or unknown requests).
func Raw(method, inner string) RPC { return rpc{method, inner} }
