//go:build !linux

package peers

import "os/exec"

// setProcAttr: outside Linux the programs run without a parent-death
// signal; Stop still ends them.
func setProcAttr(cmd *exec.Cmd) {}

// killGroup kills the program.
func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }
