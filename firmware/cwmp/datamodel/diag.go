package datamodel

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/openiad/openiad/firmware/config"
)

// The POTS.FXS.{i}.DiagTests line test: the ACS sets TestSelector (or
// leaves it empty) and DiagnosticsState "Requested"; the test runs once
// the SetParameterValues has been answered, through the same line check
// the console and web page run (Status.LineTest). Then DiagnosticsState is
// "Complete" and TestResult "Success" or "Failure" (or an Error_ state),
// X_<OUI>_Detail tells what was measured, and Options.Diagnostics is
// called so that the client reports "8 DIAGNOSTICS COMPLETE".
//
// With no selector the test is the basic line check (battery feed, loop,
// call control, extension). "Off-hook" fails when the handset is lifted.
// The metallic tests ("Hazard Potential", "Foreign Voltage", "Resistive
// Faults", "REN") need a SLIC line-test engine the box does not drive yet:
// they end in "Error_Other" with the basic check in the detail. Results
// live in memory: after a reboot DiagnosticsState is "None" again.

// diagTimeout bounds one line test.
const diagTimeout = 30 * time.Second

var selectors = []string{"Hazard Potential", "Foreign Voltage", "Resistive Faults", "Off-hook", "REN"}

type diag struct {
	state, selector, result, detail string
}

// diagGet returns port's test state. m.mu is held.
func (m *Model) diagGet(p int) diag {
	if d := m.diags[p]; d != nil {
		return *d
	}
	return diag{state: "None"}
}

func (m *Model) diagRunning(p int) bool { return m.diagGet(p).state == "Requested" }

func (m *Model) diagFor(p int) *diag {
	d := m.diags[p]
	if d == nil {
		d = &diag{state: "None"}
		m.diags[p] = d
	}
	return d
}

func diagState(name string) *param {
	return &param{name: name, typ: tString,
		get: func(e *env, ix []int) string { return e.m.diagGet(ix[0]).state },
		set: func(_ *env, _ *config.Config, _ []int, v string) error {
			if v != "Requested" {
				return fmt.Errorf("%q: the ACS may only set \"Requested\"", v)
			}
			return nil
		},
		action: func(m *Model, ix []int, _ string) {
			d := m.diagFor(ix[0])
			d.state, d.result, d.detail = "Requested", "", ""
			go m.runDiag(ix[0]) // waits for m.mu: after the whole request applied
		},
	}
}

func diagSelector(name string) *param {
	return &param{name: name, typ: tString,
		get: func(e *env, ix []int) string { return e.m.diagGet(ix[0]).selector },
		set: func(_ *env, _ *config.Config, _ []int, v string) error {
			if v != "" && !slices.Contains(selectors, v) {
				return fmt.Errorf("%q: one of %s", v, strings.Join(selectors, ", "))
			}
			return nil
		},
		action: func(m *Model, ix []int, v string) { m.diagFor(ix[0]).selector = v },
	}
}

// runDiag runs the requested test of port p and records the outcome.
func (m *Model) runDiag(p int) {
	m.mu.Lock()
	sel := m.diagFor(p).selector
	m.mu.Unlock()
	state, result, detail := "Complete", "Success", ""
	var offHook bool
	if m.o.Status.Hook != nil {
		off, ok := m.o.Status.Hook(p)
		offHook = ok && off
	}
	if m.o.Status.LineTest == nil {
		state, detail = "Error_Other", "this box has no line test"
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), diagTimeout)
		checks, err := m.o.Status.LineTest(ctx, p)
		cancel()
		var parts []string
		ok := true
		for _, c := range checks {
			mark := "ok"
			if !c.OK {
				mark, ok = "FAIL", false
			}
			parts = append(parts, fmt.Sprintf("%s: %s (%s)", c.Name, c.Result, mark))
		}
		detail = strings.Join(parts, "; ")
		switch {
		case err != nil:
			state, result, detail = "Error_Internal", "", err.Error()
		case sel == "Off-hook":
			if offHook {
				result = "Failure"
			}
		case sel != "":
			state, result = "Error_Other", ""
			detail = sel + " needs the SLIC's metallic line test, which this box does not run yet; basic check: " + detail
		case !ok:
			result = "Failure"
		}
	}
	m.mu.Lock()
	d := m.diagFor(p)
	d.state, d.result, d.detail = state, result, detail
	m.mu.Unlock()
	m.o.Log.Info("datamodel: line test done", "port", p, "selector", sel, "state", state, "result", result)
	if m.o.Diagnostics != nil {
		m.o.Diagnostics()
	}
}
