package cwmp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// File types of Download this box accepts (TR-069 A.3.2.8).
const (
	FileFirmware     = "1 Firmware Upgrade Image"
	FileVendorConfig = "3 Vendor Configuration File"
)

// acceptDownload checks a Download and queues it; the transfer runs after
// the session, DelaySeconds later.
func (c *Client) acceptDownload(r *Download) *Fault {
	switch r.FileType {
	case FileFirmware:
		if c.o.Firmware == nil {
			return &Fault{Code: FaultRequestDenied, String: "firmware downloads are not possible on this box"}
		}
	case FileVendorConfig:
		if c.o.ApplyConfig == nil {
			return &Fault{Code: FaultRequestDenied, String: "configuration downloads are not possible on this box"}
		}
	default:
		return &Fault{Code: FaultInvalidArguments, String: "unsupported FileType " + r.FileType}
	}
	u, err := url.Parse(r.URL)
	if err != nil || u.Host == "" {
		return &Fault{Code: FaultInvalidArguments, String: "bad URL"}
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return &Fault{Code: FaultUnsupportedProto, String: "only http and https downloads"}
	}
	d := PendingDownload{
		CommandKey: r.CommandKey, FileType: r.FileType, URL: r.URL,
		Username: r.Username, Password: r.Password, FileSize: r.FileSize,
		Due: c.now().Add(time.Duration(r.DelaySeconds) * time.Second),
	}
	if err := c.events.SaveDownload(d); err != nil {
		return &Fault{Code: FaultInternal, String: err.Error()}
	}
	return nil
}

// startDownloads runs the downloads that are due, one after the other.
func (c *Client) startDownloads(ctx context.Context, now time.Time) {
	for _, d := range c.events.Downloads() {
		if d.AwaitingReboot || d.Due.After(now) {
			continue
		}
		c.download(ctx, d)
	}
}

func (c *Client) download(ctx context.Context, d PendingDownload) {
	d.Started = c.now()
	c.log.Info("cwmp: download", "url", d.URL, "type", d.FileType)
	fault := c.fetch(ctx, d, func(r io.Reader) error {
		if d.FileType == FileFirmware {
			if err := c.o.Firmware.Install(ctx, r); err != nil {
				return err
			}
			// Written to the inactive slot: remember, then reboot into it.
			d.Completed = c.now()
			d.AwaitingReboot = true
			if err := c.events.SaveDownload(d); err != nil {
				return &Fault{Code: FaultInternal, String: err.Error()}
			}
			c.mu.Lock()
			c.wrote = true
			c.mu.Unlock()
			return nil
		}
		return c.o.ApplyConfig(ctx, r)
	})
	if fault == nil && d.AwaitingReboot {
		c.log.Warn("cwmp: firmware written; rebooting into it")
		if c.o.Reboot != nil {
			if err := c.o.Reboot(ctx); err != nil {
				c.log.Error("cwmp: reboot", "err", err)
			}
		}
		return
	}
	tc := TransferComplete{CommandKey: d.CommandKey, StartTime: d.Started, CompleteTime: c.now()}
	if fault != nil {
		tc.Fault = TransferFault{FaultCode: fault.Code, FaultString: fault.Error()}
		if fault.String != "" {
			tc.Fault.FaultString = fault.String
		}
		c.log.Warn("cwmp: download failed", "fault", fault.Code, "reason", tc.Fault.FaultString)
	}
	if err := c.events.Completed(tc); err != nil {
		c.log.Error("cwmp: events", "err", err)
	}
}

// fetch gets the file and hands its body to use; the fault says why it
// failed.
func (c *Client) fetch(ctx context.Context, d PendingDownload, use func(io.Reader) error) *Fault {
	s := c.settings()
	rt := c.o.Transport
	if rt == nil {
		tr, err := c.transport(s.CACerts)
		if err != nil {
			return &Fault{Code: FaultInternal, String: err.Error()}
		}
		rt = tr
	}
	hc := &http.Client{Transport: rt, Timeout: 30 * time.Minute}
	get := func(auth func(*http.Request)) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, d.URL, nil)
		if err != nil {
			return nil, err
		}
		if auth != nil {
			auth(req)
		}
		return hc.Do(req)
	}
	resp, err := get(nil)
	if err != nil {
		return &Fault{Code: FaultContactServer, String: err.Error()}
	}
	if resp.StatusCode == http.StatusUnauthorized && d.Username != "" {
		h := resp.Header.Get("WWW-Authenticate")
		resp.Body.Close()
		scheme, rest, _ := strings.Cut(h, " ")
		var auth func(*http.Request)
		if strings.EqualFold(scheme, "Digest") {
			dc := &digestClient{user: d.Username, pass: d.Password, chal: parseAuth(rest)}
			auth = dc.authorize
		} else {
			auth = func(r *http.Request) { r.SetBasicAuth(d.Username, d.Password) }
		}
		if resp, err = get(auth); err != nil {
			return &Fault{Code: FaultContactServer, String: err.Error()}
		}
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return &Fault{Code: 9012, String: fmt.Sprintf("file server answered HTTP %d", resp.StatusCode)}
	case resp.StatusCode != http.StatusOK:
		return &Fault{Code: FaultFileAccess, String: fmt.Sprintf("file server answered HTTP %d", resp.StatusCode)}
	}
	if err := use(resp.Body); err != nil {
		var f *Fault
		if errors.As(err, &f) {
			return f
		}
		return &Fault{Code: FaultDownload, String: err.Error()}
	}
	return nil
}

// resolveInstall turns a firmware install that rebooted into its
// TransferComplete, once the update path knows whether the new firmware
// was committed or rolled back.
// It reports whether an install is still undecided.
func (c *Client) resolveInstall() (undecided bool) {
	for _, d := range c.events.Downloads() {
		if !d.AwaitingReboot || c.o.Firmware == nil {
			continue
		}
		if c.rebooting() {
			continue // this boot wrote the image; the verdict comes after the reboot
		}
		done, fault, reason := c.o.Firmware.Outcome()
		if !done {
			undecided = true
			continue
		}
		tc := TransferComplete{CommandKey: d.CommandKey, StartTime: d.Started, CompleteTime: d.Completed,
			Fault: TransferFault{FaultCode: fault, FaultString: reason}}
		if fault != 0 && tc.Fault.FaultString == "" {
			tc.Fault.FaultString = FaultText(fault)
		}
		if err := c.events.Completed(tc); err != nil {
			c.log.Error("cwmp: events", "err", err)
		}
	}
	return undecided
}

// rebooting reports whether this boot wrote a firmware image and waits for
// the reboot into it.
func (c *Client) rebooting() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.wrote
}
