//go:build race

package dtmf

// raceBuild: the race detector slows the detector about tenfold, so the
// talk-off test takes a shorter slice of its corpus.
const raceBuild = true
