package console

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
	"github.com/openiad/openiad/firmware/logbuf"
)

// maxTypeahead is how many keys typed while a command runs are kept for
// after it (a pasted block of commands).
const maxTypeahead = 4096

// session states
type sstate uint8

const (
	stLogin    sstate = iota // "login: "
	stPassword               // "password: "
	stShell                  // logged in
	stLocked                 // too many failures: waiting out the lock-out
)

// askReq is a question a running command asks the technician.
type askReq struct {
	prompt string
	echo   bool
	fresh  bool        // a confirmation: keys typed before the question do not answer it
	reply  chan string // buffered; closed without a value when cancelled
}

// hiddenInput is a value typed without echo at the shell (a password in
// config set); fn gets it in the session goroutine.
type hiddenInput struct {
	prompt string
	fn     func(string)
}

// running is the command running in its own goroutine.
type running struct {
	name   string
	cancel context.CancelFunc
	done   chan error
	out    *lineWriter
}

// session is the console on one opened terminal: login, then commands,
// until logout, and again. All its fields belong to the goroutine running
// loop; commands marked async run in a goroutine of their own and talk to
// it through asks and the Screen only.
type session struct {
	c    *Console
	o    *Options
	ctx  context.Context
	scr  *Screen
	name string // terminal name, for the audit trail

	dec   decoder
	ed    editor
	state sstate
	user  string // login name typed
	who   string // "admin@ttyS0" once logged in

	idle     *time.Timer
	lockTick *time.Ticker

	run       *running
	lastCmd   string // the command line's command last run, "config save"
	hidden    *hiddenInput
	asks      chan *askReq
	ask       *askReq
	typeahead []key

	logSub     *logbuf.Subscription
	logLevel   slog.Level
	logDropped uint64
	trace      <-chan SIPMessage
	traceStop  func()

	cand candidate
}

func newSession(ctx context.Context, c *Console, scr *Screen, name string) *session {
	return &session{c: c, o: &c.o, ctx: ctx, scr: scr, name: name, asks: make(chan *askReq)}
}

// loop serves the terminal until its input ends (errGone), the screen
// fails, or ctx is done (nil).
func (s *session) loop(in <-chan []byte) error {
	s.greet()
	for {
		var idleC, lockC <-chan time.Time
		if s.idle != nil {
			idleC = s.idle.C
		}
		if s.lockTick != nil {
			lockC = s.lockTick.C
		}
		var done chan error
		var asks chan *askReq
		if s.run != nil {
			done = s.run.done
			if s.ask == nil {
				asks = s.asks
			}
		}
		var logC <-chan logbuf.Record
		if s.logSub != nil {
			logC = s.logSub.C()
		}
		select {
		case <-s.ctx.Done():
			return nil
		case b, ok := <-in:
			if !ok {
				return errGone
			}
			for _, c := range b {
				if k, ok := s.dec.feed(c); ok {
					s.key(k)
				}
			}
		case <-idleC:
			s.idleLogout()
		case <-lockC:
			s.lockTicked()
		case req := <-asks:
			s.asked(req)
		case err := <-done:
			s.finished(err)
		case rec, ok := <-logC:
			if ok {
				s.showRecord(rec)
			}
		case m, ok := <-s.trace:
			if !ok {
				s.trace = nil
				s.printAbove("sip trace: the SIP stack stopped the trace\n")
			} else {
				s.showSIP(m)
			}
		}
		if err := s.scr.Err(); err != nil {
			return fmt.Errorf("%w: %w", errGone, err)
		}
	}
}

// end stops what the session started.
func (s *session) end() {
	if s.run != nil {
		s.run.cancel()
	}
	s.stopFeeds()
	if s.idle != nil {
		s.idle.Stop()
	}
	if s.lockTick != nil {
		s.lockTick.Stop()
	}
	if s.who != "" {
		s.c.log.Info("console: session ended", "who", s.who)
	}
}

func (s *session) printf(format string, args ...any) {
	fmt.Fprintf(s.scr, format, args...)
}

// printAbove prints text above the edit line (or plainly when none shows).
func (s *session) printAbove(text string) { io.WriteString(s.scr, text) }

func (s *session) title() string {
	name := "OpenIAD"
	if s.o.Config != nil {
		if n := s.o.Config.Get().Device.Name; n != "" {
			name = n
		}
	}
	return name
}

