package hal

// E1 framing options (ITU-T G.704 / G.706).
type E1Config struct {
	CRC4      bool // CRC-4 multiframe
	LineClock bool // recover the transmit clock from the line (slave) instead of the local oscillator
	HDB3      bool // HDB3 line code (else AMI)
	FirstSlot int  // highway timeslot of E1 timeslot 1; B channel n sits at FirstSlot+n-1
}

// E1Alarms is the alarm state of an E1 port.
type E1Alarms struct {
	LOS bool   // loss of signal
	LOF bool   // loss of frame alignment
	AIS bool   // alarm indication signal (all ones) from upstream
	RAI bool   // remote alarm indication (the far end does not see us)
	CRC uint32 // CRC-4 errors counted since the port started
}

// Any reports whether any alarm is raised.
func (a E1Alarms) Any() bool { return a.LOS || a.LOF || a.AIS || a.RAI }

// E1 is a framer/line interface for one 2.048 Mbit/s port: 30 B channels on
// the highway and the D channel (timeslot 16) as HDLC frames.
type E1 interface {
	Configure(E1Config) error
	Alarms() E1Alarms
	// ReadD blocks for the next received D-channel frame (FCS checked and
	// removed); WriteD sends one.
	ReadD(p []byte) (int, error)
	WriteD(p []byte) error
	String() string
}
