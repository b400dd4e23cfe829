package hal

// Highway is the TDM/PCM bus. Its clock ticks every FrameDuration; each tick
// the media engine exchanges one Frame per timeslot with it. Timeslots are
// numbered from 0 to Slots()-1; a port's Timeslot says where its audio is.
//
// Exchange is called by one goroutine only (the media engine).
type Highway interface {
	Slots() int
	// Exchange blocks until the next tick, then copies the frame received
	// on each timeslot during the last tick into rx, and takes tx as the
	// frames to send during the next one. len(rx) and len(tx) must be
	// Slots(). If the caller is late by more than a tick, the frames it
	// missed are lost and Overruns grows. Exchange returns ErrClosed once
	// the highway is closed.
	Exchange(rx, tx []Frame) error
	// Overruns counts the ticks lost because Exchange was not called in time.
	Overruns() uint64
}