func (s *session) greet() {
	board := ""
	if s.o.Status != nil {
		board = "board " + s.o.Status.Box().Board + ", "
	}
	s.printf("\n%s console on %s (%sfirmware %s)\n", s.title(), s.name, board, s.o.Version)
	if pw := s.c.takeFirstPassword(); pw != "" {
		s.printf("\nFirst boot: the administrator password of this box is\n\n    %s\n\n"+
			"It is shown only this once. Log in as %q and type password to\n"+
			"choose your own.\n", pw, "admin")
	}
	s.printf("\n")
	s.toLogin()
}

// toLogin shows the login prompt, or the lock-out countdown.
func (s *session) toLogin() {
	if until := s.c.locked(time.Now()); !until.IsZero() {
		s.lock(until)
		return
	}
	s.state = stLogin
	s.ed.reset(true)
	s.draw()
}

func (s *session) prompt() string {
	switch {
	case s.ask != nil:
		return s.ask.prompt
	case s.hidden != nil:
		return s.hidden.prompt
	case s.state == stLogin:
		return "login: "
	case s.state == stPassword:
		return "password: "
	case s.state == stLocked:
		return ""
	}
	mark := ""
	if s.cand.pending() {
		mark = "*"
	}
	return s.title() + mark + "> "
}

// draw shows the edit line as it is now.
func (s *session) draw() {
	if !s.ed.echo {
		s.scr.Show(s.prompt(), nil, 0)
		return
	}
	s.scr.Show(s.prompt(), s.ed.buf, s.ed.pos)
}

func (s *session) key(k key) {
	switch {
	case s.state == stLocked:
		return // keys typed during the lock-out are ignored
	case s.run != nil && s.ask == nil:
		if k == keyCancel {
			s.run.cancel()
			s.typeahead = s.typeahead[:0]
			return
		}
		if len(s.typeahead) < maxTypeahead {
			s.typeahead = append(s.typeahead, k)
		}
		return
	}
	if s.state == stShell && s.idle != nil && s.ask == nil {
		s.idle.Reset(s.o.IdleTimeout)
	}
	switch s.ed.key(k) {
	case edNone:
		s.draw()
	case edRefused:
		s.scr.Bell()
	case edRedraw:
		s.scr.Redraw()
	case edTab:
		s.complete()
	case edCancel:
		s.scr.Commit("^C")
		s.cancelled()
	case edEOF:
		switch {
		case s.ask != nil:
			s.scr.Commit("^D")
			close(s.ask.reply)
			s.ask = nil
			s.run.cancel()
		case s.hidden != nil:
			s.scr.Commit("^D")
			s.cancelled()
		case s.state == stShell:
			s.scr.Commit("")
			s.logout("logged out")
		}
	case edEnter:
		line := s.ed.line()
		s.scr.Commit("")
		s.enter(line)
	}
}

// cancelled handles Ctrl-C on the edit line.
func (s *session) cancelled() {
	switch {
	case s.ask != nil:
		close(s.ask.reply)
		s.ask = nil
		s.run.cancel()
		return // the command's end shows the prompt
	case s.hidden != nil:
		s.hidden = nil
	case s.state == stPassword:
		s.state = stLogin
	case s.state == stShell && s.ed.line() == "" && (s.logSub != nil || s.trace != nil):
		s.stopFeeds()
		s.printf("live log and SIP trace stopped\n")
	}
	s.ed.reset(s.state != stPassword)
	s.draw()
}

func (s *session) enter(line string) {
	switch {
	case s.ask != nil:
		s.ask.reply <- line
		s.ask = nil
		return
	case s.state == stLogin:
		s.user = strings.TrimSpace(line)
		if s.user != "" {
			s.state = stPassword
		}
		s.ed.reset(s.user == "")
		s.draw()
	case s.state == stPassword:
		s.login(line)
	case s.hidden != nil:
		h := s.hidden
		s.hidden = nil
		h.fn(line)
		s.ed.reset(true)
		s.draw()
	case s.state == stShell:
		if !secretLine(s.c.tree, line) {
			s.ed.remember(line)
		}
		s.ed.reset(true)
		s.execute(line)
	}
}

