package console

import (
	"unicode"
	"unicode/utf8"
)

// key is one key press: a printable rune (>= 0) or one of the special keys
// below (< 0).
type key rune

const (
	keyEnter key = -(iota + 1)
	keyTab
	keyBackspace
	keyDelete
	keyLeft
	keyRight
	keyUp
	keyDown
	keyHome
	keyEnd
	keyKillEnd  // Ctrl-K
	keyKillLine // Ctrl-U
	keyKillWord // Ctrl-W
	keyRedraw   // Ctrl-L
	keyCancel   // Ctrl-C
	keyEOF      // Ctrl-D
)

// decoder turns the bytes of a terminal into keys. It understands the
// control keys of a dumb terminal (Ctrl-A/E/B/F/P/N/H/D/K/U/W/L/C) and the
// VT100/ANSI cursor keys (ESC [ A, ESC O A, ESC [ 3 ~ ...). It is a
// byte-at-a-time state machine, so a key split over two reads is fine.
type decoder struct {
	state  uint8 // 0 ground, 1 after ESC, 2 in CSI, 3 after ESC O
	param  int   // CSI numeric parameter
	lastCR bool  // the previous byte was CR: a following LF is part of the same Enter
	utf    [utf8.UTFMax]byte
	nutf   int
}

const (
	stGround = iota
	stEsc
	stCSI
	stSS3
)

// feed decodes one byte; ok is false when b does not complete a key.
func (d *decoder) feed(b byte) (k key, ok bool) {
	cr := d.lastCR
	d.lastCR = false
	switch d.state {
	case stEsc:
		switch b {
		case '[':
			d.state, d.param = stCSI, 0
		case 'O':
			d.state = stSS3
		default: // ESC followed by something else: drop the ESC, keep the byte
			d.state = stGround
			return d.feed(b)
		}
		return 0, false
	case stCSI:
		switch {
		case b >= '0' && b <= '9':
			if d.param < 1000 {
				d.param = d.param*10 + int(b-'0')
			}
			return 0, false
		case b == ';':
			d.param = 0 // modifiers: keep only the last number
			return 0, false
		case b >= 0x40 && b <= 0x7e:
			d.state = stGround
			switch b {
			case 'A':
				return keyUp, true
			case 'B':
				return keyDown, true
			case 'C':
				return keyRight, true
			case 'D':
				return keyLeft, true
			case 'H':
				return keyHome, true
			case 'F':
				return keyEnd, true
			case '~':
				switch d.param {
				case 1, 7:
					return keyHome, true
				case 4, 8:
					return keyEnd, true
				case 3:
					return keyDelete, true
				}
			}
			return 0, false
		default:
			if b < 0x20 || b > 0x7e { // not a sequence after all
				d.state = stGround
				return d.feed(b)
			}
			return 0, false // intermediate bytes
		}
	case stSS3:
		d.state = stGround
		switch b {
		case 'A':
			return keyUp, true
		case 'B':
			return keyDown, true
		case 'C':
			return keyRight, true
		case 'D':
			return keyLeft, true
		case 'H':
			return keyHome, true
		case 'F':
			return keyEnd, true
		}
		return 0, false
	}

	if d.nutf > 0 || b >= 0x80 {
		return d.feedUTF8(b)
	}
	switch b {
	case 0x1b:
		d.state = stEsc
		return 0, false
	case '\r':
		d.lastCR = true
		return keyEnter, true
	case '\n':
		if cr {
			return 0, false
		}
		return keyEnter, true
	case '\t':
		return keyTab, true
	case 0x08, 0x7f:
		return keyBackspace, true
	case 0x01:
		return keyHome, true
	case 0x02:
		return keyLeft, true
	case 0x03:
		return keyCancel, true
	case 0x04:
		return keyEOF, true
	case 0x05:
		return keyEnd, true
	case 0x06:
		return keyRight, true
	case 0x0b:
		return keyKillEnd, true
	case 0x0c:
		return keyRedraw, true
	case 0x0e:
		return keyDown, true
	case 0x10:
		return keyUp, true
	case 0x15:
		return keyKillLine, true
	case 0x17:
		return keyKillWord, true
	}
	if b < 0x20 {
		return 0, false // other control characters are ignored
	}
	return key(b), true
}

func (d *decoder) feedUTF8(b byte) (key, bool) {
	if d.nutf > 0 && (b&0xc0 != 0x80) {
		// A broken sequence: forget it and start again with this byte.
		d.nutf = 0
		return d.feed(b)
	}
	d.utf[d.nutf] = b
	d.nutf++
	if !utf8.FullRune(d.utf[:d.nutf]) {
		if d.nutf == len(d.utf) {
			d.nutf = 0
		}
		return 0, false
	}
	r, _ := utf8.DecodeRune(d.utf[:d.nutf])
	d.nutf = 0
	if r == utf8.RuneError || !unicode.IsPrint(r) {
		return 0, false
	}
	return key(r), true
}
