package datamodel

import (
	"testing"
	"time"
)

func TestPOSIXZones(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct{ zone, posix string }{
		{"Asia/Shanghai", "CST-8"},
		{"UTC", "UTC0"},
		{"Asia/Kolkata", "IST-5:30"},
		{"America/New_York", "EST5EDT,M3.2.0,M11.1.0"},
		{"Europe/Berlin", "CET-1CEST,M3.5.0,M10.5.0/3"},
		{"Europe/London", "GMT0BST,M3.5.0/1,M10.5.0"},
		{"Australia/Sydney", "AEST-10AEDT,M10.1.0,M4.1.0/3"},
		{"Asia/Dubai", "<+04>-4"},
	}
	for _, tt := range tests {
		if got := posixTZ(tt.zone, now); got != tt.posix {
			t.Errorf("posixTZ(%s) = %q, want %q", tt.zone, got, tt.posix)
		}
		if z, err := zoneFor(tt.posix, "Asia/Shanghai", now); err != nil || posixTZ(z, now) != tt.posix {
			t.Errorf("zoneFor(%q) = %q, %v: not the same rules", tt.posix, z, err)
		}
	}
	for v, want := range map[string]string{"Europe/Paris": "Europe/Paris", "XYZ-3": "Etc/GMT-3", "ABC+11": "Etc/GMT+11", "<-02>2": "Etc/GMT+2"} {
		if z, err := zoneFor(v, "UTC", now); err != nil || z != want {
			t.Errorf("zoneFor(%q) = %q, %v; want %q", v, z, err, want)
		}
	}
	for _, bad := range []string{"", "Mars/Olympus", "XYZ-13", "FOO1BAR,M13.1.0,M1.1.0", "../../etc/passwd"} {
		if z, err := zoneFor(bad, "Asia/Shanghai", now); err == nil {
			t.Errorf("zoneFor(%q) = %q, want an error", bad, z)
		}
	}
}
