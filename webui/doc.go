// Package webui is the installer's web page: server-rendered html/template
// pages embedded in the firmware, a little JavaScript (static/app.js, for
// the self-refreshing status and log views, the live SIP trace and the
// notes shown while an upload or a capture runs), and the same routes answering
// JSON when the request says Accept: application/json. tools/iadctl is a
// client of that JSON API.
//
// # Wiring
//
// New builds the handler from Options (the configuration store, the
// account store, the box's status and the hooks for actions such as a test
// call or a reboot); Serve runs it over HTTPS with the box's own
// self-signed certificate (made on first boot under the state folder, see
// LoadCertificate) and answers plain HTTP with a redirect to HTTPS, unless
// ServeOptions.Lab asks for the page over HTTP as well.
//
// # Security
//
//   - Login with the accounts of firmware/console/auth. An account on a
//     password it did not choose (the per-device first-boot password, or
//     the first password an administrator gave it) can do nothing but
//     choose a new one that meets auth.CheckPasswordFor.
//   - Sessions: 128-bit random IDs from crypto/rand in an HttpOnly; Secure;
//     SameSite=Strict cookie (Secure is left out only for plain-HTTP
//     requests in lab mode), ended after Options.IdleTimeout without a
//     request, after MaxSessionAge in any case, at logout, and for every
//     other session of an account whose password changes or which is
//     removed.
//   - Login attempts: after Options.MaxFailures failures in a row from one
//     address, or for one account, further attempts are refused for
//     Options.Lockout; the login page says so with the time left (HTTP 429
//     with Retry-After). Password checks run one at a time so guessing
//     cannot eat the box's CPU.
//   - Every route is in one table (Routes) registered on an
//     http.ServeMux with its method: GET routes never change anything,
//     changes only by POST. http.CrossOriginProtection guards every
//     request; every body is limited by http.MaxBytesReader; uploads
//     (restore, firmware) are streamed.
//   - Roles (auth.Role): an installer may not open the account pages and
//     may not change configuration under the administrator-only paths
//     (adminOnlyPaths: the TR-069 settings, config "cwmp"), which the
//     page shows read-only for them.
//   - Every response carries Content-Security-Policy default-src 'self'
//     (no inline script or style), X-Content-Type-Options nosniff,
//     X-Frame-Options DENY, Referrer-Policy same-origin; pages are not
//     cached. Pages are rendered into a buffer before anything is written.
//   - Nothing runs a shell: ping and traceroute are the console's Go
//     implementations (console.Net).
//
// # Configuration
//
// The settings pages show every field of firmware/config: each form field
// is named by its config path ("ports[0].sip.user") and changes go through
// config.Store.Update with source "web" and the account as who, so the
// validation, carrier locks and audit trail are those of every other face
// of the box. A field the carrier locked is shown read-only with who locked
// it and since when. A refused change names the field next to it (HTML) or
// in "errors" (JSON) and stores nothing. Passwords are write-only: the page
// only says whether one is set; an empty password field keeps it.
//
// The settings pages are: device and region, ports, SIP accounts, SIP
// profiles, dial plan, WAN (DHCP or static address, gateway, DNS, host
// name, VLAN, MTU; the quick set-up repeats the first four), time (NTP
// servers, zone), syslog (collector, protocol, level; firmware/syslog
// follows it live) and TR-069 (ACS URL and credentials, periodic inform,
// connection request, CA certificates, data model flavour). The TR-069
// page is read-only for installers; its passwords, like the SIP ones,
// are write-only.
//
// # Calls and diagnostics
//
// The status page lists the calls in progress with their live quality
// (codec, loss, jitter, ERLE when the echo canceller runs, MOS estimate)
// from Options.Calls; /calls lists the call detail records
// (Options.Records, filtered by port and day) and /calls.csv downloads
// the same selection as CSV, streamed.
//
// The diagnostics page has the live SIP trace: static/app.js opens
// /diag/sip-trace/stream, Server-Sent Events carrying each SIP message the
// box sends or receives (Options.Tap), for at most TraceStreamMax;
// /diag/sip-trace?seconds=N is the same as one JSON answer (tools/iadctl
// sip-trace). POST /diag/capture records SIP, RTP and RTCP for 1 to 120
// seconds (or up to a size limit) and streams it as a classic libpcap file
// (raw IP, LINKTYPE_RAW, headers made up from the datagrams' ends), one
// capture at a time.
//
// # Backup and restore
//
// A backup is a JSON file: the configuration with an envelope saying which
// board, how many ports and which firmware wrote it. By default the SIP
// and TR-069 passwords are left out (a file an installer keeps on a laptop should not
// open the carrier accounts); an administrator may ask for them. Restoring
// a file without passwords keeps the passwords the box has. A restore is
// refused, with the reason, when the file is from another board or another
// number of ports, from a newer configuration schema, damaged, or when it
// would change what the carrier locked.
//
// # Languages
//
// English and Simplified Chinese: the "lang" cookie (set by the language
// switch on every page), else the browser's Accept-Language. Every text of
// the pages comes from the catalogue in i18n.go; a key missing in a
// language renders as "[[missing:key]]", which the tests look for.
// Reasons that come from lower layers (configuration validation, password
// rules) are shown in English.
//
// # Concurrency
//
// A Server may serve any number of requests at once; its session table and
// login limiter are guarded by a mutex. The Options hooks are called from
// request goroutines and must be safe for concurrent use.
package webui
