package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"time"
)

// AuditRecord is one line of the audit log: one changed field.
type AuditRecord struct {
	Time time.Time `json:"time"`
	// Rev is the revision the change belongs to; for a "system" record
	// about a revision that did not take effect, the revision in effect.
	Rev    int64           `json:"rev"`
	Source Source          `json:"source"`
	Who    string          `json:"who"`
	Path   string          `json:"path"` // "" for the whole configuration
	Old    json.RawMessage `json:"old,omitempty"`
	New    json.RawMessage `json:"new,omitempty"`
	Note   string          `json:"note,omitempty"`
}

// auditLog is what the store learned from reading the audit log.
type auditLog struct {
	records []AuditRecord
	damaged int   // lines that are not records (torn by a power cut)
	torn    bool  // the file does not end with a newline
	maxRev  int64 // highest revision recorded
	lastRev int64 // revision of the last record
}

// readAudit reads the audit log. A missing file is an empty log. Lines that
// do not decode (a power cut tore them) are counted and skipped; the next
// append starts on a fresh line.
func readAudit(fsys FS, name string) (auditLog, error) {
	var a auditLog
	data, err := fsys.ReadFile(name)
	if errors.Is(err, fs.ErrNotExist) {
		return a, nil
	}
	if err != nil {
		return a, err
	}
	a.torn = len(data) > 0 && data[len(data)-1] != '\n'
	for len(data) > 0 {
		line := data
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			data = nil
		}
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var r AuditRecord
		if err := json.Unmarshal(line, &r); err != nil || r.Source == "" {
			a.damaged++
			continue
		}
		a.records = append(a.records, r)
		a.maxRev = max(a.maxRev, r.Rev)
		a.lastRev = r.Rev
	}
	return a, nil
}

// encodeAudit renders records as JSON lines, after a newline if the file
// ends in a torn line.
func encodeAudit(records []AuditRecord, torn bool) ([]byte, error) {
	var b bytes.Buffer
	if torn {
		b.WriteByte('\n')
	}
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i := range records {
		if err := enc.Encode(&records[i]); err != nil {
			return nil, err
		}
	}
	return b.Bytes(), nil
}
