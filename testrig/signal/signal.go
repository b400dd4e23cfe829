// Package signal is the test bench's signal generator and analyser: sines
// with continuous phase, the level of a component, the dominant component,
// spectra, the strongest component apart from the expected ones, and tone
// cadences. End-to-end tests use it to check what a phone hears ("450 Hz
// within 1 dB of the plan", "nothing else above -40 dBm0", "1 s on, 4 s off
// ±50 ms").
//
// Levels are in dBm0 with the convention of package dsp (a sine of peak
// 32767 is +3.14 dBm0), and the level of a component is that of a sine of
// the same amplitude. Frequency analysis uses a 4-term Blackman-Harris
// window: sidelobes below -92 dB, a main lobe 4 bins (4·8000/len(x) Hz)
// to each side, and the exact amplitude of a sine at the analysed
// frequency.
//
// This is test equipment: it allocates freely and is not meant for the
// media path. All functions are safe for concurrent use.
package signal

import (
	"errors"
	"fmt"
	"math"
	"math/cmplx"
	"sync"
	"time"

	"github.com/openiad/openiad/dsp"
)

const fs = dsp.SampleRate

// Sine overwrites dst with a sine of freq Hz at dBm0, starting at *phase
// (radians) and leaving *phase where the next sample would start, so that
// consecutive calls give one continuous sine. A nil phase starts at 0.
func Sine(dst []int16, freq, dBm0 float64, phase *float64) {
	var p float64
	if phase != nil {
		p = *phase
	}
	a := dsp.DBm0ToPeak(dBm0)
	w := 2 * math.Pi * freq / fs
	for i := range dst {
		dst[i] = dsp.SatF16(a * math.Sin(p+w*float64(i)))
	}
	if phase != nil {
		*phase = math.Mod(p+w*float64(len(dst)), 2*math.Pi)
	}
}

var (
	winMu    sync.Mutex
	winCache = map[int][]float64{}
)

// window returns the Blackman-Harris window of n points and its sum.
func window(n int) ([]float64, float64) {
	winMu.Lock()
	defer winMu.Unlock()
	w, ok := winCache[n]
	if !ok {
		w = make([]float64, n)
		for i := range w {
			a := 2 * math.Pi * float64(i) / float64(max(n-1, 1))
			w[i] = 0.35875 - 0.48829*math.Cos(a) + 0.14128*math.Cos(2*a) - 0.01168*math.Cos(3*a)
		}
		if len(winCache) > 64 {
			clear(winCache)
		}
		winCache[n] = w
	}
	var s float64
	for _, v := range w {
		s += v
	}
	return w, s
}

// amplitude returns the windowed amplitude of x at freq.
func amplitude(x []int16, freq float64) float64 {
	if len(x) == 0 {
		return 0
	}
	w, ws := window(len(x))
	rot := cmplx.Rect(1, -2*math.Pi*freq/fs)
	ph := complex(1, 0)
	var sum complex128
	for i, v := range x {
		sum += complex(float64(v)*w[i], 0) * ph
		ph *= rot
		if i&1023 == 1023 { // keep |ph| = 1 over long records
			ph /= complex(cmplx.Abs(ph), 0)
		}
	}
	return 2 * cmplx.Abs(sum) / ws
}

func toDBm0(a float64) float64 {
	if a <= 0 {
		return math.Inf(-1)
	}
	return 20*math.Log10(a/32767) + dsp.FullScaleDBm0
}

// LevelAt returns the level in dBm0 of the component of x at freq,
// averaged over x (-Inf for silence). Components more than 4 bins away do
// not disturb it.
func LevelAt(x []int16, freq float64) float64 { return toDBm0(amplitude(x, freq)) }

// Bin is one point of a spectrum.
type Bin struct {
	Freq float64 // Hz
	DBm0 float64 // level of a component at Freq
}

