package datamodel

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Device.Time.LocalTimeZone is a POSIX TZ string (IEEE 1003.1); the
// configuration holds an IANA zone name. posixTZ renders a zone's rules of
// the current year as POSIX; zoneFor maps a value the ACS sends back to an
// IANA name: an IANA name as it is, the POSIX form of the zone in effect or
// of a common zone, or a fixed offset ("CST-8" → "Etc/GMT-8").

// posixTZ renders zone as a POSIX TZ string for the year of now.
func posixTZ(zone string, now time.Time) string {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return ""
	}
	y := now.In(loc).Year()
	jan := time.Date(y, 1, 1, 12, 0, 0, 0, loc)
	jul := time.Date(y, 7, 1, 12, 0, 0, 0, loc)
	jn, jo := jan.Zone()
	un, uo := jul.Zone()
	if jo == uo {
		return posixName(jn) + posixOffset(jo)
	}
	std, dst := jn, un
	so, do := jo, uo
	if uo < jo { // southern hemisphere: summer in January
		std, dst, so, do = un, jn, uo, jo
	}
	start, end := transitions(loc, y, so, do)
	s := posixName(std) + posixOffset(so) + posixName(dst)
	if do-so != 3600 {
		s += posixOffset(do)
	}
	return s + "," + rule(start, so) + "," + rule(end, do)
}

// transitions finds the instants of the year when the offset becomes do
// (start of DST) and so (its end).
func transitions(loc *time.Location, y, so, do int) (start, end time.Time) {
	t := time.Date(y, 1, 1, 0, 0, 0, 0, loc)
	_, prev := t.Zone()
	for t.Year() == y {
		n := t.Add(time.Hour)
		if _, o := n.Zone(); o != prev {
			if o == do {
				start = n
			} else if o == so {
				end = n
			}
			prev = o
		}
		t = n
	}
	return start, end
}

// rule writes a transition as "Mm.w.d/h" in the local time before it.
func rule(t time.Time, before int) string {
	if t.IsZero() {
		return "M1.1.0"
	}
	l := t.UTC().Add(time.Duration(before) * time.Second)
	w := (l.Day()-1)/7 + 1
	if l.Day()+7 > daysIn(l.Month(), l.Year()) {
		w = 5
	}
	s := fmt.Sprintf("M%d.%d.%d", int(l.Month()), w, int(l.Weekday()))
	if h := l.Hour(); h != 2 {
		s += "/" + strconv.Itoa(h)
	}
	return s
}

func daysIn(m time.Month, y int) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func posixName(n string) string {
	for _, r := range n {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z') {
			return "<" + n + ">"
		}
	}
	return n
}

// posixOffset writes a UTC offset in seconds east as POSIX does: hours
// west, so UTC+8 is "-8".
func posixOffset(east int) string {
	w := -east
	sign := ""
	if w < 0 {
		sign, w = "-", -w
	}
	s := sign + strconv.Itoa(w/3600)
	if m := w % 3600 / 60; m != 0 {
		s += fmt.Sprintf(":%02d", m)
	}
	return s
}

// commonZones are tried when the ACS sends a POSIX string with daylight
// saving rules.
var commonZones = []string{
	"Europe/London", "Europe/Lisbon", "Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Rome",
	"Europe/Athens", "Europe/Helsinki", "Europe/Kiev", "America/New_York", "America/Chicago",
	"America/Denver", "America/Phoenix", "America/Los_Angeles", "America/Anchorage", "America/Halifax",
	"America/St_Johns", "America/Sao_Paulo", "America/Santiago", "America/Mexico_City",
	"Australia/Sydney", "Australia/Adelaide", "Australia/Brisbane", "Australia/Perth",
	"Pacific/Auckland", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Tokyo", "Asia/Seoul",
	"Asia/Kolkata", "Asia/Singapore", "Asia/Dubai", "Asia/Tehran", "Africa/Cairo", "Africa/Johannesburg", "UTC",
}

var fixedPOSIX = regexp.MustCompile(`^(?:[A-Za-z]{3,}|<[A-Za-z0-9+-]{3,}>)([+-]?)(\d{1,2})$`)

// zoneFor maps v to an IANA zone name; cur is the zone in effect.
func zoneFor(v, cur string, now time.Time) (string, error) {
	if strings.Contains(v, "/") || v == "UTC" {
		if _, err := time.LoadLocation(v); err == nil {
			return v, nil
		}
	}
	if v == posixTZ(cur, now) {
		return cur, nil
	}
	for _, z := range commonZones {
		if posixTZ(z, now) == v {
			return z, nil
		}
	}
	if m := fixedPOSIX.FindStringSubmatch(v); m != nil {
		h, _ := strconv.Atoi(m[2])
		if h == 0 {
			return "UTC", nil
		}
		if h <= 12 {
			sign := "+"
			if m[1] == "-" {
				sign = "-"
			}
			return "Etc/GMT" + sign + strconv.Itoa(h), nil
		}
	}
	return cur, fmt.Errorf("%q is not a zone this box knows: send an IANA name such as \"Europe/Berlin\" or a POSIX string such as \"CST-8\"", v)
}
