package webui

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/update"
	"github.com/openiad/openiad/firmware/update/image"
)

// BackupFormat names the backup file format; BackupVersion is its version.
const (
	BackupFormat  = "openiad-config-backup"
	BackupVersion = 1
)

// Backup is a configuration backup file.
type Backup struct {
	Format    string          `json:"format"`
	Version   int             `json:"version"`
	Board     string          `json:"board"`     // board driver name of the box that wrote it
	Ports     int             `json:"ports"`     // its number of ports
	Firmware  string          `json:"firmware"`  // its firmware version
	Created   time.Time       `json:"created"`   //
	Passwords bool            `json:"passwords"` // the SIP passwords are in the file
	Config    json.RawMessage `json:"config"`    // config.Config, schema as written
}

type systemData struct {
	Version      string `json:"version"`
	Board        string `json:"board"`
	Schema       int    `json:"schema"`
	Revision     int64  `json:"revision"`
	CanReboot    bool   `json:"canReboot"`
	CanReset     bool   `json:"canFactoryReset"`
	CanUpgrade   bool   `json:"canUpgrade"`
	MaxImageSize int64  `json:"maxImageBytes"`
	Message      string `json:"message,omitempty"`
	Error        bool   `json:"error,omitempty"`
}

func (s *Server) identity() (board string, ports int) {
	if s.o.Status != nil {
		b := s.o.Status.Box()
		return b.Board, b.FXS + b.FXO
	}
	return "", len(s.o.Config.Get().Ports)
}

func (s *Server) systemData() systemData {
	c := s.o.Config.Get()
	board, _ := s.identity()
	return systemData{Version: s.o.Version, Board: board, Schema: c.Schema, Revision: c.Revision,
		CanReboot: s.o.Reboot != nil, CanReset: s.o.FactoryReset != nil, CanUpgrade: s.o.Upgrade != nil, MaxImageSize: MaxImageBytes}
}

func (s *Server) systemPage(x *rx) {
	x.page(http.StatusOK, "system", "title.system", "system", s.systemData())
}

// systemResult shows the system page with a message (or JSON).
func (s *Server) systemResult(x *rx, status int, code, msg string, extra map[string]any) {
	if x.json {
		if status >= 400 {
			x.writeJSON(status, apiError{Error: msg, Code: code})
			return
		}
		v := map[string]any{"ok": true, "message": msg}
		for k, e := range extra {
			v[k] = e
		}
		x.writeJSON(status, v)
		return
	}
	d := s.systemData()
	d.Message, d.Error = msg, status >= 400
	x.page(status, "system", "title.system", "system", d)
}