func (s *session) login(password string) {
	user := s.user
	s.user = ""
	if s.o.Users.Verify(user, password) {
		s.c.succeeded()
		s.state = stShell
		s.who = user + "@" + s.name
		s.c.log.Info("console: login", "who", s.who)
		s.printf("\nWelcome, %s. Type help for the commands; Tab completes, Ctrl-D logs out.\n", user)
		if s.o.Users.FirstBoot(user) {
			s.printf("This box still has its first-boot password: type password to set your own.\n")
		}
		if s.o.Status != nil {
			if n := len(s.o.Status.Alarms()); n > 0 {
				s.printf("%s active: type show alarms.\n", plural(n, "alarm"))
			}
		}
		s.printf("\n")
		s.idle = time.NewTimer(s.o.IdleTimeout)
		s.ed.reset(true)
		s.draw()
		return
	}
	now := time.Now()
	locked, left, until := s.c.failed(now)
	// The name typed is not logged: it may be a password typed too early.
	s.c.log.Warn("console: failed login", "terminal", s.name, "locked", locked)
	if !locked {
		s.printf("login incorrect: %s left before a %s lock-out\n\n", plural(left, "attempt"), fmtDuration(s.o.Lockout))
		s.toLogin()
		return
	}
	s.printf("login incorrect: %d failed attempts, the console is locked for %s\n", s.o.MaxFailures, fmtDuration(s.o.Lockout))
	s.lock(until)
}

// lock starts the visible lock-out countdown.
func (s *session) lock(until time.Time) {
	s.state = stLocked
	s.ed.reset(false)
	if s.lockTick == nil {
		s.lockTick = time.NewTicker(time.Second)
	}
	s.showCountdown(until)
}

func (s *session) showCountdown(until time.Time) {
	left := time.Until(until)
	secs := int((left + time.Second - 1) / time.Second)
	s.scr.Show(fmt.Sprintf("locked: try again in %d:%02d", secs/60, secs%60), nil, 0)
}

func (s *session) lockTicked() {
	until := s.c.locked(time.Now())
	if !until.IsZero() {
		s.showCountdown(until)
		return
	}
	s.lockTick.Stop()
	s.lockTick = nil
	s.scr.Commit("")
	s.printf("the console is unlocked\n\n")
	s.toLogin()
}

func (s *session) idleLogout() {
	if s.state != stShell || s.run != nil {
		return
	}
	s.scr.Hide()
	s.logout(fmt.Sprintf("no key pressed for %s: logged out", fmtDuration(s.o.IdleTimeout)))
}

// logout ends the login and shows the login prompt.
func (s *session) logout(why string) {
	s.stopFeeds()
	s.hidden = nil
	if n := s.cand.count(); n > 0 {
		s.printf("%s not saved and dropped\n", plural(n, "staged change"))
		s.cand.drop()
	}
	if s.idle != nil {
		s.idle.Stop()
		s.idle = nil
	}
	s.c.log.Info("console: logout", "who", s.who, "why", why)
	s.who = ""
	s.printf("%s\n\n", why)
	s.toLogin()
}

// execute runs a command line typed at the shell prompt.
func (s *session) execute(line string) {
	p, err := parse(s.c.tree, line)
	if err != nil {
		s.showError(err)
		s.draw()
		return
	}
	if p == nil {
		s.draw()
		return
	}
	s.lastCmd = p.name()
	if !p.cmd.async {
		w := newLineWriter(s.scr)
		x := &exec{ctx: s.ctx, s: s, out: w, args: p.args, path: p.path}
		err := p.cmd.run(x)
		w.Flush()
		if err != nil {
			s.showError(err)
		}
		if s.state == stShell && s.run == nil {
			s.ed.reset(s.hidden == nil)
			s.draw()
		}
		return
	}
	ctx, cancel := context.WithCancel(s.ctx)
	w := newLineWriter(s.scr)
	s.run = &running{name: p.name(), cancel: cancel, done: make(chan error, 1), out: w}
	if s.idle != nil {
		s.idle.Stop()
	}
	x := &exec{ctx: ctx, s: s, out: w, args: p.args, path: p.path, async: true}
	x.snapshot()
	done := s.run.done
	go func() {
		defer cancel()
		done <- p.cmd.run(x)
	}()
}

// asked shows a running command's question. Keys typed ahead answer it,
// unless it is a confirmation.
func (s *session) asked(req *askReq) {
	s.ask = req
	s.ed.reset(req.echo)
	if req.fresh {
		s.typeahead = nil
	}
	s.draw()
	keys := s.typeahead
	s.typeahead = nil
	for _, k := range keys {
		s.key(k)
	}
}

