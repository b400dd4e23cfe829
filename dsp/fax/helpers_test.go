package fax

import "github.com/openiad/openiad/dsp"

func sat(v float64) int16 { return dsp.SatF16(v) }
