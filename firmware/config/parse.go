package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// MaxFileSize is the largest config.json the store will read.
const MaxFileSize = 1 << 20

var (
	errTooLarge  = errors.New("config: file too large")
	errNotObject = errors.New("config: not a JSON object")
	errSchema    = errors.New("config: unsupported schema")
	errTrailing  = errors.New("config: data after the JSON object")
)

// migration upgrades a decoded document of one schema version to the next.
// It may rename, move or fill in fields; it must not set "schema".
type migration func(doc map[string]any) error

// migrations[v] upgrades schema v to v+1. Add a step here, and bump
// SchemaVersion, whenever the document changes shape in a way old files
// cannot be decoded as (renamed or moved fields, new required fields).
// Adding an optional field with a zero-value meaning needs no migration.
var migrations = map[int]migration{
	1: addSIP,
	2: addManagement,
}

// addManagement: schema 3 added the WAN, time, syslog and TR-069 sections,
// at their factory values, and the registration timeout and fail-back
// interval of each SIP profile.
func addManagement(doc map[string]any) error {
	def := DefaultSIPProfile()
	if sip, ok := doc["sip"].(map[string]any); ok {
		if profs, ok := sip["profiles"].([]any); ok {
			for _, p := range profs {
				if m, ok := p.(map[string]any); ok {
					m["registerTimeout"] = def.RegisterTimeout.String()
					m["failback"] = def.Failback.String()
				}
			}
		}
	}
	var c Config
	defaultManagement(&c)
	for key, v := range map[string]any{"network": c.Network, "time": c.Time, "syslog": c.Syslog, "cwmp": c.CWMP} {
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		doc[key] = m
	}
	return nil
}

// addSIP: schema 2 added the carrier (SIP) settings: the factory profile,
// and a disabled account on every port.
func addSIP(doc map[string]any) error {
	def, err := json.Marshal(SIP{Port: 5060, Profiles: []SIPProfile{DefaultSIPProfile()}})
	if err != nil {
		return err
	}
	var sip map[string]any
	if err := json.Unmarshal(def, &sip); err != nil {
		return err
	}
	doc["sip"] = sip
	if ports, ok := doc["ports"].([]any); ok {
		for _, p := range ports {
			if m, ok := p.(map[string]any); ok {
				m["sip"] = map[string]any{"enabled": false, "profile": 0, "user": "", "authUser": "", "password": "", "displayName": ""}
			}
		}
	}
	return nil
}

// Parse decodes a configuration document: it migrates an older schema,
// refuses unknown fields, trailing data and newer schemas, and validates the
// result. Errors say what is wrong; they never panic on any input.
func Parse(data []byte) (Config, error) {
	return parse(data, migrations)
}

func parse(data []byte, steps map[int]migration) (Config, error) {
	var c Config
	if len(data) > MaxFileSize {
		return c, fmt.Errorf("%w (%d bytes, limit %d)", errTooLarge, len(data), MaxFileSize)
	}
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return c, fmt.Errorf("%w: %v", errNotObject, err)
	}
	switch {
	case head.Schema == nil:
		return c, fmt.Errorf("%w: no \"schema\" field", errSchema)
	case *head.Schema > SchemaVersion:
		return c, fmt.Errorf("%w: schema %d was written by a newer firmware (this one knows up to %d)", errSchema, *head.Schema, SchemaVersion)
	case *head.Schema < 1:
		return c, fmt.Errorf("%w: schema %d", errSchema, *head.Schema)
	case *head.Schema < SchemaVersion:
		var err error
		if data, err = migrate(data, *head.Schema, SchemaVersion, steps); err != nil {
			return c, err
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("config: decode: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, errTrailing
	}
	c = c.Clone() // non-nil Ports and Locks
	if err := c.Validate(); err != nil {
		return Config{}, err
	}
	return c, nil
}

// migrate runs steps from..to-1 on the document and returns it re-encoded
// with "schema": to.
func migrate(data []byte, from, to int, steps map[int]migration) ([]byte, error) {
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%w: %v", errNotObject, err)
	}
	for v := from; v < to; v++ {
		step := steps[v]
		if step == nil {
			return nil, fmt.Errorf("%w: no migration from schema %d to %d", errSchema, v, v+1)
		}
		if err := step(doc); err != nil {
			return nil, fmt.Errorf("config: migrate schema %d to %d: %w", v, v+1, err)
		}
		doc["schema"] = v + 1
	}
	return json.Marshal(doc)
}

// Encode returns the on-disk form of c: indented JSON with a final newline.
func Encode(c *Config) ([]byte, error) {
	n := c.Clone()
	b, err := json.MarshalIndent(&n, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("config: encode: %w", err)
	}
	return append(b, '\n'), nil
}
