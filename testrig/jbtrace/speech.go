package jbtrace

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/openiad/openiad/dsp"
)

// ErrNoEspeak says espeak-ng is not installed.
var ErrNoEspeak = errors.New("jbtrace: espeak-ng not found (Debian: apt-get install espeak-ng)")

var errWAV = errors.New("jbtrace: not a 16-bit mono PCM WAV file")

// Utterance is one thing for espeak-ng to say.
type Utterance struct {
	Voice string // espeak-ng voice, e.g. "en-us", "en+f3", "de", "cmn"
	Text  string
}

// Utterances is a small multilingual corpus of male and female voices.
var Utterances = []Utterance{
	{"en-us", "The quick brown fox jumps over the lazy dog while the telephone keeps ringing in the hall."},
	{"en+f3", "Please call me back tomorrow morning, the number is two zero one, extension four five six."},
	{"de", "Guten Morgen, ich rufe wegen der Rechnung vom letzten Monat an, bitte verbinden Sie mich."},
	{"fr+f2", "Bonjour, je voudrais parler au service technique, la ligne coupe souvent le soir."},
	{"cmn", "你好，请问王经理在吗？我想确认一下明天下午的会议时间。"},
	{"es", "Buenas tardes, llamo para confirmar la cita del jueves a las cinco y media."},
}

// Speech says the utterances with espeak-ng, writing its WAV files into
// dir, and returns them joined (with 300 ms of quiet between) as 8 kHz
// speech at about -20 dBm0 while active.
func Speech(ctx context.Context, dir string, us []Utterance) ([]int16, error) {
	bin, err := exec.LookPath("espeak-ng")
	if err != nil {
		return nil, ErrNoEspeak
	}
	var all []int16
	for i, u := range us {
		path := filepath.Join(dir, fmt.Sprintf("utt%d.wav", i))
		cmd := exec.CommandContext(ctx, bin, "-v", u.Voice, "-s", "150", "-w", path, u.Text)
		if out, err := cmd.CombinedOutput(); err != nil {
			return nil, fmt.Errorf("jbtrace: espeak-ng -v %s: %w: %s", u.Voice, err, out)
		}
		x, rate, err := ReadWAV(path)
		if err != nil {
			return nil, err
		}
		all = append(all, Resample(x, rate, 8000)...)
		all = append(all, make([]int16, 2400)...)
	}
	normalize(all, -20)
	return all, nil
}

// ReadWAV reads a 16-bit mono PCM WAV file.
func ReadWAV(path string) ([]int16, int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, fmt.Errorf("%w: %s", errWAV, path)
	}
	rate := 0
	for off := 12; off+8 <= len(b); {
		id := string(b[off : off+4])
		size := int(binary.LittleEndian.Uint32(b[off+4:]))
		body := b[off+8:]
		if size > len(body) || size < 0 {
			size = len(body) // streamed files leave the size unset
		}
		switch id {
		case "fmt ":
			if size < 16 || binary.LittleEndian.Uint16(body) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, fmt.Errorf("%w: %s", errWAV, path)
			}
			rate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if rate == 0 {
				return nil, 0, fmt.Errorf("%w: %s: data before fmt", errWAV, path)
			}
			x := make([]int16, size/2)
			for i := range x {
				x[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return x, rate, nil
		}
		off += 8 + size + size&1
	}
	return nil, 0, fmt.Errorf("%w: %s: no data", errWAV, path)
}

