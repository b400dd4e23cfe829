package config

import (
	"fmt"
	"maps"
	"slices"
	"time"
)

// SchemaVersion is the version of the configuration document this firmware
// writes. Documents with a lower version are migrated on load.
const SchemaVersion = 3

// Source says through which face of the box a change arrived.
type Source string

// The sources of changes. Default is used only by the store itself when it
// writes the factory configuration.
const (
	SourceDefault Source = "default" // factory defaults written by the store
	SourceWeb     Source = "web"     // local web page
	SourceConsole Source = "console" // serial console
	SourceCWMP    Source = "cwmp"    // carrier, over TR-069
	SourceSystem  Source = "system"  // the firmware itself (recovery, upgrades)
)

// Valid reports whether s is one of the known sources.
func (s Source) Valid() bool {
	switch s {
	case SourceDefault, SourceWeb, SourceConsole, SourceCWMP, SourceSystem:
		return true
	}
	return false
}

// Config is the whole configuration of the box. It is plain data: copy it
// with Clone, check it with Validate.
type Config struct {
	// Schema is the schema version of the document (SchemaVersion).
	Schema int `json:"schema"`
	// Revision counts committed changes; the Store sets it, Update refuses
	// changes to it. It is 0 in a configuration that was never stored.
	Revision int64    `json:"revision"`
	Device   Device   `json:"device"`
	Ports    []Port   `json:"ports"`
	DialPlan DialPlan `json:"dialPlan"`
	SIP      SIP      `json:"sip"`
	Network  Network  `json:"network"`
	Time     Time     `json:"time"`
	Syslog   Syslog   `json:"syslog"`
	CWMP     CWMP     `json:"cwmp"`
	// Locks holds the carrier-locked fields, keyed by field path as used
	// in Change.Path and FieldError.Field ("device.country",
	// "ports[0].extension"). A lock on a path covers everything below it.
	// Only a change from SourceCWMP may alter a locked field or the locks.
	Locks map[string]Lock `json:"locks"`
}

// Device is the identity of the box.
type Device struct {
	Name string `json:"name"`
	// Country is the ISO 3166 alpha-2 code (upper case) that selects the
	// tone plan and ring cadence; it must be known to dsp/tone.
	Country string `json:"country"`
}

// Port is one telephone port of the box.
type Port struct {
	Index     int     `json:"index"` // 1..n, as printed on the box
	Kind      string  `json:"kind"`  // "fxs"
	Enabled   bool    `json:"enabled"`
	Extension string  `json:"extension"` // internal number, 1-8 digits
	Name      string  `json:"name"`
	SIP       PortSIP `json:"sip"` // the port's carrier account
}

// Port kinds.
const (
	KindFXS = "fxs"
)

// DialPlan holds the timers of the line state machine.
type DialPlan struct {
	FirstDigit     Duration `json:"firstDigit"`     // off-hook to first digit, then busy tone
	InterDigit     Duration `json:"interDigit"`     // between digits, then the number is complete
	OffHookWarning Duration `json:"offHookWarning"` // busy tone this long, then howler
	HowlerTimeout  Duration `json:"howlerTimeout"`  // howler this long, then the line is parked
	FlashMin       Duration `json:"flashMin"`       // on-hook shorter than this is a bounce
	FlashMax       Duration `json:"flashMax"`       // on-hook longer than this is a hang-up
}

// Lock marks a field as set by the carrier.
type Lock struct {
	By Source    `json:"by"`
	At time.Time `json:"at"`
}

// Duration is a time.Duration that reads and writes as a Go duration string
// ("10s", "100ms") in JSON.
type Duration time.Duration

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes d as "10s".
func (d Duration) MarshalText() ([]byte, error) {
	return []byte(time.Duration(d).String()), nil
}

// UnmarshalText reads a duration string such as "800ms" or "1m30s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("config: bad duration %q (want e.g. \"10s\" or \"800ms\")", b)
	}
	*d = Duration(v)
	return nil
}

// Default returns the factory configuration for a box with fxs FXS ports:
// ports 1..fxs enabled with extensions 201, 202, ... (three digits up to 99
// ports), the China tone plan, first-digit timer 10 s, inter-digit 5 s,
// busy tone for 30 s before the howler, howler for 60 s, and a hook flash
// between 100 ms and 800 ms.
func Default(fxs int) Config {
	c := Config{
		Schema: SchemaVersion,
		Device: Device{Name: "OpenIAD", Country: "CN"},
		Ports:  make([]Port, 0, max(fxs, 0)),
		Locks:  map[string]Lock{},
		DialPlan: DialPlan{
			FirstDigit:     Duration(10 * time.Second),
			InterDigit:     Duration(5 * time.Second),
			OffHookWarning: Duration(30 * time.Second),
			HowlerTimeout:  Duration(60 * time.Second),
			FlashMin:       Duration(100 * time.Millisecond),
			FlashMax:       Duration(800 * time.Millisecond),
		},
		SIP: SIP{Port: 5060, Profiles: []SIPProfile{DefaultSIPProfile()}},
	}
	defaultManagement(&c)
	width := len(fmt.Sprint(fxs))
	width = max(width, 2)
	for i := 1; i <= fxs; i++ {
		c.Ports = append(c.Ports, Port{
			Index:     i,
			Kind:      KindFXS,
			Enabled:   true,
			Extension: fmt.Sprintf("2%0*d", width, i),
		})
	}
	return c
}

// Clone returns a deep copy of c.
func (c *Config) Clone() Config {
	d := *c
	d.Ports = slices.Clone(c.Ports)
	if d.Ports == nil {
		d.Ports = []Port{}
	}
	d.SIP.Profiles = slices.Clone(c.SIP.Profiles)
	for i := range d.SIP.Profiles {
		p := &d.SIP.Profiles[i]
		p.Registrars = slices.Clone(p.Registrars)
		p.OutboundProxies = slices.Clone(p.OutboundProxies)
		p.Codecs = slices.Clone(p.Codecs)
	}
	d.Network.DNS = slices.Clone(c.Network.DNS)
	if d.Network.DNS == nil {
		d.Network.DNS = []string{}
	}
	d.Time.NTPServers = slices.Clone(c.Time.NTPServers)
	if d.Time.NTPServers == nil {
		d.Time.NTPServers = []string{}
	}
	d.Locks = maps.Clone(c.Locks)
	if d.Locks == nil {
		d.Locks = map[string]Lock{}
	}
	return d
}

// Port returns the port with the given Index, or nil.
func (c *Config) Port(index int) *Port {
	for i := range c.Ports {
		if c.Ports[i].Index == index {
			return &c.Ports[i]
		}
	}
	return nil
}
