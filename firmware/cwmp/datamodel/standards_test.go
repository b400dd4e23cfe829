package datamodel

import (
	"bufio"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// The oracle for parameter names is the Broadband Forum XML in
// ../shared/standards/cwmp beside the repository. A fresh clone without
// it still checks against testdata/standard-params.txt: the rows of the
// XML for every name the model exposes, extracted by
// `go test -run TestNamesInStandards -update` (as testrig/g168 carries its
// annex data). When the XML is there, the test also checks that the
// extract is what the XML says.

var update = flag.Bool("update", false, "rewrite testdata/standard-params.txt from ../shared/standards")

const extractFile = "testdata/standard-params.txt"

// stdRow is what the XML says of one name.
type stdRow struct {
	typ    string // TR-069 primitive type; "object" for objects
	access string // readOnly, readWrite, writeOnceReadOnly
	notify string // activeNotify: normal, canDeny, forceEnabled, forceDefaultEnabled
}

func (r stdRow) String() string { return r.typ + " " + r.access + " " + r.notify }

// standardsDir finds ../shared/standards/cwmp beside the module root.
func standardsDir() string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "..", "shared", "standards", "cwmp")
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// parseModel reads a Broadband Forum data-model XML: every object and
// parameter with its type, access and activeNotify; names are prefixed
// with prefix (the TR-104 service models start at "VoiceService.").
func parseModel(r io.Reader, prefix string) (map[string]stdRow, error) {
	dec := xml.NewDecoder(r)
	out := map[string]stdRow{}
	types := map[string]string{} // dataType name -> primitive or "base:<name>"
	var (
		obj, param, dataType string
		row                  stdRow
		inSyntax             bool
		depth                int // element depth inside <syntax>
	)
	attr := func(e xml.StartElement, n string) string {
		for _, a := range e.Attr {
			if a.Name.Local == n {
				return a.Value
			}
		}
		return ""
	}
	primitives := []string{"string", "int", "unsignedInt", "long", "unsignedLong", "boolean", "dateTime", "base64", "hexBinary", "decimal"}
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch e := tok.(type) {
		case xml.StartElement:
			name := e.Name.Local
			switch {
			case name == "dataType" && !inSyntax && obj == "":
				dataType = attr(e, "name")
				if b := attr(e, "base"); b != "" {
					types[dataType] = "base:" + b
				}
			case name == "object":
				obj = attr(e, "name")
				if obj == "" {
					obj = attr(e, "base")
				}
				if obj != "" { // not a profile's reference
					out[prefix+obj] = stdRow{typ: "object", access: attr(e, "access"), notify: "normal"}
				}
			case name == "parameter" && obj != "" && !inSyntax:
				param = attr(e, "name")
				if param == "" {
					param = attr(e, "base")
				}
				row = stdRow{access: attr(e, "access"), notify: cmp(attr(e, "activeNotify"), "normal")}
			case name == "syntax":
				inSyntax, depth = true, 0
			case inSyntax:
				depth++
				if depth != 1 {
					break
				}
				switch {
				case name == "list":
					row.typ = "string"
				case name == "dataType" && row.typ == "":
					row.typ = "ref:" + attr(e, "ref")
				case slices.Contains(primitives, name) && row.typ == "":
					row.typ = name
				}
			case dataType != "" && slices.Contains(primitives, name) && types[dataType] == "":
				types[dataType] = name
			}
		case xml.EndElement:
			switch {
			case e.Name.Local == "syntax":
				inSyntax = false
			case inSyntax:
				depth--
			case e.Name.Local == "parameter" && param != "":
				if obj != "" {
					out[prefix+obj+param] = row
				}
				param = ""
			case e.Name.Local == "object":
				obj = ""
			case e.Name.Local == "dataType":
				dataType = ""
			}
		}
	}
	for k, r := range out {
		for i := 0; strings.HasPrefix(r.typ, "ref:") && i < 10; i++ {
			t := types[strings.TrimPrefix(r.typ, "ref:")]
			if b, ok := strings.CutPrefix(t, "base:"); ok {
				t = "ref:" + b
			}
			r.typ = t
		}
		if r.typ == "hexBinary" || r.typ == "decimal" {
			r.typ = "string"
		}
		out[k] = r
	}
	return out, nil
}

