//go:build !race

package scenario

// raceDetector says the tests run under the race detector, which slows
// the box and the bench (in the same process) several times over.
const raceDetector = false