// Spectrum returns the level at from, from+step, ... up to to (inclusive).
func Spectrum(x []int16, from, to, step float64) []Bin {
	if step <= 0 || to < from {
		return nil
	}
	var out []Bin
	for i := 0; ; i++ {
		f := from + float64(i)*step
		if f > to+step*1e-9 {
			break
		}
		out = append(out, Bin{Freq: f, DBm0: LevelAt(x, f)})
	}
	return out
}

// Analysis band of Dominant and MaxOther.
const (
	bandLo = 100.0
	bandHi = 3900.0
)

// spectrum returns the windowed magnitude spectrum of x, zero-padded to a
// power of two at least twice len(x), and the bin width in Hz.
func spectrum(x []int16) ([]float64, float64) {
	n := 1
	for n < 2*len(x) {
		n <<= 1
	}
	w, _ := window(len(x))
	buf := make([]complex128, n)
	for i, v := range x {
		buf[i] = complex(float64(v)*w[i], 0)
	}
	fft(buf)
	mag := make([]float64, n/2+1)
	for i := range mag {
		mag[i] = cmplx.Abs(buf[i])
	}
	return mag, fs / float64(n)
}

// fft is an in-place radix-2 decimation-in-time FFT; len(a) is a power of
// two.
func fft(a []complex128) {
	n := len(a)
	for i, j := 1, 0; i < n; i++ {
		bit := n >> 1
		for ; j&bit != 0; bit >>= 1 {
			j ^= bit
		}
		j |= bit
		if i < j {
			a[i], a[j] = a[j], a[i]
		}
	}
	for size := 2; size <= n; size <<= 1 {
		step := cmplx.Rect(1, -2*math.Pi/float64(size))
		for start := 0; start < n; start += size {
			w := complex(1, 0)
			for k := 0; k < size/2; k++ {
				u, v := a[start+k], a[start+k+size/2]*w
				a[start+k], a[start+k+size/2] = u+v, u-v
				w *= step
			}
		}
	}
}

// refine finds the frequency of the largest windowed amplitude within ±span
// of f (golden-section search to 0.01 Hz).
func refine(x []int16, f, span float64) float64 {
	const g = 0.6180339887498949
	lo, hi := f-span, f+span
	a, b := hi-g*(hi-lo), lo+g*(hi-lo)
	fa, fb := amplitude(x, a), amplitude(x, b)
	for hi-lo > 0.01 {
		if fa < fb {
			lo, a, fa = a, b, fb
			b = lo + g*(hi-lo)
			fb = amplitude(x, b)
		} else {
			hi, b, fb = b, a, fa
			a = hi - g*(hi-lo)
			fa = amplitude(x, a)
		}
	}
	return (lo + hi) / 2
}

// peaks returns the local maxima of the magnitude spectrum within the
// analysis band, as bin indices.
func peaks(mag []float64, df float64) []int {
	var out []int
	lo := max(int(math.Ceil(bandLo/df)), 1)
	hi := min(int(bandHi/df), len(mag)-2)
	for i := lo; i <= hi; i++ {
		if mag[i] > 0 && mag[i] >= mag[i-1] && mag[i] > mag[i+1] {
			out = append(out, i)
		}
	}
	return out
}

// Dominant returns the strongest component of x between 100 and 3900 Hz:
// its frequency (to well within ±2 Hz for x of 800 samples or more) and
// level. Silence gives 0 Hz at -Inf.
func Dominant(x []int16) (freq, dBm0 float64) {
	return strongest(x, nil, 0)
}

// MaxOther returns the strongest component of x between 100 and 3900 Hz
// that is not within guard Hz of any frequency in exclude (0 Hz at -Inf
// when there is none). guard should be at least the window's main-lobe
// half-width, 4·8000/len(x) Hz (40 Hz for 800 samples), so that the skirts
// of an excluded tone do not count.
func MaxOther(x []int16, exclude []float64, guard float64) (freq, dBm0 float64) {
	return strongest(x, exclude, guard)
}

