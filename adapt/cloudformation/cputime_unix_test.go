//go:build unix

package cloudformation

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) this process has used,
// so that a benchmark on a shared machine reports the work it did, not
// the time it waited for a core.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
