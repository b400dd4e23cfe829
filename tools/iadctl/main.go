// Command iadctl is a small client of the box's web API: the JSON answers
// of the installer's web page (package webui). It logs in like a browser
// (session cookie over HTTPS) and prints what the page shows.
//
//	iadctl [flags] status                   ports, registrations, calls, alarms
//	iadctl [flags] get PAGE                 a settings page: device, ports, accounts, sip, dialplan,
//	                                        network, time, syslog, tr069, setup
//	iadctl [flags] set PAGE name=value ...  change fields, e.g. set ports ports[0].extension=301
//	iadctl [flags] backup [-passwords]      print a configuration backup
//	iadctl [flags] restore FILE             restore a backup
//	iadctl [flags] log [-level L] [-n N]    the recent log, newest first
//	iadctl [flags] test-call PORT           ring the phone on a port
//	iadctl [flags] line-test PORT           test the line of a port
//	iadctl [flags] ping HOST | traceroute HOST
//	iadctl [flags] upgrade FILE             upload a firmware image
//	iadctl [flags] password                 change the account's password (reads it from stdin)
//	iadctl [flags] sip-trace [SECONDS]      the SIP messages of the next SECONDS (default 10, at most 30)
//	iadctl [flags] capture SECONDS FILE     capture the VoIP traffic for SECONDS into a pcap FILE
//	iadctl [flags] calls [-csv]             the call records (JSON, or CSV with -csv)
//	iadctl [flags] routes                   list the API's routes
//
// The password comes from $IADCTL_PASSWORD, else the first line of
// standard input. The box's certificate is self-signed: pin it with
// -pin (the SHA-256 fingerprint the console or the browser shows), or
// skip the check with -k on a trusted bench.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "iadctl:", err)
		os.Exit(1)
	}
}
