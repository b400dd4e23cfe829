package datamodel_test

import (
	"fmt"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/config/configtest"
	"github.com/openiad/openiad/firmware/cwmp"
	"github.com/openiad/openiad/firmware/cwmp/datamodel"
)

// An ACS gives port 1 a carrier account, locks its number, and reads it
// back; the web page can then tell which parameter locked the field.
func Example() {
	fsys := configtest.New()
	store, _ := config.Open(fsys, "config", config.Default(2), nil)
	m, _ := datamodel.New(datamodel.Options{Config: store, FS: fsys, Dir: "cwmp"})

	const vs = "Device.Services.VoiceService.1."
	inst, _, _ := m.AddObject(vs+"SIP.Client.", "")
	line := fmt.Sprintf("%sCallControl.Line.%d.", vs, inst)
	_, err := m.Set([]cwmp.Value{
		{Name: vs + "SIP.Network.1.RegistrarServer", Type: "xsd:string", Value: "ims.example.net"},
		{Name: line + "DirectoryNumber", Type: "xsd:string", Value: "8610001"},
		{Name: line + "Enable", Type: "xsd:boolean", Value: "true"},
		{Name: "Device." + m.VendorPrefix() + "LockedParameters", Type: "xsd:string", Value: line + "DirectoryNumber"},
	}, "provision-1")
	fmt.Println("set:", err)

	vals, _ := m.Values([]string{vs + "SIP.Client.1.RegisterURI", "Device.ManagementServer.ParameterKey"})
	for _, v := range vals {
		fmt.Println(v.Name, v.Type, v.Value)
	}
	c := store.Get()
	fmt.Println("user:", c.Ports[0].SIP.User, "locked by", datamodel.LockParam(&c, "ports[0].sip.user"))
	// Output:
	// set: <nil>
	// Device.Services.VoiceService.1.SIP.Client.1.RegisterURI xsd:string sip:8610001@ims.example.net
	// Device.ManagementServer.ParameterKey xsd:string provision-1
	// user: 8610001 locked by Device.Services.VoiceService.1.CallControl.Line.1.DirectoryNumber
}