func strongest(x []int16, exclude []float64, guard float64) (float64, float64) {
	if len(x) < 2 {
		return 0, math.Inf(-1)
	}
	mag, df := spectrum(x)
	best := -1
	for _, i := range peaks(mag, df) {
		f := float64(i) * df
		ok := true
		for _, e := range exclude {
			ok = ok && math.Abs(f-e) > guard
		}
		if ok && (best < 0 || mag[i] > mag[best]) {
			best = i
		}
	}
	if best < 0 {
		return 0, math.Inf(-1)
	}
	f := refine(x, float64(best)*df, df)
	return f, LevelAt(x, f)
}

// Period is one stretch of a cadence: tone on or off, for Dur.
type Period struct {
	On  bool
	Dur time.Duration
}

func (p Period) String() string {
	if p.On {
		return "on " + p.Dur.String()
	}
	return "off " + p.Dur.String()
}

// frame is the cadence resolution: 10 ms.
const frame = 80

// Cadence splits x into periods where the tone is on or off, at 10 ms
// resolution. A 10 ms frame is on when the strongest of freqs in it is at
// or above threshDBm0. The components are measured together, by a
// least-squares fit of sines at all of freqs weighted by a Blackman-Harris
// window over the frame: close components of one tone (440+480 Hz) do not
// beat, and other sounds more than 400 Hz away do not count. With a
// threshold 6 dB below the tone's level, a frame counts as on when the
// tone fills at least its middle half, so periods come out unbiased to
// about ±5 ms. The first and last periods are cut by the ends of x.
func Cadence(x []int16, freqs []float64, threshDBm0 float64) []Period {
	var out []Period
	fit := newFitter(freqs, frame)
	thresh := dsp.DBm0ToPeak(threshDBm0)
	for i := 0; i+frame <= len(x); i += frame {
		a := fit.strongest(x[i : i+frame])
		on := a >= thresh && a > 0
		if n := len(out); n > 0 && out[n-1].On == on {
			out[n-1].Dur += 10 * time.Millisecond
		} else {
			out = append(out, Period{On: on, Dur: 10 * time.Millisecond})
		}
	}
	return out
}

// fitter fits a sum of sines at fixed frequencies to blocks of n samples
// by weighted least squares.
type fitter struct {
	basis [][]float64 // 2K columns: cos, sin of each frequency, times the weight
	raw   [][]float64 // the same without the weight
	inv   [][]float64 // inverse of the weighted Gram matrix
}

func newFitter(freqs []float64, n int) *fitter {
	var fs2 []float64
	for _, f := range freqs { // drop duplicates: they would make the fit singular
		dup := false
		for _, g := range fs2 {
			dup = dup || math.Abs(f-g) < 1
		}
		if !dup && f > 0 && f < fs/2 {
			fs2 = append(fs2, f)
		}
	}
	w, _ := window(n)
	k := 2 * len(fs2)
	ft := &fitter{}
	for _, f := range fs2 {
		c := make([]float64, n)
		sn := make([]float64, n)
		for i := range c {
			c[i], sn[i] = math.Cos(2*math.Pi*f*float64(i)/fs), math.Sin(2*math.Pi*f*float64(i)/fs)
		}
		ft.raw = append(ft.raw, c, sn)
	}
	ft.basis = make([][]float64, k)
	for j, col := range ft.raw {
		ft.basis[j] = make([]float64, n)
		for i, v := range col {
			ft.basis[j][i] = v * w[i]
		}
	}
	g := make([][]float64, k)
	for a := range g {
		g[a] = make([]float64, k)
		for b := range g[a] {
			var sum float64
			for i := range n {
				sum += ft.basis[a][i] * ft.raw[b][i]
			}
			g[a][b] = sum
		}
		g[a][a] *= 1 + 1e-9 // a touch of ridge against near-singularity
	}
	ft.inv = invert(g)
	return ft
}

