// Package scenario holds the end-to-end scenarios of the lab bench: the
// firmware booted through firmware/system on the sim board, with testrig
// phones plugged into its lines, checked by what the phones hear. Bench is
// the shared set-up; the scenarios are its tests.
package scenario
