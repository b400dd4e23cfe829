package datamodel

import (
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// xtype is the TR-069 type of a parameter (TR-106 primitive types as CWMP
// carries them: lists and references travel as strings).
type xtype uint8

const (
	tString xtype = iota
	tInt
	tUint
	tLong
	tULong
	tBool
	tDateTime
	tBase64
)

var typeNames = [...]string{"string", "int", "unsignedInt", "long", "unsignedLong", "boolean", "dateTime", "base64"}

func (t xtype) String() string { return typeNames[t] }

// xsd is the type as written in a ParameterValueStruct.
func (t xtype) xsd() string { return "xsd:" + typeNames[t] }

// parseXSD reads "xsd:unsignedInt" (any prefix, or none).
func parseXSD(s string) (xtype, bool) {
	if i := strings.IndexByte(s, ':'); i >= 0 {
		s = s[i+1:]
	}
	for i, n := range typeNames {
		if n == s {
			return xtype(i), true
		}
	}
	return 0, false
}

var errLexical = errors.New("not a valid lexical form")

// unknownTime is the TR-106 "Unknown Time" value.
const unknownTime = "0001-01-01T00:00:00Z"

// canon checks v against t and returns its canonical form.
func canon(t xtype, v string) (string, error) {
	v = strings.TrimSpace(v)
	switch t {
	case tString:
		return v, nil
	case tInt:
		n, err := strconv.ParseInt(v, 10, 32)
		if err != nil {
			return "", errLexical
		}
		return strconv.FormatInt(n, 10), nil
	case tLong:
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return "", errLexical
		}
		return strconv.FormatInt(n, 10), nil
	case tUint:
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return "", errLexical
		}
		return strconv.FormatUint(n, 10), nil
	case tULong:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			return "", errLexical
		}
		return strconv.FormatUint(n, 10), nil
	case tBool:
		switch v {
		case "1", "true":
			return "true", nil
		case "0", "false":
			return "false", nil
		}
		return "", errLexical
	case tDateTime:
		if v == unknownTime || strings.HasPrefix(v, "0001-01-01T00:00:00") {
			return unknownTime, nil
		}
		tm, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			// TR-106 allows a dateTime without a zone (local time).
			tm, err = time.Parse("2006-01-02T15:04:05", v)
			if err != nil {
				return "", errLexical
			}
		}
		return tm.UTC().Format(time.RFC3339), nil
	case tBase64:
		if _, err := base64.StdEncoding.DecodeString(v); err != nil {
			return "", errLexical
		}
		return v, nil
	}
	return "", errLexical
}

func fmtBool(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return unknownTime
	}
	return t.UTC().Format(time.RFC3339)
}

func fmtUint(n uint64) string { return strconv.FormatUint(n, 10) }

func fmtInt(n int) string { return strconv.Itoa(n) }

// seconds renders d as whole seconds.
func seconds(d time.Duration) string { return fmtUint(uint64(max(d, 0) / time.Second)) }

// atoi reads a canonical int or unsignedInt value.
func atoi(v string) int {
	n, _ := strconv.ParseInt(v, 10, 64)
	return int(n)
}