// finished is called in the session goroutine when an async command ends.
func (s *session) finished(err error) {
	r := s.run
	s.run = nil
	r.out.Flush()
	if s.ask != nil {
		s.scr.Commit("")
		s.ask = nil
	}
	switch {
	case err == nil:
	case errors.Is(err, context.Canceled):
		s.printf("%s: cancelled\n", r.name)
	default:
		s.showError(err)
	}
	if s.state != stShell {
		return
	}
	if s.idle != nil {
		s.idle.Reset(s.o.IdleTimeout)
	}
	s.ed.reset(true)
	s.draw()
	keys := s.typeahead
	s.typeahead = nil
	for _, k := range keys {
		s.key(k)
	}
}

func (s *session) showError(err error) {
	var ue *usageError
	if errors.As(err, &ue) {
		s.printf("%s\n", wrap(ue.Error(), s.o.Width-1, "  "))
		return
	}
	s.printf("%s\n", wrap("error: "+err.Error(), s.o.Width-1, "  "))
}

// stopFeeds ends log tail and sip trace.
func (s *session) stopFeeds() {
	if s.logSub != nil {
		s.logSub.Close()
		s.logSub = nil
	}
	if s.traceStop != nil {
		s.traceStop()
		s.traceStop, s.trace = nil, nil
	}
}

func (s *session) showRecord(rec logbuf.Record) {
	var b strings.Builder
	if d := s.logSub.Dropped(); d > s.logDropped {
		fmt.Fprintf(&b, "[%s lost: the log ran faster than the console]\n", plural(int(d-s.logDropped), "record"))
		s.logDropped = d
	}
	b.WriteString(wrap(rec.String(), s.o.Width-1, "    "))
	b.WriteByte('\n')
	s.printAbove(b.String())
}

func (s *session) showSIP(m SIPMessage) {
	var b strings.Builder
	dir := "received from"
	if m.Sent {
		dir = "sent to"
	}
	fmt.Fprintf(&b, "--- %s SIP %s %s (%d bytes)\n", m.At.Format("15:04:05.000"), dir, m.Remote, len(m.Data))
	text := strings.ReplaceAll(string(m.Data), "\r\n", "\n")
	for l := range strings.SplitSeq(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(wrap(sanitize(l), s.o.Width-1, "    "))
		b.WriteByte('\n')
	}
	s.printAbove(b.String())
}

// complete handles Tab on the shell line.
func (s *session) complete() {
	if s.state != stShell || s.ask != nil {
		return
	}
	before := string(s.ed.buf[:s.ed.pos])
	cands, word := completions(s, before)
	if len(cands) == 0 {
		s.scr.Bell()
		return
	}
	common := cands[0]
	for _, c := range cands[1:] {
		common = commonPrefix(common, c)
	}
	if len(cands) == 1 {
		add := strings.TrimPrefix(cands[0], word)
		if !strings.HasSuffix(cands[0], ".") && !strings.HasSuffix(cands[0], "[") {
			add += " "
		}
		s.ed.insert(add)
		s.draw()
		return
	}
	if len(common) > len(word) {
		s.ed.insert(common[len(word):])
		s.draw()
		return
	}
	s.printAbove(columns(cands, s.o.Width-1))
}

func commonPrefix(a, b string) string {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return a[:n]
}

// lineWriter passes whole lines to the screen, so that what a command
// prints never shares a line with a log record printed meanwhile.
type lineWriter struct {
	scr *Screen
	buf []byte
}

func newLineWriter(scr *Screen) *lineWriter { return &lineWriter{scr: scr} }

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	if i := bytes.LastIndexByte(w.buf, '\n'); i >= 0 {
		if _, err := w.scr.Write(w.buf[:i+1]); err != nil {
			return 0, err
		}
		w.buf = append(w.buf[:0], w.buf[i+1:]...)
	}
	return len(p), nil
}

// Flush writes a last, unfinished line.
func (w *lineWriter) Flush() {
	if len(w.buf) > 0 {
		w.buf = append(w.buf, '\n')
		w.scr.Write(w.buf)
		w.buf = w.buf[:0]
	}
}

// secretLine reports whether line sets a password, to keep it out of the
// history.
func secretLine(tree []*command, line string) bool {
	p, err := parse(tree, line)
	return err == nil && p != nil && p.name() == "config set" && len(p.args) == 2 && config.Secret(p.args[0])
}
