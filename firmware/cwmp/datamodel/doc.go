// Package datamodel is the TR-069 parameter tree of the box: the TR-181
// basics under "Device." and the voice service under
// "Device.Services.VoiceService.1." in the layout of TR-104 issue 2 (or,
// per ACS, of issue 1: config cwmp.dataModel "tr104v1"). It implements
// cwmp.Model for the CWMP client in firmware/cwmp.
//
// One table in code (table.go, voice.go, voice2.go, voice1.go, calllog.go)
// maps every parameter to the typed configuration (firmware/config) or to
// the status of the box (registration, hook and call state, call records
// from firmware/cdr, the WAN address), with its TR type and access. The
// test checks each name, type, access and activeNotify against the
// Broadband Forum XML (../shared/standards/cwmp).
//
// SetParameterValues, AddObject and DeleteObject go through one
// config.Store.Update from config.SourceCWMP each: all or nothing. Faults:
// 9005 unknown name, 9006 wrong type, 9007 a value the box or the
// configuration's validation refuses (the config field error is mapped
// back to the parameter that wrote that field, or else to the one without
// which the request validates: a range check names rtpPortMin when the
// request set LocalPortMax), 9008 read-only, 9003 a name given twice. A
// refused request lists every faulty parameter: the value checks run for
// all parameters of the right name, type and access even when others
// already failed. Parameter attributes (notification off / passive / active, access
// lists), the values last acknowledged to the ACS (for VALUE CHANGE),
// ParameterKey and ProvisioningCode are kept in attributes.json in
// Options.Dir, replaced atomically (written to a temporary file, synced,
// renamed, folder synced): a power cut leaves the old or the new file.
// ParameterKey is written right after the configuration commit; a power
// cut between the two leaves the old key, so the ACS sends its change
// again (SetParameterValues is idempotent).
//
// Changes compares the parameters with notification on against the values
// last acknowledged; Run watches the configuration and polls the status
// every Options.PollEvery and signals Notify when a parameter with active
// notification changed. Values the ACS itself set are not reported back.
//
// Mappings worth knowing: the WAN is Device.IP.Interface.1 (AddressingType
// is read-only in TR-181; Device.DHCPv4.Client.1.Enable switches between
// DHCP and the static address, mask and
// Device.Routing.Router.1.IPv4Forwarding.1.GatewayIPAddress); DNS servers
// are Device.DNS.Client.Server.1-3 ("" removes one); Device.Time.NTPServer1-5
// likewise. Device.Time.LocalTimeZone is POSIX (IEEE 1003.1) while the
// configuration holds an IANA zone: reads give the zone's POSIX rules of the
// year; writes take an IANA name, the POSIX rules of a common zone, or a
// fixed offset ("CST-8" → Etc/GMT-8). SIP.Client.{i}.RegisterURI and
// CallControl.Line.{i}.DirectoryNumber both map to the account's user
// (RegisterURI's host part sets the profile's domain). A writable parameter
// the box supports only one value of (POTS.FXS.{i}.DialType "Tone") refuses
// others with 9007.
//
// Instance numbers: ports (POTS.FXS, SIP.Client, CallControl.Line and
// .Extension, VoiceProfile.{i}.Line) are numbered by port, so they never
// move; profiles (SIP.Network, VoIPProfile, VoiceProfile) by their position
// in sip.profiles, so deleting a profile renumbers the ones after it;
// CallLog entries by their record number.
//
// # Vendor extensions
//
// Vendor parameters are named X_<OUI>_…, where <OUI> is
// DeviceInfo.ManufacturerOUI (Device.OUI, DefaultOUI when unset):
//
//	Device.X_<OUI>_LockedParameters             string, readWrite: carrier locks (see locks.go)
//	Device.ManagementServer.X_<OUI>_DataModel   string, readWrite: "tr104v2" or "tr104v1" (config cwmp.dataModel)
//	….SIP.Network.{i}.X_<OUI>_DigitMap          string, readWrite: the RFC 3435 digit map of the profile
//	….CallControl.NumberingPlan.{i}.X_<OUI>_FirstDigitTimer  unsignedInt, readWrite: ms from off-hook to the first digit
//	….POTS.FXS.{i}.DiagTests.X_<OUI>_Detail     string, readOnly: what the line test measured
//
// Carrier locks: the ACS writes a comma-separated list of parameter names
// (or object instances ending with ".") to X_<OUI>_LockedParameters; they
// become config.Locks (By "cwmp"), which the web page and the console show
// read-only and refuse to change. Reading the parameter lists each lock
// under the first parameter that maps to its field (DirectoryNumber rather
// than RegisterURI). LockParam names that parameter for a locked field.
//
// Concurrency: every method of Model may be called from any goroutine;
// requests are serialised. The Status functions are called with the
// model's lock held and must not call back into the model.
package datamodel