// Resample converts x from rate in to rate out with a Hann-windowed sinc
// low-pass at 90 % of the lower Nyquist frequency (a polyphase filter: one
// kernel per output phase, computed once).
func Resample(x []int16, in, out int) []int16 {
	if in == out {
		return append([]int16(nil), x...)
	}
	g := gcd(in, out)
	up, down := out/g, in/g                          // output j sits at input position j*down/up
	fc := 0.45 * float64(min(in, out)) / float64(in) // cycles per input sample
	const half = 48                                  // kernel half-width, in periods of the lower rate
	width := half * float64(in) / float64(min(in, out))
	k := int(math.Ceil(width))
	kernels := make([][]float64, up)
	for p := range kernels {
		frac := float64(p) / float64(up)
		h := make([]float64, 2*k+1)
		for i := range h {
			t := float64(i-k) - frac
			if math.Abs(t) >= width {
				continue
			}
			w := 0.5 + 0.5*math.Cos(math.Pi*t/width)
			v := 2 * fc
			if t != 0 {
				v = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
			}
			h[i] = v * w
		}
		kernels[p] = h
	}
	n := int(int64(len(x)) * int64(up) / int64(down))
	y := make([]int16, n)
	for j := range y {
		pos := int64(j) * int64(down)
		base, p := int(pos/int64(up)), int(pos%int64(up))
		h := kernels[p]
		var s float64
		for i, c := range h {
			if m := base + i - k; m >= 0 && m < len(x) {
				s += float64(x[m]) * c
			}
		}
		y[j] = dsp.SatF16(s)
	}
	return y
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// normalize scales x so its active part (10 ms frames within 30 dB of the
// loudest) has an RMS of dbm0.
func normalize(x []int16, dbm0 float64) {
	var peak float64
	for f := 0; f+80 <= len(x); f += 80 {
		peak = math.Max(peak, dsp.RMS(x[f:f+80]))
	}
	var s float64
	var n int
	for f := 0; f+80 <= len(x); f += 80 {
		if r := dsp.RMS(x[f : f+80]); r > peak/31.6 {
			s += r * r
			n++
		}
	}
	if n == 0 {
		return
	}
	g := dsp.DBm0ToRMS(dbm0) / math.Sqrt(s/float64(n))
	for i, v := range x {
		x[i] = dsp.SatF16(float64(v) * g)
	}
}

// Voiced makes n samples of synthetic speech for when espeak-ng is not
// there: vowels from a formant synthesiser with a moving pitch (90 to 220
// Hz), some fricatives, in talk spurts of about 1.5 s with 0.5 s pauses.
func Voiced(n int, seed uint64) []int16 {
	return voice(n, seed, 1500*time.Millisecond, 500*time.Millisecond)
}

// vowels are F1, F2, F3 in Hz.
var vowels = [][3]float64{{730, 1090, 2440}, {270, 2290, 3010}, {300, 870, 2240}, {530, 1840, 2480}, {570, 840, 2410}, {660, 1720, 2410}}

// voice synthesises talk spurts of mean length talk separated by pauses of
// mean length quiet (background noise at -60 dBm0), active speech at about
// -20 dBm0.
func voice(n int, seed uint64, talk, quiet time.Duration) []int16 {
	rng := rand.New(rand.NewPCG(seed, 0x766f))
	y := make([]float64, n)
	type res struct{ y1, y2, a1, a2, g float64 }
	var rs [3]res
	setRes := func(r *res, f, bw float64) {
		rad := math.Exp(-math.Pi * bw / 8000)
		r.a1 = 2 * rad * math.Cos(2*math.Pi*f/8000)
		r.a2 = -rad * rad
		r.g = 1 - r.a1 - r.a2
	}
	var f, fTarget [3]float64
	f = vowels[0]
	fTarget = f
	phase, pitch, pitchTarget := 0.0, 130.0, 130.0
	env, envTarget := 0.0, 1.0
	fric := false
	var lp float64
	i := 0
	for i < n {
		// A talk spurt of syllables.
		spurt := i + int(rng.ExpFloat64()*float64(talk)*8000/float64(time.Second))
		for i < n && i < spurt {
			sylEnd := i + 800 + rng.IntN(1200)
			fTarget = vowels[rng.IntN(len(vowels))]
			pitchTarget = 90 + 130*rng.Float64()
			fric = rng.IntN(5) == 0
			for ; i < n && i < sylEnd && i < spurt; i++ {
				k := float64(i%2000) / 2000
				envTarget = 0.6 + 0.4*math.Sin(math.Pi*k)
				env += 0.002 * (envTarget - env)
				pitch += 0.0005 * (pitchTarget - pitch)
				for j := range f {
					f[j] += 0.003 * (fTarget[j] - f[j])
				}
				if i%40 == 0 {
					for j := range rs {
						setRes(&rs[j], f[j], 60+40*float64(j))
					}
				}
				phase += pitch / 8000
				e := 0.0
				if phase >= 1 {
					phase--
					e = 1
				}
				// Glottal pulse: a decaying low-pass of the impulse.
				lp = 0.7*lp + e
				v := lp
				for j := range rs {
					r := &rs[j]
					o := r.g*v + r.a1*r.y1 + r.a2*r.y2
					r.y2, r.y1 = r.y1, o
					v = o
				}
				if fric && i%2000 < 600 {
					v = 0.3*v + 0.05*rng.NormFloat64()
				}
				y[i] = v * env
			}
		}
		// A pause.
		i += int(rng.ExpFloat64() * float64(quiet) * 8000 / float64(time.Second))
	}
	// Speech at -20 dBm0 (active), background at -60 dBm0 everywhere.
	var s float64
	var cnt int
	for _, v := range y {
		if v != 0 {
			s += v * v
			cnt++
		}
	}
	g := 1.0
	if cnt > 0 {
		g = dsp.DBm0ToRMS(-20) / math.Sqrt(s/float64(cnt))
	}
	nrms := dsp.DBm0ToRMS(-60)
	x := make([]int16, n)
	for i, v := range y {
		x[i] = dsp.SatF16(v*g + rng.NormFloat64()*nrms)
	}
	return x
}
