// Package config is the one source of truth for the configuration of the
// box: the typed Config (device, ports, dial plan, carrier locks), its
// defaults and validation, and the Store that keeps it on flash.
//
// Every change goes through Store.Update, which works on a deep copy, checks
// the result with Validate, refuses changes to carrier-locked fields unless
// they come from TR-069 (source "cwmp"), records one audit line per changed
// field (who, from where, old and new value) and replaces config.json
// atomically, keeping the previous good file as config.json.prev. A power cut
// at any write leaves either the old or the new configuration on the next
// Open, never a broken one.
//
// On-disk files in the store directory:
//
//	config.json       the configuration in effect (JSON, see testdata/default.json)
//	config.json.prev  the one before it, used when config.json is missing or damaged
//	config.json.tmp   a replacement being written; never read
//	audit.log         append-only JSON lines, one AuditRecord per changed field
//
// The audit log is written ahead of the configuration: a change that is in
// effect always has its records in the log. Every record carries the
// revision it belongs to; when a power cut (or a write error) stops a change
// after its records were written, the next Open (or the failing Update)
// appends a "system" record saying that revision never took effect.
//
// Growth: Config.Schema is the schema version of the document. A file with
// an older schema is upgraded by the migration steps registered in
// migrations (one per version) before it is decoded; a file from a newer
// firmware is refused with a clear error and the store falls back to the
// previous file or the defaults.
//
// Concurrency: every method of Store may be called from any goroutine.
// Updates are serialised; Get never waits for an Update's disk writes.
// Config values are plain data: a Config returned by Get or sent to a
// watcher is the caller's own deep copy. Validate and Parse are pure.
package config
