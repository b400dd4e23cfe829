package peers

import (
	"os/exec"
	"syscall"
)

// setProcAttr puts the program in its own process group and has the kernel
// kill it when the thread that started it (held for the purpose) dies.
func setProcAttr(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// killGroup kills the program and everything it forked.
func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	_ = cmd.Process.Kill()
}
