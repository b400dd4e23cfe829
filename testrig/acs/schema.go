package acs

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
)

// SchemaDir is the folder with the Broadband Forum CWMP schemas (copies of
// ../shared/standards/cwmp), the SOAP stand-ins and the XML catalog.
func SchemaDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "testdata", "xsd")
}

// Schemas returns the schema files an envelope in namespace ns must
// validate against: cwmp-1-0.xsd, cwmp-1-1.xsd, or cwmp-1-2.xsd and the
// protocol-version-1.4 schema that extends the same namespace.
func Schemas(ns string) []string {
	switch ns {
	case CWMP10:
		return []string{"cwmp-1-0.xsd"}
	case CWMP11:
		return []string{"cwmp-1-1.xsd"}
	default:
		return []string{"cwmp-1-2.xsd", "cwmp-1-4.xsd"}
	}
}

var errInvalid = errors.New("acs: envelope does not validate")

// Check validates envelopes with xmllint against schema (a file of
// SchemaDir, e.g. "cwmp-1-2.xsd"), without the network. The error quotes
// xmllint for the first envelope that fails.
func Check(schema string, envelopes ...[]byte) error {
	if len(envelopes) == 0 {
		return nil
	}
	dir := SchemaDir()
	tmp, err := os.MkdirTemp("", "acs-check-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	args := []string{"--nonet", "--noout", "--schema", filepath.Join(dir, schema)}
	for i, e := range envelopes {
		name := filepath.Join(tmp, "envelope-"+strconv.Itoa(i)+".xml")
		if err := os.WriteFile(name, e, 0o600); err != nil {
			return err
		}
		args = append(args, name)
	}
	cmd := exec.Command("xmllint", args...)
	cmd.Env = append(os.Environ(), "XML_CATALOG_FILES="+filepath.Join(dir, "catalog.xml"))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("%w against %s:\n%s", errInvalid, schema, out.String())
		}
		return fmt.Errorf("acs: xmllint: %w", err)
	}
	return nil
}

var cwmpNS = regexp.MustCompile(`urn:dslforum-org:cwmp-1-[0-9]+`)

// CheckSession validates every envelope of a session against the schemas
// of the CWMP namespace it uses (the first one it names).
func CheckSession(s *Session) error {
	byNS := map[string][][]byte{}
	for _, e := range s.Envelopes {
		ns := string(cwmpNS.Find(e))
		byNS[ns] = append(byNS[ns], e)
	}
	for ns, envs := range byNS {
		for _, schema := range Schemas(ns) {
			if err := Check(schema, envs...); err != nil {
				return err
			}
		}
	}
	return nil
}
