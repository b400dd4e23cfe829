// Package console is the field technician's serial console: a login, a
// line editor and the commands to see every port, registration and alarm,
// test a line, watch the log and SIP live, change the configuration and
// restart the box, with nothing but a terminal at 115200 8N1.
//
// # Where it runs
//
// On a board the console opens the UART named by the board definition
// (boards.Board.Console) through go.bug.st/serial at 115200 8N1 and serves
// it until the firmware stops; when the device fails or disappears (a USB
// adapter unplugged) it closes it and opens it again every second until it
// is back. Under `make run` (Options.Device "") it runs on the terminal: a
// tty is put in raw mode without echo while the console runs, keeping
// signals, so Ctrl-C still stops the firmware there; the firmware's own
// log is printed above the prompt when it is written through the same
// Screen.
//
// # Login
//
// The administrator logs in with the password kept by package auth (a
// per-device password generated on first boot and shown once, on the
// first console session; see auth for the file). After MaxFailures wrong
// passwords in a row the console is locked for Lockout with a visible
// countdown, also across reconnects; without a key for IdleTimeout the
// session is logged out. Ctrl-D on an empty line logs out.
//
// # Line editing
//
// Output uses only CR, BS, spaces and printable characters, so the same
// editor works on a dumb terminal and a VT100; input understands the
// VT100 cursor keys and the usual control keys: Left/Right or Ctrl-B/F,
// Home/End or Ctrl-A/E, Up/Down or Ctrl-P/N for the history, Backspace,
// Delete, Ctrl-K, Ctrl-U, Ctrl-W, Ctrl-L to redraw, Tab to complete
// commands and arguments (settings, ports, levels), Ctrl-C to drop the
// line or cancel the running command. Lines longer than the terminal
// scroll sideways. Log records and SIP messages arrive above the prompt
// and the half-typed line is drawn again below them. Commands may be
// shortened to a unique prefix ("sh po" is "show ports"); keys typed while
// a command runs are kept and used after it (a pasted block of commands).
//
// # Configuration
//
// config set stages a change in the session's candidate (a list of edits
// on top of the configuration in effect); config diff shows it, config
// save commits it with config.Store.Update as source "console" and the
// user and terminal as who ("admin@ttyS0"), so validation, carrier locks
// and the audit trail apply as for the web page; config revert drops it.
// Nothing typed changes the configuration without config save. Unsaved
// edits are dropped at logout. The prompt shows a "*" while edits are
// staged.
//
// # Concurrency
//
// New may be called from any goroutine; Run runs the console in the
// calling goroutine until its context is done. Each opened terminal has
// one session goroutine that owns the editor, the login state and the
// candidate; commands that can block (ping, traceroute, line test, call,
// password, reboot, factory-reset, upgrade) run in a goroutine of their
// own, cancelled by Ctrl-C, and talk to the session only through its
// Screen and questions. Screen methods may be called from any goroutine.
// The interfaces in Options (Status, Config, Logs, SIP ...) are called
// from these goroutines and must be safe for concurrent use.
package console