func cmp(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// loadStandards reads the three XMLs: TR-181 for Device., and TR-104
// issue 2 or issue 1 for the voice service.
func loadStandards(t *testing.T, dir string) (v2, v1 map[string]stdRow) {
	t.Helper()
	read := func(name, prefix string) map[string]stdRow {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		m, err := parseModel(bufio.NewReader(f), prefix)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return m
	}
	dev := read("tr-181-2-17-0-cwmp-full.xml", "")
	voice2 := read("tr-104-2-0-2-cwmp-full.xml", "Device.Services.")
	voice1 := read("tr-104-1-1-0-full.xml", "Device.Services.")
	v2, v1 = map[string]stdRow{}, map[string]stdRow{}
	for k, r := range dev {
		v2[k], v1[k] = r, r
	}
	for k, r := range voice2 {
		v2[k] = r
	}
	for k, r := range voice1 {
		v1[k] = r
	}
	return v2, v1
}

var instance = regexp.MustCompile(`\.\d+\.`)

// pattern turns a name with instance numbers back into the XML's form.
func pattern(name string) string {
	for {
		p := instance.ReplaceAllString(name, ".{i}.")
		if p == name {
			return p
		}
		name = p
	}
}

// exposed lists every name of the model's table (objects end with "."),
// in the XML's pattern form, with what the model says of it: every row
// and every object above one, whether or not it has instances now.
func exposed(t *testing.T, m *Model, s *schema) map[string]stdRow {
	t.Helper()
	out := map[string]stdRow{}
	notifies := [...]string{"normal", "canDeny", "forceEnabled", "forceDefaultEnabled"}
	for _, p := range s.params {
		acc := "readOnly"
		if p.writable() {
			acc = "readWrite"
		}
		out[pattern(p.name)] = stdRow{typ: p.typ.String(), access: acc, notify: notifies[p.notify]}
		segs := strings.Split(p.name, ".")
		for i := 1; i < len(segs); i++ {
			obj := strings.Join(segs[:i], ".") + "."
			if i < len(segs)-1 && (segs[i] == "{i}" || segs[i] == "1" && obj == "Device.Services.VoiceService.") {
				continue // a table: the XML describes its instances, next
			}
			acc := "readOnly"
			if tb := s.tables[strings.TrimSuffix(obj, ".")]; tb != nil && (tb.add != nil || tb.del != nil) {
				acc = "readWrite"
			}
			out[pattern(obj)] = stdRow{typ: "object", access: acc, notify: "normal"}
		}
	}
	// The names the model lists at run time are the same.
	e := m.env()
	s.walk(e, entry{n: s.root}, func(en entry) {
		n := pattern(en.name)
		if en.isObject() && len(en.n.kids) == 1 && (en.n.kids[0].seg == "{i}" || en.n.kids[0].seg == "1") {
			n += "{i}."
		}
		if _, ok := out[n]; !ok {
			t.Errorf("%s listed at run time, not in the table", en.name)
		}
	})
	return out
}

// vendorRows are the documented vendor extensions (doc.go), with the
// type and access the model must give them.
func vendorRows(x string) map[string]stdRow {
	return map[string]stdRow{
		"Device." + x + "LockedParameters":                                                        {"string", "readWrite", "normal"},
		"Device.ManagementServer." + x + "DataModel":                                              {"string", "readWrite", "normal"},
		"Device.Services.VoiceService.{i}.SIP.Network.{i}." + x + "DigitMap":                      {"string", "readWrite", "normal"},
		"Device.Services.VoiceService.{i}.CallControl.NumberingPlan.{i}." + x + "FirstDigitTimer": {"unsignedInt", "readWrite", "normal"},
		"Device.Services.VoiceService.{i}.POTS.FXS.{i}.DiagTests." + x + "Detail":                 {"string", "readOnly", "normal"},
	}
}

func TestNamesInStandards(t *testing.T) {
	m, _, _ := newModel(t, 4)
	m.o.Device.FXO, m.o.Device.E1 = 2, 1 // show every optional object
	withRecords(m)
	x := m.VendorPrefix()
	flavours := []struct {
		name string
		s    *schema
	}{{"tr104v2", m.v2}, {"tr104v1", m.v1}}

	// What the model exposes, as the check sees it.
	got := map[string]map[string]stdRow{}
	for _, f := range flavours {
		got[f.name] = exposed(t, m, f.s)
	}
	dir := standardsDir()
	_, err := os.Stat(filepath.Join(dir, "tr-181-2-17-0-cwmp-full.xml"))
	haveXML := err == nil
	if *update && !haveXML {
		t.Fatalf("-update needs the XML in %s", dir)
	}
	if haveXML {
		v2, v1 := loadStandards(t, dir)
		std := map[string]map[string]stdRow{"tr104v2": v2, "tr104v1": v1}
		var b strings.Builder
		b.WriteString("# Rows of the Broadband Forum data models (TR-181 2.17, TR-104 2.0.2 / 1.1.0) for every name\n")
		b.WriteString("# the data model exposes: flavour name type access activeNotify. Generated by -update.\n")
		for _, f := range flavours {
			for _, n := range slices.Sorted(maps.Keys(got[f.name])) {
				if strings.Contains(n, x) {
					continue
				}
				r, ok := std[f.name][n]
				if !ok {
					t.Errorf("%s: %s is in no Broadband Forum data model", f.name, n)
					continue
				}
				fmt.Fprintf(&b, "%s %s %s\n", f.name, n, r)
			}
		}
		if *update {
			if err := os.WriteFile(extractFile, []byte(b.String()), 0o644); err != nil {
				t.Fatal(err)
			}
		} else if old, err := os.ReadFile(extractFile); err != nil || string(old) != b.String() {
			t.Errorf("%s is not what the XML says of the exposed names; run go test -run TestNamesInStandards -update", extractFile)
		}
	}
	std := readExtract(t)
	for _, f := range flavours {
		for _, n := range slices.Sorted(maps.Keys(got[f.name])) {
			g := got[f.name][n]
			if strings.Contains(n, x) {
				want, ok := vendorRows(x)[n]
				if !ok && g.typ != "object" {
					t.Errorf("%s: vendor extension %s is not documented", f.name, n)
				}
				if ok && g != want {
					t.Errorf("%s: %s is %v, documented as %v", f.name, n, g, want)
				}
				continue
			}
			r, ok := std[f.name][n]
			if !ok {
				t.Errorf("%s: %s is not in %s", f.name, n, extractFile)
				continue
			}
			switch {
			case g.typ == "object":
				// An object may offer less than the standard (no
				// AddObject), never more.
				if g.access == "readWrite" && r.access != "readWrite" {
					t.Errorf("%s: object %s: AddObject/DeleteObject allowed, standard says %s", f.name, n, r.access)
				}
			case g != r:
				t.Errorf("%s: %s is %v, standard says %v", f.name, n, g, r)
			}
		}
	}
	// The vendor extensions are documented in the package comment.
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	for n := range vendorRows("X_<OUI>_") {
		short := n[strings.LastIndex(n, "X_"):]
		if !strings.Contains(string(doc), short) {
			t.Errorf("doc.go does not document %s", short)
		}
	}
	if len(got["tr104v2"]) < 200 || len(got["tr104v1"]) < 100 {
		t.Errorf("the model exposes %d (v2) and %d (v1) names: the table lost its rows", len(got["tr104v2"]), len(got["tr104v1"]))
	}
}

func readExtract(t *testing.T) map[string]map[string]stdRow {
	t.Helper()
	data, err := os.ReadFile(extractFile)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]stdRow{}
	for _, l := range strings.Split(string(data), "\n") {
		f := strings.Fields(l)
		if len(f) != 5 || strings.HasPrefix(l, "#") {
			continue
		}
		if out[f[0]] == nil {
			out[f[0]] = map[string]stdRow{}
		}
		out[f[0]][f[1]] = stdRow{f[2], f[3], f[4]}
	}
	return out
}
