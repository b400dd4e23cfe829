// Package cdr keeps the box's call detail records: one Record per call
// attempt, with the parties, the times, why it ended and how it sounded,
// for cost accounting per extension and for the technician who is told
// "the line crackles".
//
// The Store is append-only and lives in its own folder (<state>/cdr): a
// sequence of files of JSON lines, each record carrying the SHA-256 of the
// one before it, so that an altered, removed or inserted record breaks
// the chain and Verify names the first one. The store is bounded: when a
// file is full a new one begins, and the oldest files are dropped, the
// hash and sequence number of the last dropped record being kept in an
// anchor file so that the chain still starts from a known point. A head
// file remembers the newest record, so records cut from the end are
// noticed too. The chain proves that nothing was changed quietly; it is
// not a signature, and someone who can rewrite every file can rebuild it.
//
// The records stay on storage, not in memory: the Store keeps only where
// the files are and the newest record's hash, and Query reads the files
// back, newest first, until it has what was asked for.
//
// Every write survives a power cut: a record is durable when Append
// returns, and a record torn by a power cut is dropped at the next Open,
// never an earlier one.
//
// Call is a call in progress as the status page and console show it, and
// quality.go estimates the MOS of a call from its loss and delay (ITU-T
// G.107 E-model, simplified for G.711).
//
// All Store methods may be called from any goroutine.
package cdr
