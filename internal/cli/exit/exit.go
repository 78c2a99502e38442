package exit

import (
	"errors"
	"fmt"
)

// Exit codes.
const (
	OK       = 0
	Error    = 1
	Usage    = 2
	Findings = 3
	// Interrupted is the shell's code for a command ended by Ctrl-C
	// (128 + SIGINT); SIGTERM ends cmkguard the same way.
	Interrupted = 130
)

// UsageError is a mistake in flags or arguments.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// Usagef returns a UsageError with a formatted message.
func Usagef(format string, args ...any) error {
	return &UsageError{Err: fmt.Errorf(format, args...)}
}

// FindingsError says the command ran but found findings at or above the
// failure threshold. Its message is printed; the exit code is 3.
type FindingsError struct {
	Count     int
	Threshold string
}

func (e *FindingsError) Error() string {
	return fmt.Sprintf("%d finding(s) at or above severity %s", e.Count, e.Threshold)
}

// Code returns the exit code for err (nil is OK).
func Code(err error) int {
	if err == nil {
		return OK
	}
	var usage *UsageError
	if errors.As(err, &usage) {
		return Usage
	}
	var findings *FindingsError
	if errors.As(err, &findings) {
		return Findings
	}
	return Error
}