// backup downloads the configuration. ?passwords=1 (administrators only)
// includes the SIP passwords.
func (s *Server) backup(x *rx) {
	withPw := x.r.URL.Query().Get("passwords") == "1"
	if withPw && x.sess.role != "administrator" {
		x.fail(http.StatusForbidden, "forbidden", x.T("err.role"))
		return
	}
	c := s.o.Config.Get()
	if !withPw {
		for i := range c.Ports {
			c.Ports[i].SIP.Password = ""
		}
		c.CWMP.Password, c.CWMP.ConnectionRequestPassword = "", ""
	}
	raw, err := config.Encode(&c)
	if err != nil {
		x.fail(http.StatusInternalServerError, "internal", err.Error())
		return
	}
	board, ports := s.identity()
	b := Backup{Format: BackupFormat, Version: BackupVersion, Board: board, Ports: ports, Firmware: s.o.Version,
		Created: s.now().UTC(), Passwords: withPw, Config: json.RawMessage(raw)}
	out, err := json.MarshalIndent(&b, "", "  ")
	if err != nil {
		x.fail(http.StatusInternalServerError, "internal", err.Error())
		return
	}
	name := fmt.Sprintf("openiad-%s-rev%d-%s.json", safeName(board), c.Revision, s.now().UTC().Format("20060102-150405"))
	h := x.w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="`+name+`"`)
	h.Set("Content-Length", strconv.Itoa(len(out)+1))
	x.w.WriteHeader(http.StatusOK)
	x.w.Write(append(out, '\n'))
	s.log.Info("webui: configuration backup", "user", x.sess.user, "passwords", withPw)
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

// upload returns the reader of the uploaded file: the multipart part
// named name, or the whole body for any other content type.
func upload(r *http.Request, name string) (io.Reader, error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return r.Body, nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		p, err := mr.NextPart()
		if err != nil {
			if err == io.EOF {
				return nil, errNoFile
			}
			return nil, err
		}
		if p.FormName() == name {
			return p, nil
		}
	}
}

var errNoFile = errors.New("webui: no file in the upload")

// restoreError is a restore refusal for people.
type restoreError struct{ msg string }

func (e *restoreError) Error() string { return e.msg }

// checkBackup decodes a backup file and checks that it fits this box.
func (s *Server) checkBackup(x *rx, data []byte) (*Backup, config.Config, error) {
	var b Backup
	if err := json.Unmarshal(data, &b); err != nil {
		return nil, config.Config{}, &restoreError{x.T("restore.notjson", err.Error())}
	}
	if b.Format != BackupFormat {
		return nil, config.Config{}, &restoreError{x.T("restore.format")}
	}
	if b.Version > BackupVersion || b.Version < 1 {
		return nil, config.Config{}, &restoreError{x.T("restore.version", b.Version, BackupVersion)}
	}
	board, ports := s.identity()
	if b.Board != board {
		return nil, config.Config{}, &restoreError{x.T("restore.board", b.Board, board)}
	}
	if b.Ports != ports {
		return nil, config.Config{}, &restoreError{x.T("restore.ports", b.Ports, ports)}
	}
	var head struct {
		Schema int `json:"schema"`
	}
	json.Unmarshal(b.Config, &head)
	if head.Schema > config.SchemaVersion {
		return nil, config.Config{}, &restoreError{x.T("restore.schema", head.Schema, config.SchemaVersion, b.Firmware)}
	}
	c, err := config.Parse(b.Config)
	if err != nil {
		return nil, config.Config{}, &restoreError{x.T("restore.invalid", strings.ReplaceAll(err.Error(), "\n", "; "))}
	}
	return &b, c, nil
}

func (s *Server) restore(x *rx) {
	r, err := upload(x.r, "file")
	if err != nil {
		s.restoreRefused(x, err)
		return
	}
	data, err := io.ReadAll(io.LimitReader(r, MaxBackupBytes+1))
	if err != nil {
		s.restoreRefused(x, err)
		return
	}
	if len(data) > MaxBackupBytes {
		s.restoreRefused(x, &restoreError{x.T("err.toolarge", MaxBackupBytes)})
		return
	}
	b, next, err := s.checkBackup(x, data)
	if err != nil {
		s.restoreRefused(x, err)
		return
	}
	changes, err := s.o.Config.Update(config.SourceWeb, x.who(), func(c *config.Config) error {
		before := c.Clone()
		n := next.Clone()
		n.Revision = c.Revision
		n.Locks = c.Locks // the carrier's locks are not the backup's to change
		if !b.Passwords {
			if n.CWMP.Password == "" {
				n.CWMP.Password = c.CWMP.Password
			}
			if n.CWMP.ConnectionRequestPassword == "" {
				n.CWMP.ConnectionRequestPassword = c.CWMP.ConnectionRequestPassword
			}
			for i := range n.Ports {
				if n.Ports[i].SIP.Password == "" {
					if p := c.Port(n.Ports[i].Index); p != nil {
						n.Ports[i].SIP.Password = p.SIP.Password
					}
				}
			}
		}
		*c = n
		return s.checkRole(x, &before, c)
	})
	if err != nil {
		s.restoreRefused(x, &restoreError{x.T("restore.refused", describe(x.refusals(err)))})
		return
	}
	s.log.Info("webui: configuration restored", "user", x.sess.user, "changes", len(changes))
	s.systemResult(x, http.StatusOK, "", x.T("restore.done", len(changes)), map[string]any{"changes": changes})
}

func (s *Server) restoreRefused(x *rx, err error) {
	var mbe *http.MaxBytesError
	var re *restoreError
	switch {
	case errors.As(err, &mbe):
		s.systemResult(x, http.StatusRequestEntityTooLarge, "too_large", x.T("err.toolarge", mbe.Limit), nil)
	case errors.As(err, &re):
		s.systemResult(x, http.StatusUnprocessableEntity, "restore_refused", re.msg, nil)
	case errors.Is(err, errNoFile):
		s.systemResult(x, http.StatusBadRequest, "bad_request", x.T("restore.nofile"), nil)
	default:
		s.systemResult(x, http.StatusBadRequest, "bad_request", x.T("err.badrequest", err.Error()), nil)
	}
}

func confirmed(x *rx) bool {
	v, err := x.values()
	return err == nil && (v["confirm"] == "yes" || v["confirm"] == "true" || v["confirm"] == "on")
}

func (s *Server) action(x *rx, f func(context.Context) error, what, doneKey string) {
	if f == nil {
		s.systemResult(x, http.StatusNotImplemented, "not_available", x.T("err.unavailable"), nil)
		return
	}
	if !confirmed(x) {
		s.systemResult(x, http.StatusUnprocessableEntity, "confirm", x.T("system.confirm"), nil)
		return
	}
	s.log.Warn("webui: "+what, "user", x.sess.user)
	if err := f(x.r.Context()); err != nil {
		s.systemResult(x, http.StatusInternalServerError, "failed", x.T("system.failed", err.Error()), nil)
		return
	}
	s.systemResult(x, http.StatusAccepted, "", x.T(doneKey), nil)
}

func (s *Server) reboot(x *rx) { s.action(x, s.o.Reboot, "reboot", "system.rebooting") }

func (s *Server) factoryReset(x *rx) {
	s.action(x, s.o.FactoryReset, "factory reset", "system.resetting")
}

// upgrade streams an uploaded image to Options.Upgrade. Without it, the
// image is read through a SHA-256 (so the installer can compare it with
// the vendor's) and refused: nothing is written anywhere.
func (s *Server) upgrade(x *rx) {
	r, err := upload(x.r, "image")
	if err == nil && s.o.Upgrade != nil {
		err = s.o.Upgrade(x.r.Context(), r)
		if err == nil {
			s.log.Warn("webui: firmware upgrade accepted", "user", x.sess.user)
			s.systemResult(x, http.StatusAccepted, "", x.T("upgrade.done"), nil)
			return
		}
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.systemResult(x, http.StatusRequestEntityTooLarge, "too_large", x.T("upgrade.refused", x.T("err.toolarge", mbe.Limit)), nil)
			return
		}
		s.log.Warn("webui: firmware upgrade refused", "user", x.sess.user, "err", err)
		s.systemResult(x, http.StatusUnprocessableEntity, "upgrade_refused", x.T("upgrade.refused", upgradeReason(x, err)), nil)
		return
	}
	var n int64
	h := sha256.New()
	if err == nil {
		n, err = io.Copy(h, r)
	}
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.systemResult(x, http.StatusRequestEntityTooLarge, "too_large", x.T("err.toolarge", mbe.Limit), nil)
			return
		}
		if errors.Is(err, errNoFile) {
			s.systemResult(x, http.StatusBadRequest, "bad_request", x.T("restore.nofile"), nil)
			return
		}
		s.systemResult(x, http.StatusBadRequest, "bad_request", x.T("err.badrequest", err.Error()), nil)
		return
	}
	sum := hex.EncodeToString(h.Sum(nil))
	s.log.Warn("webui: firmware upload refused: this build cannot check signatures", "user", x.sess.user, "bytes", n, "sha256", sum)
	if x.json {
		x.writeJSON(http.StatusUnprocessableEntity, map[string]any{"error": x.T("upgrade.unsigned", n, sum), "code": "upgrade_refused", "bytes": n, "sha256": sum})
		return
	}
	s.systemResult(x, http.StatusUnprocessableEntity, "upgrade_refused", x.T("upgrade.unsigned", n, sum), nil)
}

// upgradeReason says why an image was refused, in the page's language,
// with the installer's details after it.
func upgradeReason(x *rx, err error) string {
	key := ""
	switch {
	case errors.Is(err, image.ErrSignature):
		key = "upgrade.badsig"
	case errors.Is(err, image.ErrUntrusted):
		key = "upgrade.untrusted"
	case errors.Is(err, update.ErrBoard):
		key = "upgrade.board"
	case errors.Is(err, update.ErrDowngrade):
		key = "upgrade.downgrade"
	case errors.Is(err, image.ErrFormat), errors.Is(err, image.ErrManifest):
		key = "upgrade.format"
	case errors.Is(err, image.ErrCorrupt):
		key = "upgrade.corrupt"
	case errors.Is(err, update.ErrBusy):
		key = "upgrade.busy"
	default:
		return err.Error()
	}
	return x.T(key) + " (" + err.Error() + ")"
}

// addProfile appends a SIP profile with the factory settings.
func (s *Server) addProfile(x *rx) {
	var name string
	_, err := s.o.Config.Update(config.SourceWeb, x.who(), func(c *config.Config) error {
		p := config.DefaultSIPProfile()
		p.Name = fmt.Sprintf("carrier%d", len(c.SIP.Profiles)+1)
		name = p.Name
		c.SIP.Profiles = append(c.SIP.Profiles, p)
		return nil
	})
	if err != nil {
		x.fail(http.StatusUnprocessableEntity, "invalid", describe(x.refusals(err)))
		return
	}
	x.done("/settings/sip", map[string]any{"profile": name})
}

// removeProfile removes profile ?profile=N (form field "profile") when no
// port uses it; ports using later profiles are renumbered.
func (s *Server) removeProfile(x *rx) {
	v, err := x.values()
	if err != nil {
		x.badRequest(err)
		return
	}
	i, err := strconv.Atoi(v["profile"])
	if err != nil {
		x.fail(http.StatusUnprocessableEntity, "invalid", "profile: "+x.T("err.number"))
		return
	}
	_, err = s.o.Config.Update(config.SourceWeb, x.who(), func(c *config.Config) error {
		if i < 0 || i >= len(c.SIP.Profiles) {
			return &config.FieldError{Field: "profile", Reason: x.T("err.gone")}
		}
		for j, p := range c.Ports {
			if p.SIP.Profile == i && p.SIP.Enabled {
				return &config.FieldError{Field: fmt.Sprintf("ports[%d].sip.profile", j), Reason: x.T("sip.inuse", i)}
			}
		}
		c.SIP.Profiles = append(c.SIP.Profiles[:i:i], c.SIP.Profiles[i+1:]...)
		for j := range c.Ports {
			if c.Ports[j].SIP.Profile > i {
				c.Ports[j].SIP.Profile--
			} else if c.Ports[j].SIP.Profile == i {
				c.Ports[j].SIP.Profile = 0
			}
		}
		return nil
	})
	if err != nil {
		x.fail(http.StatusUnprocessableEntity, "invalid", describe(x.refusals(err)))
		return
	}
	x.done("/settings/sip", nil)
}
