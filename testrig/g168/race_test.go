//go:build race

package g168

// raceBuild: the race detector slows the bench about tenfold, so the
// sweep runs a subset (see TestSweep).
const raceBuild = true
