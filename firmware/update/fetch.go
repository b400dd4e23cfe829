package update

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/openiad/openiad/firmware/update/image"
)

// Bounds of a download.
const (
	DefaultMaxImage     = 64 << 20
	DefaultFetchTimeout = 10 * time.Minute
)

var errFetch = errors.New("update: fetch")

// URLOptions modify [Updater.InstallURL].
type URLOptions struct {
	InstallOptions
	// Client fetches the image; default a client with Timeout.
	Client *http.Client
	// Timeout bounds the whole download and install; default DefaultFetchTimeout.
	Timeout time.Duration
	// MaxBytes bounds the image's size; default DefaultMaxImage.
	MaxBytes int64
	// Username and Password, when set, authenticate with HTTP Basic (the
	// TR-069 Download's credentials).
	Username, Password string
}

// InstallURL fetches the image at url (http or https) and installs it
// while it downloads: nothing is buffered, nothing is written unless the
// checks of Install pass.
func (u *Updater) InstallURL(ctx context.Context, url string, o URLOptions) (image.Manifest, error) {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	max := o.MaxBytes
	if max <= 0 {
		max = DefaultMaxImage
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return image.Manifest{}, fmt.Errorf("%w: %w", errFetch, err)
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return image.Manifest{}, fmt.Errorf("%w: %s is not an http:// or https:// address", errFetch, url)
	}
	if o.Username != "" || o.Password != "" {
		req.SetBasicAuth(o.Username, o.Password)
	}
	resp, err := client.Do(req)
	if err != nil {
		return image.Manifest{}, fmt.Errorf("%w: %w", errFetch, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return image.Manifest{}, fmt.Errorf("%w: %s: %s", errFetch, url, resp.Status)
	}
	if resp.ContentLength > max {
		return image.Manifest{}, fmt.Errorf("%w: %s is %d bytes, more than %d", errFetch, url, resp.ContentLength, max)
	}
	return u.Install(ctx, &limited{r: resp.Body, left: max, max: max}, o.InstallOptions)
}

type limited struct {
	r         io.Reader
	left, max int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("%w: image larger than %d bytes", errFetch, l.max)
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

// ConsoleUpgrade returns the console's upgrade action (console.Actions.Upgrade):
// it fetches and installs the image at url, tells the technician how it
// goes, and calls reboot once the image is installed.
func (u *Updater) ConsoleUpgrade(reboot func(context.Context) error) func(ctx context.Context, url string, progress func(string)) error {
	return func(ctx context.Context, url string, progress func(string)) error {
		progress("fetching " + url)
		last := int64(-1)
		m, err := u.InstallURL(ctx, url, URLOptions{InstallOptions: InstallOptions{
			Accepted: func(m image.Manifest, s Slot) {
				progress(fmt.Sprintf("signature OK: %s %s, %d parts, %.1f MiB; writing slot %s",
					m.Board, m.Version, len(m.Parts), float64(m.Size())/(1<<20), s))
			},
			Progress: func(n, total int64) {
				if total <= 0 {
					return
				}
				if q := n * 4 / total; q != last && q > 0 {
					last = q
					progress(fmt.Sprintf("%d%% written", q*25))
				}
			},
		}})
		if err != nil {
			return err
		}
		progress(fmt.Sprintf("installed %s; rebooting into it for a trial boot", m.Version))
		if reboot == nil {
			return nil
		}
		return reboot(ctx)
	}
}

// WebUpgrade returns the web page's upgrade hook (webui.Options.Upgrade):
// it installs the uploaded image and reboots shortly after, so the page
// can answer first.
func (u *Updater) WebUpgrade(reboot func(context.Context) error, delay time.Duration) func(ctx context.Context, r io.Reader) error {
	return func(ctx context.Context, r io.Reader) error {
		if _, err := u.Install(ctx, r, InstallOptions{}); err != nil {
			return err
		}
		if reboot != nil {
			time.AfterFunc(delay, func() { reboot(context.Background()) })
		}
		return nil
	}
}
