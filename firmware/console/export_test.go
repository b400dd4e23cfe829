package console

// VT is the test terminal, for the tests of package console_test.
type VT = vt

// NewVT returns a test terminal of width columns.
func NewVT(width int) *VT { return newVT(width) }

// Screen returns what the terminal shows.
func (v *vt) Screen() string { return v.screen() }