// strongest returns the largest fitted amplitude among the frequencies.
func (ft *fitter) strongest(x []int16) float64 {
	k := len(ft.basis)
	r := make([]float64, k)
	for j, col := range ft.basis {
		var sum float64
		for i, v := range x {
			sum += col[i] * float64(v)
		}
		r[j] = sum
	}
	var best float64
	for j := 0; j+1 < k; j += 2 {
		var a, b float64
		for m := range k {
			a += ft.inv[j][m] * r[m]
			b += ft.inv[j+1][m] * r[m]
		}
		best = max(best, math.Hypot(a, b))
	}
	return best
}

// invert returns the inverse of a small square matrix (Gauss-Jordan with
// partial pivoting); a singular matrix gives zeros.
func invert(m [][]float64) [][]float64 {
	n := len(m)
	a := make([][]float64, n)
	for i := range a {
		a[i] = make([]float64, 2*n)
		copy(a[i], m[i])
		a[i][n+i] = 1
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		if a[p][c] == 0 {
			z := make([][]float64, n)
			for i := range z {
				z[i] = make([]float64, n)
			}
			return z
		}
		a[c], a[p] = a[p], a[c]
		piv := a[c][c]
		for j := range a[c] {
			a[c][j] /= piv
		}
		for r := range n {
			if r != c && a[r][c] != 0 {
				f := a[r][c]
				for j := range a[r] {
					a[r][j] -= f * a[c][j]
				}
			}
		}
	}
	inv := make([][]float64, n)
	for i := range inv {
		inv[i] = a[i][n:]
	}
	return inv
}

var errCadence = errors.New("cadence does not match")

// CheckCadence reports whether the periods follow pattern (on, off, on,
// ... durations, repeated) within tol each. The first and last periods,
// which the recording cuts, may be shorter than the pattern says; the
// pattern may begin anywhere in its cycle. It needs at least one whole
// period between them. A continuous tone is the pattern {0}: every period
// must then be on.
func CheckCadence(ps []Period, pattern []time.Duration, tol time.Duration) error {
	if len(pattern) == 1 && pattern[0] == 0 {
		for _, p := range ps {
			if !p.On {
				return fmt.Errorf("signal: %w: silence (%v) in a continuous tone: %v", errCadence, p.Dur, ps)
			}
		}
		if len(ps) == 0 {
			return fmt.Errorf("signal: %w: no signal", errCadence)
		}
		return nil
	}
	if len(ps) < 3 {
		return fmt.Errorf("signal: %w: only %d periods, need a whole one between the ends: %v", errCadence, len(ps), ps)
	}
	if len(pattern)%2 != 0 {
		return fmt.Errorf("signal: %w: pattern %v must alternate on and off", errCadence, pattern)
	}
	var firstErr error
	for start := 0; start < len(pattern); start++ {
		// Pattern index of ps[1].
		if (start%2 == 0) != ps[1].On {
			continue
		}
		err := matchFrom(ps, pattern, start, tol)
		if err == nil {
			return nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("signal: %w: no place in %v fits %v", errCadence, pattern, ps)
	}
	return firstErr
}

func matchFrom(ps []Period, pattern []time.Duration, start int, tol time.Duration) error {
	n := len(pattern)
	within := func(got, want time.Duration) bool { return got >= want-tol && got <= want+tol }
	// First period: cut, so at most its pattern length.
	if d := pattern[(start-1+n)%n]; ps[0].Dur > d+tol {
		return fmt.Errorf("signal: %w: first period %v longer than %v", errCadence, ps[0], d)
	}
	for i := 1; i < len(ps)-1; i++ {
		want := pattern[(start+i-1)%n]
		if !within(ps[i].Dur, want) {
			return fmt.Errorf("signal: %w: period %d is %v, want %v ±%v (periods %v)", errCadence, i, ps[i], want, tol, ps)
		}
	}
	last := len(ps) - 1
	if d := pattern[(start+last-1)%n]; ps[last].Dur > d+tol {
		return fmt.Errorf("signal: %w: last period %v longer than %v", errCadence, ps[last], d)
	}
	return nil
}
